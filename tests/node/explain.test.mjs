// The explanation API of the WebAssembly module (Result.explanation, Result.explainWindow,
// Result.saliencyCsv; typed in web/fecg.d.ts, computed by src/pipeline/explain.h): shapes, the
// documented normalisations (rows sum to 1, saliency mean 1), agreement between the whole-record
// explanation and a window explained on demand, and the errors. The faithfulness of the
// explanations to the model is tested natively (tests/unit/test_explain.cpp).
// Run: node --test tests/node/   (after scripts/build.sh wasm)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmPath = join(root, 'build', 'wasm', 'fecg.wasm');
const cardPath = join(root, 'models', 'fhnet.json');
const skip = !existsSync(wasmPath) ? `${wasmPath} is missing: build it with scripts/build.sh wasm`
  : !existsSync(cardPath) ? `${cardPath} absent` : false;

let fecg = null;
let model = null;
if (!skip) {
  const { default: createFecgModule } = await import(pathToFileURL(join(root, 'build', 'wasm', 'fecg.js')).href);
  fecg = await createFecgModule({ wasmBinary: readFileSync(wasmPath) });
  const card = readFileSync(cardPath, 'utf8');
  model = fecg.loadFhnet(card, new Uint8Array(readFileSync(join(root, 'models', JSON.parse(card).files.weights.path))));
}

// Analyses a seeded 12 s, 3-lead simulation with FHNet and hands the result to `body`.
function withResult(options, body) {
  const sim = fecg.simulate({ seconds: 12, seed: 21, leads: 3, fsHz: 500, snrFmDb: -9, snrMnDb: 9 });
  try {
    const res = fecg.analyze(sim.recording, { method: 'fhnet', model, ...options });
    try {
      body(res);
    } finally {
      res.delete();
    }
  } finally {
    sim.recording.delete();
  }
}

function rowSums(matrix, cols) {
  const sums = [];
  for (let r = 0; r < matrix.length / cols; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += matrix[r * cols + c];
    sums.push(s);
  }
  return sums;
}

const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;

test('explanation(): attention contributions per window by default, rows summing to 1', { skip }, () => {
  withResult({}, (res) => {
    const e = res.explanation();
    assert.equal(e.fsHz, 250);
    assert.equal(e.window, 1024);
    assert.equal(e.hop, 768);
    assert.equal(e.nLeads, 3);
    // 12 s = 3000 samples at 250 Hz: every 768 samples, the last one flush with the end.
    assert.equal(res.preprocessed(0).length, 3000);
    assert.equal(e.nWindows, 4);
    assert.deepEqual(Array.from(e.windowStarts), [0, 768, 1536, 1976]);
    assert.equal(e.leadAttention.length, e.nWindows * 3);
    for (const s of rowSums(e.leadAttention, 3)) assert.ok(Math.abs(s - 1) < 1e-5, `row sum ${s}`);
    assert.ok(e.leadAttention.every((v) => v >= 0));
    assert.equal(e.leadOcclusion.length, 0);   // on request only
    assert.equal(e.saliency.length, 0);
    assert.equal(e.segment, 0);
    assert.ok(res.timings.explainMs >= 0);
    assert.match(res.summaryJson(), /"explain":\{"fs_hz":250,"window":1024,"hop":768/);
    assert.throws(() => res.saliencyCsv(), (err) => err.name === 'FecgError' && /no temporal saliency/.test(err.message));
  });
});

test('analyze({explain}) computes lead occlusion and the whole-record saliency; explainWindow agrees', { skip }, () => {
  withResult({ explain: { leadOcclusion: true, saliency: true } }, (res) => {
    const e = res.explanation();
    const n = res.preprocessed(0).length;
    assert.equal(e.segment, 32);
    assert.equal(e.leadOcclusion.length, e.nWindows * 3);
    for (const s of rowSums(e.leadOcclusion, 3)) assert.ok(Math.abs(s - 1) < 1e-5, `row sum ${s}`);
    assert.equal(e.occlusionFecgChange.length, e.nWindows * 3);
    assert.equal(e.occlusionRpeakChange.length, e.nWindows * 3);
    assert.equal(e.saliency.length, n);
    assert.equal(e.saliencyWindow.length, n);
    assert.ok(e.saliency.every((v) => v >= 0 && Number.isFinite(v)));
    assert.equal(e.saliencyWindow[0], 0);
    assert.equal(e.saliencyWindow[n - 1], e.nWindows - 1);

    // Window 1 on demand: the same numbers as the analysis computed.
    const w = res.explainWindow(1);
    assert.equal(w.index, 1);
    assert.equal(w.start, 768);
    assert.equal(w.startS, 768 / 250);
    assert.equal(w.window, 1024);
    assert.equal(w.segment, 32);
    assert.equal(w.saliency.length, 1024);
    assert.ok(Math.abs(mean(Array.from(w.saliency)) - 1) < 1e-4);
    assert.equal(w.segmentFecgChange.length, 32);
    assert.equal(w.segmentRpeakChange.length, 32);
    for (let k = 0; k < 3; k++) {
      assert.ok(Math.abs(w.leadAttention[k] - e.leadAttention[3 + k]) < 1e-4, `attention lead ${k}`);
      assert.ok(Math.abs(w.leadOcclusion[k] - e.leadOcclusion[3 + k]) < 1e-4, `occlusion lead ${k}`);
    }
    // The first 768 samples are covered by window 0 alone: the record's saliency is its map.
    const w0 = res.explainWindow(0, { leadOcclusion: false });
    assert.equal(w0.leadOcclusion.length, 0);
    let worst = 0;
    for (let i = 0; i < 768; i++) worst = Math.max(worst, Math.abs(w0.saliency[i] - e.saliency[i]));
    assert.ok(worst < 1e-4, `window 0 saliency differs from the record's by ${worst}`);

    const csv = res.saliencyCsv().trim().split('\n');
    assert.equal(csv[0], 'time_s,saliency,window');
    assert.equal(csv.length, n + 1);
    assert.match(csv[1], /^0\.000,[0-9.]+,0$/);
  });
});

test('explainWindow: errors name the problem and the module keeps working', { skip }, () => {
  withResult({}, (res) => {
    const check = (fn, pattern) => assert.throws(fn, (err) => err.name === 'FecgError' && pattern.test(err.message));
    check(() => res.explainWindow(99), /window 99 out of range \(the analysis has 4 windows/);
    check(() => res.explainWindow(0, { salience: true }), /unknown option 'salience'/);
    check(() => res.explainWindow(0, { saliency: 1 }), /'saliency' must be a boolean/);
    check(() => res.explainWindow(0, { saliencySegment: 0 }), /saliencySegment/);
    const w = res.explainWindow(0, { leadOcclusion: false, saliencySegment: 64 });
    assert.equal(w.segmentFecgChange.length, 16);
  });
  const sim = fecg.simulate({ seconds: 8, seed: 3 });
  try {
    const res = fecg.analyze(sim.recording, { method: 'ts-ica' });
    try {
      assert.equal(res.explanation().nWindows, 0);
      assert.throws(() => res.explainWindow(0), /only an analysis with method 'fhnet'/);
    } finally {
      res.delete();
    }
    assert.throws(() => fecg.analyze(sim.recording, { method: 'fhnet', model, explain: { occlusion: true } }),
      /analyze: explain: unknown option 'occlusion'/);
  } finally {
    sim.recording.delete();
  }
});
