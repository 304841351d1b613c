// The WebAssembly module's JS API (build/wasm/fecg.js + fecg.wasm, typed in web/fecg.d.ts):
// round trips through the core's own EDF writer against the simulator's truth, real records
// (ADFECGDB r01, Challenge 2013 a01) scored against their reference annotations and compared beat
// by beat with the native CLI, exports read back, bad input, cancellation and FHNet.
// Run: node --test tests/node/   (after scripts/build.sh wasm; scripts/test.sh does both)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readSafetensors } from './safetensors.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmPath = join(root, 'build', 'wasm', 'fecg.wasm');
const nativeCli = join(root, 'build', 'native', 'fecg');
const dataDir = join(root, '..', 'shared', 'data');
const modelsDir = join(root, 'models');

const missingWasm = existsSync(wasmPath) ? false : `${wasmPath} is missing: build it with scripts/build.sh wasm`;
let fecg = null;
if (!missingWasm) {
  const { default: createFecgModule } = await import(pathToFileURL(join(root, 'build', 'wasm', 'fecg.js')).href);
  // Node 20 cannot fetch() a file path, so the module is handed its binary.
  fecg = await createFecgModule({ wasmBinary: readFileSync(wasmPath) });
}

const r01 = join(dataDir, 'adfecgdb', 'r01.edf');
const a01 = join(dataDir, 'challenge2013', 'a01.hea');
const noR01 = existsSync(r01) ? false : `${r01} absent (real data not shared here)`;
const noA01 = existsSync(a01) ? false : `${a01} absent (real data not shared here)`;

// A short seeded simulation, clean enough that every classical method finds the fetal beats.
function simulateShort(seconds = 20) {
  return fecg.simulate({ seconds, seed: 11, leads: 4, fsHz: 1000, snrFmDb: -9, snrMnDb: 9 });
}

