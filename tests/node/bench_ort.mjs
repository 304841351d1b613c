// Benchmark of ONNX Runtime (onnxruntime-node, CPU, 1 thread) on models/fhnet.onnx: milliseconds
// per window (batch 1, K leads), to compare with tools/bench_fhnet.cpp (our engine).
//   node tests/node/bench_ort.mjs [leads=4] [windows=300]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';

const leads = Number(process.argv[2] ?? 4);
const windows = Math.max(1, Number(process.argv[3] ?? 300));
const modelPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'models', 'fhnet.onnx');
const session = await ort.InferenceSession.create(modelPath, {
  intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
});

// Seeded input (xorshift + Box-Muller): the values do not change the work, only keep it honest.
let s = 1;
const uniform = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return ((s >>> 0) + 0.5) / 4294967296; };
const data = new Float32Array(leads * 1024);
for (let i = 0; i < data.length; i++) data[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
const feeds = { x: new ort.Tensor('float32', data, [1, leads, 1024]) };

for (let i = 0; i < 10; i++) await session.run(feeds);  // warm-up
const ms = [];
for (let rep = 0; rep < 5; rep++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < windows; i++) await session.run(feeds);
  ms.push(Number(process.hrtime.bigint() - t0) / 1e6 / windows);
}
ms.sort((a, b) => a - b);
console.log(`onnxruntime-node ${ort.env.versions.common} (CPU, 1 thread): K = ${leads}: ${ms[2].toFixed(3)} ms per window ` +
  `(median of 5 x ${windows}; min ${ms[0].toFixed(3)})`);
