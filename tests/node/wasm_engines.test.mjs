// FHNet on another engine through the WebAssembly module's two-phase API (web/fecg.d.ts):
// captureFhnetWindows → the network elsewhere → analyze({engineOutputs}). With our own engine's
// outputs (FhnetModel.run on the captured windows) the two phases must reproduce the one-phase
// analyze({model}) result: same windows, same fetal beats, same fECG and R-peak probability. Outputs
// that belong to another recording, or are malformed, are refused with a message. onnxruntime-node
// (the same ONNX graph the page runs with ONNX Runtime Web) gives the same beats.
// Run: node --test tests/node/   (after scripts/build.sh wasm)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmPath = join(root, 'build', 'wasm', 'fecg.wasm');
const modelsDir = join(root, 'models');
const cardPath = join(modelsDir, 'fhnet.json');

const skip = !existsSync(wasmPath) ? `${wasmPath} is missing: build it with scripts/build.sh wasm`
  : !existsSync(cardPath) ? `${cardPath} absent` : false;
let fecg = null, card = null, cardText = '', weights = null, model = null;
if (!skip) {
  const { default: createFecgModule } = await import(pathToFileURL(join(root, 'build', 'wasm', 'fecg.js')).href);
  fecg = await createFecgModule({ wasmBinary: readFileSync(wasmPath) });
  cardText = readFileSync(cardPath, 'utf8');
  card = JSON.parse(cardText);
  weights = new Uint8Array(readFileSync(join(modelsDir, card.files.weights.path)));
  model = fecg.loadFhnet(cardText, weights);
}

// Our engine on captured windows, the way web/worker.js runs any engine: runs of windows with the
// same lead count, at most 8 per call.
function runOurs(w) {
  const fecgOut = new Float32Array(w.x.length), prob = new Float32Array(w.nWindows * w.window);
  let offset = 0;
  for (let i = 0; i < w.nWindows;) {
    const leads = w.leads[i];
    let n = 1;
    while (n < 8 && i + n < w.nWindows && w.leads[i + n] === leads) n++;
    const size = n * leads * w.window;
    const out = model.run(w.x.subarray(offset, offset + size), n, leads);
    fecgOut.set(out.fecg, offset);
    prob.set(out.rpeakProb, i * w.window);
    offset += size;
    i += n;
  }
  return { fecg: fecgOut, rpeakProb: prob };
}

function maxAbsDiff(a, b) {
  assert.equal(a.length, b.length, 'lengths differ');
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = d;  // NaN propagates as a failure
  }
  return worst;
}

