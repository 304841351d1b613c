// Benchmark (not a test): a 5-minute 4-lead 1 kHz simulated recording end to end through the
// WebAssembly module in node: open (parse the EDF bytes) + analyze, per method; the median of
// `--runs` runs (default 3) after one warm-up, and the pipeline's own stage timings of the last.
// Run: scripts/build.sh wasm && node tests/node/bench_wasm.mjs [--runs N] [--seconds S]
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmPath = join(root, 'build', 'wasm', 'fecg.wasm');
if (!existsSync(wasmPath)) {
  console.error(`bench_wasm: ${wasmPath} is missing: build it with scripts/build.sh wasm`);
  process.exit(1);
}
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = arg('runs', 3);
const seconds = arg('seconds', 300);

const { default: createFecgModule } = await import(pathToFileURL(join(root, 'build', 'wasm', 'fecg.js')).href);
const t0 = performance.now();
const fecg = await createFecgModule({ wasmBinary: readFileSync(wasmPath) });
console.log(`fecg ${fecg.version()} WASM module instantiated in ${(performance.now() - t0).toFixed(1)} ms`);

const sim = fecg.simulate({ seconds, seed: 5, leads: 4, fsHz: 1000, snrFmDb: -9, snrMnDb: 9 });
const edf = fecg.encodeEdf(sim.recording);
sim.recording.delete();
console.log(`recording: ${seconds} s, 4 leads, 1000 Hz, EDF ${(edf.length / 1e6).toFixed(2)} MB; ${runs} runs per method (median)`);

const methods = ['ts', 'ica', 'ts-ica'];
const modelCard = join(root, 'models', 'fhnet.json');
let model = null;
if (existsSync(modelCard)) {
  const card = readFileSync(modelCard, 'utf8');
  model = fecg.loadFhnet(card, new Uint8Array(readFileSync(join(root, 'models', JSON.parse(card).files.weights.path))));
  methods.push('fhnet');
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
  console.log(`${method.padEnd(6)} end to end ${median(total).toFixed(0).padStart(5)} ms  (open ${median(open).toFixed(0)} ms;` +
    ` stages: preprocess ${t.preprocessMs.toFixed(0)}, maternal ${t.maternalMs.toFixed(0)}, extract ${t.extractMs.toFixed(0)},` +
    ` fetal ${t.fetalMs.toFixed(0)}, heart rate ${t.heartRateMs.toFixed(0)}, output ${t.outputMs.toFixed(0)} ms)  F1 ${f1.toFixed(3)}`);
  last.delete();
}
if (model) model.delete();
