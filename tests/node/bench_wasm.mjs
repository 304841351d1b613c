// Benchmark (not a test): a 5-minute 4-lead 1 kHz simulated recording end to end through the
// WebAssembly module in node (one thread): open (parse the EDF bytes) + analyze, per method; the
// median and minimum of `--runs` runs (default 3) after one warm-up, and the pipeline's own stage
// timings of the last. Then the FHNet engine alone: ms per window at batch 1 and at the
// pipeline's batch 8 (FhnetModel.run), to compare with build/native/bench_fhnet.
// Run: scripts/build.sh wasm && node tests/node/bench_wasm.mjs [--runs N] [--seconds S]
//        [--methods ts,ica,ts-ica,fhnet] [--wasm-dir build/wasm] [--windows 100]
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const option = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const wasmDir = resolve(root, option('wasm-dir', join('build', 'wasm')));
const wasmPath = join(wasmDir, 'fecg.wasm');
if (!existsSync(wasmPath)) {
  console.error(`bench_wasm: ${wasmPath} is missing: build it with scripts/build.sh wasm`);
  process.exit(1);
}
const runs = Number(option('runs', 3));
const seconds = Number(option('seconds', 300));
const windows = Number(option('windows', 100));
const wanted = option('methods', 'ts,ica,ts-ica,fhnet').split(',');

const { default: createFecgModule } = await import(pathToFileURL(join(wasmDir, 'fecg.js')).href);
const t0 = performance.now();
const fecg = await createFecgModule({ wasmBinary: readFileSync(wasmPath) });
console.log(`fecg ${fecg.version()} WASM module instantiated in ${(performance.now() - t0).toFixed(1)} ms`);

const sim = fecg.simulate({ seconds, seed: 5, leads: 4, fsHz: 1000, snrFmDb: -9, snrMnDb: 9 });
const edf = fecg.encodeEdf(sim.recording);
sim.recording.delete();
console.log(`recording: ${seconds} s, 4 leads, 1000 Hz, EDF ${(edf.length / 1e6).toFixed(2)} MB; ${runs} runs per method (median)`);

const methods = ['ts', 'ica', 'ts-ica'].filter((m) => wanted.includes(m));
const modelCard = join(root, 'models', 'fhnet.json');
let model = null;
if (existsSync(modelCard)) {
  const card = readFileSync(modelCard, 'utf8');
  model = fecg.loadFhnet(card, new Uint8Array(readFileSync(join(root, 'models', JSON.parse(card).files.weights.path))));
  if (wanted.includes('fhnet')) methods.push('fhnet');
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const method of methods) {
  const open = [], total = [];
  let last = null;
  for (let r = 0; r <= runs; r++) {
    const a = performance.now();
    const rec = fecg.openRecording(edf, 'bench.edf');
    const b = performance.now();
    const res = fecg.analyze(rec, method === 'fhnet' ? { method, model } : { method });
    const c = performance.now();
    if (r > 0) { open.push(b - a); total.push(c - a); }  // run 0 warms up
    if (last) last.delete();
    last = res;
    rec.delete();
  }
  const f1 = fecg.scoreBeats(sim.fetalPeaks, last.fetalBeats(), 1000).f1;
  const t = last.timings;
  console.log(`${method.padEnd(6)} end to end ${median(total).toFixed(0).padStart(5)} ms, min ${Math.min(...total).toFixed(0)} ms  (open ${median(open).toFixed(0)} ms;` +
    ` stages: preprocess ${t.preprocessMs.toFixed(0)}, maternal ${t.maternalMs.toFixed(0)}, extract ${t.extractMs.toFixed(0)},` +
    ` fetal ${t.fetalMs.toFixed(0)}, heart rate ${t.heartRateMs.toFixed(0)}, output ${t.outputMs.toFixed(0)} ms)  F1 ${f1.toFixed(3)}`);
  last.delete();
}
if (model) {
  // The engine alone, as build/native/bench_fhnet measures ours natively: seeded normal inputs.
  const leads = 4;
  let s = 1;
  const uniform = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return ((s >>> 0) + 0.5) / 4294967296; };
  for (const batch of [1, 8]) {
    const x = new Float32Array(batch * leads * model.window);
    for (let i = 0; i < x.length; i++) x[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    for (let i = 0; i < 3; i++) model.run(x, batch, leads);  // warm-up
    const calls = Math.max(1, Math.round(windows / batch));
    const ms = [];
    for (let rep = 0; rep < 5; rep++) {
      const a = performance.now();
      for (let i = 0; i < calls; i++) model.run(x, batch, leads);
      ms.push((performance.now() - a) / (calls * batch));
    }
    console.log(`fhnet engine, K = ${leads}, batch ${batch}: ${median(ms).toFixed(2)} ms per window ` +
      `(median of 5 x ${calls * batch} windows; min ${Math.min(...ms).toFixed(2)})`);
  }
  model.delete();
}