function maxAbs(a) {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function assertThrowsMessage(fn, pattern) {
  assert.throws(fn, (e) => {
    assert.match(e.message, pattern);
    return true;
  });
}

// Both results agree: identical beats, and fECG per lead within `relTol` of the lead's peak (µV;
// for equal network outputs only float rounding differs).
function assertSameResult(a, b, relTol, what) {
  assert.deepEqual(Array.from(b.fetalBeats()), Array.from(a.fetalBeats()), `${what}: fetal beats`);
  assert.deepEqual(Array.from(b.maternalBeats()), Array.from(a.maternalBeats()), `${what}: maternal beats`);
  assert.equal(b.nLeads, a.nLeads);
  for (let k = 0; k < a.nLeads; k++) {
    const fa = a.fecg(k), fb = b.fecg(k);
    const d = maxAbsDiff(fa, fb);
    assert.ok(d <= relTol * maxAbs(fa), `${what}: lead ${k} fECG differs by ${d} µV (peak ${maxAbs(fa)} µV)`);
  }
  assert.ok(maxAbsDiff(a.rpeakProb(), b.rpeakProb()) <= 1e-6, `${what}: R-peak probability`);
  assert.ok(Math.abs(a.fhr.meanBpm - b.fhr.meanBpm) <= 1e-9, `${what}: mean FHR`);
}

test('two phases with our engine\'s outputs reproduce the one-phase FHNet result', { skip }, () => {
  const sim = fecg.simulate({ seconds: 30, seed: 5, leads: 4, fsHz: 1000, snrFmDb: -9, snrMnDb: 6 });
  const rec = sim.recording;
  const options = { abdominal: [0, 1, 2, 3], reference: -1, powerlineHz: -1 };
  const direct = fecg.analyze(rec, { ...options, method: 'fhnet', model });
  const w = fecg.captureFhnetWindows(rec, options);
  try {
    // 30 s at 250 Hz = 7500 samples, 1024-sample windows every 768: starts 0, 768, ..., 6144 and
    // the last moved back to 7500 - 1024 = 6476 (pipeline/fhnet_stage.h).
    assert.equal(w.window, 1024);
    assert.equal(w.fsHz, 250);
    assert.equal(w.nWindows, 10);
    assert.deepEqual(Array.from(w.leads), new Array(10).fill(4));
    assert.equal(w.x.length, 10 * 4 * 1024);
    const outs = runOurs(w);
    const replayed = fecg.analyze(rec, { ...options, method: 'fhnet', engineOutputs: { ...w, ...outs } });
    try {
      assertSameResult(direct, replayed, 1e-6, 'replay of our engine');
    } finally {
      replayed.delete();
    }
  } finally {
    direct.delete();
    rec.delete();
  }
});

test('more than 8 leads: windows per lead group, replayed in order', { skip }, () => {
  const sim = fecg.simulate({ seconds: 10, seed: 3, leads: 10, fsHz: 500, snrFmDb: -9, snrMnDb: 6 });
  const rec = sim.recording;
  const options = { abdominal: [...Array(10).keys()], reference: -1 };
  const w = fecg.captureFhnetWindows(rec, options);
  try {
    // 10 leads → 2 groups of 5 (lead i → group i mod 2); 2500 samples → windows at 0, 768, 1476.
    assert.deepEqual(Array.from(w.leads), new Array(6).fill(5));
    const direct = fecg.analyze(rec, { ...options, method: 'fhnet', model });
    const replayed = fecg.analyze(rec, { ...options, method: 'fhnet', engineOutputs: { ...w, ...runOurs(w) } });
    assertSameResult(direct, replayed, 1e-6, '10 leads');
    direct.delete();
    replayed.delete();
  } finally {
    rec.delete();
  }
});

test('outputs of another recording or malformed outputs are refused with a clear message', { skip }, () => {
  const a = fecg.simulate({ seconds: 12, seed: 1, leads: 3, fsHz: 500 }).recording;
  const b = fecg.simulate({ seconds: 12, seed: 2, leads: 3, fsHz: 500 }).recording;
  const c = fecg.simulate({ seconds: 20, seed: 1, leads: 3, fsHz: 500 }).recording;
  try {
    const w = fecg.captureFhnetWindows(a, {});
    const outs = runOurs(w);
    const ok = fecg.analyze(a, { method: 'fhnet', engineOutputs: { ...w, ...outs } });
    ok.delete();
    assertThrowsMessage(() => fecg.analyze(b, { method: 'fhnet', engineOutputs: { ...w, ...outs } }),
      /window 0 differs from the recorded one/);
    assertThrowsMessage(() => fecg.analyze(c, { method: 'fhnet', engineOutputs: { ...w, ...outs } }),
      /asks for window|differs/);
    assertThrowsMessage(() => fecg.analyze(a, { method: 'fhnet', abdominal: [0, 1], engineOutputs: { ...w, ...outs } }),
      /recorded with 3 leads|differs/);
    const short = { ...w, ...outs, rpeakProb: outs.rpeakProb.subarray(1) };
    assertThrowsMessage(() => fecg.analyze(a, { method: 'fhnet', engineOutputs: short }), /R-peak probabilities hold/);
    const logits = { ...w, ...outs, rpeakProb: outs.rpeakProb.map((p) => 4 * p - 2) };
    assertThrowsMessage(() => fecg.analyze(a, { method: 'fhnet', engineOutputs: logits }), /outside 0\.\.1/);
    const nan = outs.fecg.slice();
    nan[5] = NaN;
    assertThrowsMessage(() => fecg.analyze(a, { method: 'fhnet', engineOutputs: { ...w, ...outs, fecg: nan } }), /non-finite/);
    assertThrowsMessage(() => fecg.analyze(a, { method: 'fhnet', engineOutputs: { ...w, fecg: outs.fecg } }),
      /missing 'rpeakProb'/);
    assertThrowsMessage(() => fecg.analyze(a, { method: 'fhnet', engineOutputs: { ...w, ...outs, fecg: Array.from(outs.fecg) } }),
      /Float32Array/);
    assertThrowsMessage(() => fecg.analyze(a, { method: 'fhnet', model, engineOutputs: { ...w, ...outs } }), /either/);
    assertThrowsMessage(() => fecg.analyze(a, { method: 'ts', engineOutputs: { ...w, ...outs } }), /for method 'fhnet'/);
    assertThrowsMessage(() => fecg.captureFhnetWindows(a, { method: 'ica' }), /method 'fhnet', not 'ica'/);
    assertThrowsMessage(() => fecg.captureFhnetWindows(a, { model }), /unknown option 'model'/);
    // Progress and cancellation work in the capturing phase too.
    assert.throws(() => fecg.captureFhnetWindows(a, {}, () => false), (e) => e.name === 'AbortError');
  } finally {
    a.delete(); b.delete(); c.delete();
  }
});

test('sha256Hex agrees with node:crypto and the model card', { skip }, () => {
  assert.equal(fecg.sha256Hex(new Uint8Array(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(fecg.sha256Hex(weights), createHash('sha256').update(weights).digest('hex'));
  assert.equal(fecg.sha256Hex(weights), card.files.weights.sha256);
  const onnx = readFileSync(join(modelsDir, card.files.onnx.path));
  assert.equal(fecg.sha256Hex(new Uint8Array(onnx)), card.files.onnx.sha256);
});

test('onnxruntime-node on the captured windows: the same beats as our engine, outputs within 1e-4', { skip }, async (t) => {
  let ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (e) {
    t.skip(`onnxruntime-node not installed: ${e.message}`);
    return;
  }
  const session = await ort.InferenceSession.create(join(modelsDir, card.files.onnx.path),
    { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const sim = fecg.simulate({ seconds: 30, seed: 9, leads: 4, fsHz: 1000, snrFmDb: -9, snrMnDb: 6 });
  const rec = sim.recording;
  try {
    const w = fecg.captureFhnetWindows(rec, {});
    const ours = runOurs(w);
    const out = await session.run({ x: new ort.Tensor('float32', w.x, [w.nWindows, w.leads[0], w.window]) });
    const theirs = { fecg: out.fecg.data, rpeakProb: out.rpeak_prob.data };
    const tol = card.test_vectors.tolerance_abs;
    assert.ok(maxAbsDiff(ours.fecg, theirs.fecg) <= tol, 'fecg per window, normalised units');
    assert.ok(maxAbsDiff(ours.rpeakProb, theirs.rpeakProb) <= tol, 'rpeak_prob per window');
    const a = fecg.analyze(rec, { method: 'fhnet', engineOutputs: { ...w, ...ours } });
    const b = fecg.analyze(rec, { method: 'fhnet', engineOutputs: { ...w, ...theirs } });
    assert.deepEqual(Array.from(b.fetalBeats()), Array.from(a.fetalBeats()));
    a.delete();
    b.delete();
  } finally {
    rec.delete();
  }
});