// Runs the native CLI on the same file and returns its fetal beats (the .fqrs it writes).
function nativeFetalBeats(path, name) {
  const out = mkdtempSync(join(tmpdir(), 'fecg-wasm-test-'));
  try {
    execFileSync(nativeCli, ['extract', path, '--out', out, '--method', 'ts-ica', '--quiet']);
    return fecg.parseAnnotations(new Uint8Array(readFileSync(join(out, `${name}.fqrs`)))).beats;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

// Beat trains equal within `tolerance` samples, element by element.
function assertSameBeats(wasm, native, tolerance) {
  assert.equal(wasm.length, native.length, `WASM found ${wasm.length} fetal beats, native ${native.length}`);
  let worst = 0;
  for (let i = 0; i < wasm.length; i++) worst = Math.max(worst, Math.abs(wasm[i] - native[i]));
  assert.ok(worst <= tolerance, `WASM and native beats differ by up to ${worst} samples (allowed ${tolerance})`);
}

test('the glue code never evaluates strings (the page\'s CSP forbids unsafe-eval)', { skip: missingWasm }, () => {
  // Embind builds its invokers with new Function() unless linked with -sDYNAMIC_EXECUTION=0.
  const glue = readFileSync(join(root, 'build', 'wasm', 'fecg.js'), 'utf8');
  assert.doesNotMatch(glue, /new Function\s*\(|\beval\s*\(/);
});

test('version is the project version', { skip: missingWasm }, () => {
  assert.match(fecg.version(), /^\d+\.\d+\.\d+$/);
});

test('simulated recording → encodeEdf → openRecording keeps rate, leads and samples; analyze finds the fetal beats',
  { skip: missingWasm }, () => {
    const sim = simulateShort();
    const edf = fecg.encodeEdf(sim.recording);
    assert.ok(edf instanceof Uint8Array && edf.length > 256);
    const rec = fecg.openRecording(edf, 'sim.edf', {});
    try {
      assert.equal(rec.fsHz, 1000);
      assert.equal(rec.nLeads, 4);
      assert.equal(rec.nSamples, sim.recording.nSamples);
      assert.deepEqual(rec.leadNames(), sim.recording.leadNames());
      for (let k = 0; k < rec.nLeads; k++) {
        const want = sim.recording.lead(k);
        const got = rec.lead(k);
        assert.equal(got.length, want.length);
        // 16-bit EDF: a quantisation step of (max - min) / 65535; half a step plus float rounding.
        let lo = Infinity, hi = -Infinity, worst = 0;
        for (const v of want) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        assert.ok(worst <= (hi - lo) / 65535 * 0.5 + 1e-3 * (hi - lo) / 65535 + 1e-3,
          `lead ${k}: EDF round trip differs by ${worst} µV`);
      }
      const res = fecg.analyze(rec, { method: 'ts-ica' });
      try {
        const score = fecg.scoreBeats(sim.fetalPeaks, res.fetalBeats(), rec.fsHz);
        assert.ok(score.f1 >= 0.95, `fetal-beat F1 ${score.f1} < 0.95 on the simulated EDF`);
        assert.ok(Math.abs(res.fhr.meanBpm - sim.fetalBpm) <= 2,
          `mean FHR ${res.fhr.meanBpm} vs truth ${sim.fetalBpm} bpm`);
        assert.equal(res.fecg(0).length, rec.nSamples);
        assert.equal(sim.fetalTruthLeads.length, 4);
        assert.equal(sim.fetalTruthLeads[0].length, rec.nSamples);
      } finally {
        res.delete();
      }
    } finally {
      rec.delete();
      sim.recording.delete();
    }
  });

test('every classical method runs through the module', { skip: missingWasm }, () => {
  const sim = simulateShort();
  try {
    for (const method of ['ts', 'ica', 'ts-ica']) {
      const res = fecg.analyze(sim.recording, { method, abdominal: [0, 1, 2, 3], reference: -1, powerlineHz: -1 });
      try {
        assert.equal(res.method, method);
        assert.equal(res.nLeads, 4);
        const f1 = fecg.scoreBeats(sim.fetalPeaks, res.fetalBeats(), 1000).f1;
        // ICA alone is the weakest method (maternal residue); TS and TS-ICA must be near perfect.
        assert.ok(f1 >= (method === 'ica' ? 0.5 : 0.95), `${method}: F1 ${f1}`);
      } finally {
        res.delete();
      }
    }
  } finally {
    sim.recording.delete();
  }
});

test('exports read back: fqrs annotations, summary JSON, FHR and fECG CSV', { skip: missingWasm }, () => {
  const sim = simulateShort();
  const res = fecg.analyze(sim.recording, { method: 'ts-ica', recordName: 'sim' });
  try {
    const beats = res.fetalBeats();
    assert.deepEqual(Array.from(fecg.parseAnnotations(res.fqrsBytes()).beats), Array.from(beats));
    assert.deepEqual(Array.from(fecg.parseAnnotations(res.mqrsBytes()).beats), Array.from(res.maternalBeats()));
    const summary = JSON.parse(res.summaryJson());
    assert.equal(summary.fetal.n_beats, beats.length);
    assert.ok(res.fhr.meanBpm !== null, 'a clean simulation has reliable windows');
    assert.ok(Math.abs(summary.fetal.mean_bpm - res.fhr.meanBpm) < 1e-3);
    assert.equal(summary.fetal.from_reliable_windows, true);
    assert.equal(summary.fetal.n_windows, res.quality.windows.length);
    assert.equal(summary.fetal.reliable_windows, res.quality.windows.filter((w) => w.reliable).length);
    for (const w of res.quality.windows) {
      assert.equal(typeof w.confidence, 'number');
      assert.ok(w.confidence >= 0 && w.confidence <= 1);
      assert.equal(w.reliable, w.whyUnreliable === '');
    }
    const fhrLines = res.fhrCsv().trim().split('\n');
    assert.equal(fhrLines[0], 'time_s,fhr_bpm,fhr_smooth_bpm,outlier,reliable');
    // The reliable column agrees with fhr.reliable.
    assert.deepEqual(fhrLines.slice(1).map((l) => Number(l.split(',')[4])), Array.from(res.fhr.reliable));
    assert.equal(fhrLines.length - 1, res.fhr.bpm.length);
    assert.equal(res.fhr.bpm.length, beats.length - 1);
    const fecgCsv = fecg.openRecording(new TextEncoder().encode(res.fecgCsv()), 'fecg.csv');
    try {
      assert.equal(fecgCsv.nLeads, res.nLeads);
      assert.equal(fecgCsv.nSamples, sim.recording.nSamples);
      assert.ok(Math.abs(fecgCsv.fsHz - 1000) < 1e-6);
    } finally {
      fecgCsv.delete();
    }
    const q = res.quality;
    assert.ok(q.sqi >= 0 && q.sqi <= 1);
    assert.equal(q.perLead.length, 4);
    assert.equal(q.windows.length, 2);  // 20 s in 10 s windows
    assert.ok(res.timings.totalMs > 0);
    assert.equal(res.rpeakProb().length, 0);  // only FHNet gives one
  } finally {
    res.delete();
    sim.recording.delete();
  }
});

test('ADFECGDB r01.edf: F1 against the reference ≥ native − 0.01, beats equal to the native CLI',
  { skip: missingWasm || noR01 }, () => {
    const rec = fecg.openRecording(new Uint8Array(readFileSync(r01)), 'r01.edf');
    try {
      const roles = rec.guessRoles();
      assert.deepEqual(roles, { abdominal: [1, 2, 3, 4], reference: 0 });
      const res = fecg.analyze(rec, { method: 'ts-ica', ...roles });
      try {
        const reference = fecg.parseAnnotations(new Uint8Array(readFileSync(`${r01}.qrs`))).beats;
        const f1 = fecg.scoreBeats(reference, res.fetalBeats(), rec.fsHz).f1;
        // Native TS-ICA on r01: F1 0.998 (fecg extract r01.edf --ref r01.edf.qrs).
        assert.ok(f1 >= 0.998 - 0.01, `r01 F1 ${f1}`);
        if (existsSync(nativeCli)) assertSameBeats(res.fetalBeats(), nativeFetalBeats(r01, 'r01'), 1);
      } finally {
        res.delete();
      }
    } finally {
      rec.delete();
    }
  });

test('Challenge 2013 a01 (.hea + .dat): F1 against the reference ≥ native − 0.01, beats equal to the native CLI',
  { skip: missingWasm || noA01 }, () => {
    const dat = new Uint8Array(readFileSync(a01.replace(/\.hea$/, '.dat')));
    const rec = fecg.openWfdb(readFileSync(a01, 'utf8'), new Map([['a01.dat', dat]]));
    try {
      assert.equal(rec.nLeads, 4);
      assert.equal(rec.fsHz, 1000);
      const res = fecg.analyze(rec, { method: 'ts-ica' });
      try {
        const reference = fecg.parseAnnotations(new Uint8Array(readFileSync(a01.replace(/\.hea$/, '.fqrs')))).beats;
        const f1 = fecg.scoreBeats(reference, res.fetalBeats(), rec.fsHz).f1;
        // Native TS-ICA (in the classical pool) on a01: F1 0.990.
        assert.ok(f1 >= 0.990 - 0.01, `a01 F1 ${f1}`);
        if (existsSync(nativeCli)) assertSameBeats(res.fetalBeats(), nativeFetalBeats(a01, 'a01'), 1);
      } finally {
        res.delete();
      }
    } finally {
      rec.delete();
    }
    // The plain-object form of the file set works too.
    const again = fecg.openWfdb(readFileSync(a01, 'utf8'), { 'a01.dat': dat });
    assert.equal(again.nSamples, 60000);
    again.delete();
  });

// A bad call must throw an Error naming the problem, and the module must keep working.
function assertThrowsNamed(fn, pattern) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Error, `expected an Error, got ${typeof e}: ${e}`);
    assert.match(e.message, pattern);
    return true;
  });
}
function assertStillWorks() {
  const sim = fecg.simulate({ seconds: 6, seed: 3, leads: 2, fsHz: 500, snrFmDb: -6, snrMnDb: 12 });
  const res = fecg.analyze(sim.recording, { method: 'ts' });
  assert.ok(res.fetalBeats().length > 5);
  res.delete();
  sim.recording.delete();
}

