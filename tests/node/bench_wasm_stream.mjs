// Memory and time of the WebAssembly module on long recordings: for each EDF file given, a fresh
// module instance analyses it streamed (openRecordingStream + analyzeStream, reading the file in
// slices as the page's worker does with File.slice) and, when --whole, read and analysed whole
// (openRecording + analyze). Prints the WASM heap size afterwards (it only grows, so it is the
// peak) and the wall time. A benchmark: it prints figures and asserts nothing.
//
//   build/native/fecg synth --seconds 3600 --format edf --out /tmp/h1     # then:
//   node tests/node/bench_wasm_stream.mjs /tmp/h1.edf [--whole] [--method ts-ica]
//
// FECG_WASM_DIR: the folder of fecg.js + fecg.wasm (default build/wasm).
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmDir = process.env.FECG_WASM_DIR || join(root, 'build', 'wasm');
const { default: createFecgModule } = await import(pathToFileURL(join(wasmDir, 'fecg.js')).href);
const wasmBinary = readFileSync(join(wasmDir, 'fecg.wasm'));

const args = process.argv.slice(2);
const whole = args.includes('--whole');
const methodAt = args.indexOf('--method');
const method = methodAt >= 0 ? args[methodAt + 1] : 'ts-ica';
const files = args.filter((a, i) => !a.startsWith('--') && (methodAt < 0 || i !== methodAt + 1));
if (!files.length) {
  console.error('usage: node tests/node/bench_wasm_stream.mjs FILE.edf... [--whole] [--method M]');
  process.exit(2);
}

const MB = 1024 * 1024;

function fileSource(path) {
  const fd = openSync(path, 'r');
  return {
    size: statSync(path).size,
    read(offset, length) {
      const out = new Uint8Array(length);
      readSync(fd, out, 0, length, offset);
      return out;
    },
    close() { closeSync(fd); },
  };
}

console.log(`WebAssembly module (${wasmDir}), method ${method}, node ${process.version}`);
console.log('file                     hours  mode      wall_s  wasm_heap_MB  fetal_beats');
for (const path of files) {
  const modes = whole ? ['streamed', 'whole'] : ['streamed'];
  for (const mode of modes) {
    const fecg = await createFecgModule({ wasmBinary });
    const t0 = performance.now();
    let res, hours;
    if (mode === 'streamed') {
      const source = fileSource(path);
      const stream = fecg.openRecordingStream(basename(path), source);
      hours = stream.durationS / 3600;
      res = fecg.analyzeStream(stream, { method });
      stream.delete();
      source.close();
    } else {
      const rec = fecg.openRecording(new Uint8Array(readFileSync(path)), basename(path));
      hours = rec.durationS / 3600;
      res = fecg.analyze(rec, { method });
      rec.delete();
    }
    const wall = (performance.now() - t0) / 1000;
    const beats = res.fetalBeats().length;
    res.delete();
    console.log(`${basename(path).padEnd(24)} ${hours.toFixed(2).padStart(5)}  ${mode.padEnd(8)} ${wall.toFixed(1).padStart(7)} ` +
      `${(fecg.HEAP8.length / MB).toFixed(0).padStart(13)} ${String(beats).padStart(12)}`);
  }
}