test('bad input gives a JS Error naming the problem, and the module keeps working', { skip: missingWasm }, () => {
  const garbage = new Uint8Array(4096).map((_, i) => (i * 7919) % 251);
  assertThrowsNamed(() => fecg.openRecording(garbage, 'noise.edf'), /edf/i);
  assertStillWorks();
  assertThrowsNamed(() => fecg.openRecording(garbage, 'noise.bin'), /cannot tell the format/);
  assertThrowsNamed(() => fecg.openRecording(new Uint8Array(0), 'empty.edf'), /empty/);
  assertThrowsNamed(() => fecg.openRecording('not bytes', 'x.edf'), /Uint8Array/);

  const sim = simulateShort(6);
  const edf = fecg.encodeEdf(sim.recording);
  sim.recording.delete();
  assertThrowsNamed(() => fecg.openRecording(edf.subarray(0, 200), 'cut.edf'), /edf/i);   // inside the header
  assertThrowsNamed(() => fecg.openRecording(edf.subarray(0, edf.length - 1000), 'cut.edf'), /edf/i);  // data cut
  assertStillWorks();

  const csv = new TextEncoder().encode('a,b\n1,2\n3,4\n5,6\n');
  assertThrowsNamed(() => fecg.openRecording(csv, 'x.csv'), /rate|fs/i);
  assertThrowsNamed(() => fecg.openRecording(csv, 'x.csv', { fs_hz: 250 }), /unknown option 'fs_hz'/);
  assertThrowsNamed(() => fecg.openRecording(csv, 'x.csv', { fsHz: -1 }), /fsHz/);
  const ok = fecg.openRecording(csv, 'x.csv', { fsHz: 250, units: 'mV' });
  assert.equal(ok.lead(0)[1], 3000);  // mV → µV
  assertThrowsNamed(() => fecg.analyze(ok, {}), /at least 5/);  // 3 samples cannot be analysed
  assertThrowsNamed(() => ok.lead(5), /out of range/);
  ok.delete();

  assertThrowsNamed(() => fecg.openWfdb('a01 1 1000 60000\na01.dat 16 200 12 0 0 0 0 ch1\n', {}), /a01\.dat/);
  assertThrowsNamed(() => fecg.openRecording(garbage, 'a01.hea'), /openWfdb/);

  const sim2 = simulateShort(8);
  assertThrowsNamed(() => fecg.analyze(sim2.recording, { method: 'pca' }), /pca/);
  assertThrowsNamed(() => fecg.analyze(sim2.recording, { abdominal: [0, 9] }), /abdominal\[1\]/);
  assertThrowsNamed(() => fecg.analyze(sim2.recording, { method: 'fhnet' }), /loadFhnet/);
  assertThrowsNamed(() => fecg.analyze(sim2.recording, { powerlineHz: 55 }), /powerlineHz/);
  sim2.recording.delete();
  assertThrowsNamed(() => fecg.simulate({ seconds: 0 }), /duration|seconds/i);
  assertThrowsNamed(() => fecg.loadFhnet('{}', new Uint8Array(10)), /fhnet|card|safetensors/i);
  assertStillWorks();
});

test('cancel: onProgress returning false stops analyze with an AbortError; progress rises to 1', { skip: missingWasm }, () => {
  const sim = simulateShort(10);
  try {
    const seen = [];
    const res = fecg.analyze(sim.recording, { method: 'ts-ica' }, (fraction, stage) => {
      seen.push([fraction, stage]);
      return true;
    });
    res.delete();
    assert.ok(seen.length >= 3, `only ${seen.length} progress reports`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i][1] !== undefined && seen[i][0] >= seen[i - 1][0]);
    assert.ok(Math.abs(seen[seen.length - 1][0] - 1) < 1e-9);

    let calls = 0;
    assert.throws(() => fecg.analyze(sim.recording, { method: 'ts-ica' }, () => (++calls < 2)), (e) => {
      assert.equal(e.name, 'AbortError');
      assert.match(e.message, /cancelled/);
      return true;
    });
    assert.equal(calls, 2);

    // A callback that throws stops the analysis with an Error carrying its message.
    assertThrowsNamed(() => fecg.analyze(sim.recording, {}, () => { throw new Error('worker torn down'); }),
      /onProgress threw: worker torn down/);
  } finally {
    sim.recording.delete();
  }
  assertStillWorks();
});

const cardPath = join(modelsDir, 'fhnet.json');
const noModel = existsSync(cardPath) ? false : `${cardPath} absent`;
test('FHNet: loadFhnet + analyze(method fhnet) gives an R-peak probability at 250 Hz', { skip: missingWasm || noModel }, () => {
  const card = readFileSync(cardPath, 'utf8');
  const weights = new Uint8Array(readFileSync(join(modelsDir, JSON.parse(card).files.weights.path)));
  const model = fecg.loadFhnet(card, weights);
  const sim = simulateShort(10);
  try {
    assert.equal(model.window, 1024);
    assert.equal(model.weightsSha256, JSON.parse(card).files.weights.sha256);
    const res = fecg.analyze(sim.recording, { method: 'fhnet', model });
    try {
      assert.equal(res.method, 'fhnet');
      const prob = res.rpeakProb();
      assert.equal(prob.length, 2500);  // 10 s at 250 Hz
      assert.ok(prob.every((p) => p >= 0 && p <= 1));
      assert.equal(res.fecg(0).length, 10000);
    } finally {
      res.delete();
    }
    const tampered = weights.slice();
    tampered[tampered.length - 1] ^= 1;
    assertThrowsNamed(() => fecg.loadFhnet(card, tampered), /sha256/i);
  } finally {
    sim.recording.delete();
    model.delete();
  }
});

test('FHNet: FhnetModel.run matches the torch reference vectors within the card tolerance', { skip: missingWasm || noModel }, () => {
  const card = JSON.parse(readFileSync(cardPath, 'utf8'));
  const model = fecg.loadFhnet(JSON.stringify(card),
    new Uint8Array(readFileSync(join(modelsDir, card.files.weights.path))));
  try {
    const { tensors } = readSafetensors(join(modelsDir, card.files.test_vectors.path));
    const names = { fecg: 'fecg', rpeakProb: 'rpeak_prob', leadAttention: 'lead_attention', leadWeights: 'lead_weights' };
    for (const k of card.test_vectors.leads) {
      const x = tensors[`k${k}.x`];
      const out = model.run(x.data, x.shape[0], k);
      for (const [ours, theirs] of Object.entries(names)) {
        const want = tensors[`k${k}.${theirs}`].data;
        assert.equal(out[ours].length, want.length, `K=${k} ${ours} size`);
        let worst = 0;
        for (let i = 0; i < want.length; i++) {
          const d = Math.abs(out[ours][i] - want[i]);
          if (!(d <= worst)) worst = d;  // NaN propagates as a failure
        }
        assert.ok(worst <= card.test_vectors.tolerance_abs, `K=${k} ${ours}: max |WASM - torch| = ${worst}`);
      }
    }
    assertThrowsNamed(() => model.run(new Float32Array(10), 1, 4), /expected batch × leads × window/);
    assertThrowsNamed(() => model.run(new Float32Array(9 * 1024), 1, 9), /leads in 1\.\.8/);
  } finally {
    model.delete();
  }
});

test('defaultMethod: the one rule of the core on the model card', { skip: missingWasm }, () => {
  const card = readFileSync(join(modelsDir, 'fhnet.json'), 'utf8');
  assert.deepEqual({ ...fecg.defaultMethod(card) }, { trained: true, method: 'fhnet' });
  const untrained = JSON.parse(card);
  untrained.training.trained = false;
  assert.deepEqual({ ...fecg.defaultMethod(JSON.stringify(untrained)) }, { trained: false, method: 'ts-ica' });
  assert.deepEqual({ ...fecg.defaultMethod('') }, { trained: false, method: 'ts-ica' });
  assert.throws(() => fecg.defaultMethod('{not json'), /card/);
});
