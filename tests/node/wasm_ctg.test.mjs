// result.ctg of the WebAssembly module (web/fecg.d.ts CtgAnalysis): a 12-min simulated scenario
// with known events (simulate({fhrScenario})) against its truth, the 4 Hz CSV, and the honest
// nulls of a short recording. Run: node --test tests/node/   (after scripts/build.sh wasm)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmPath = join(root, 'build', 'wasm', 'fecg.wasm');
const missingWasm = existsSync(wasmPath) ? false : `${wasmPath} is missing: build it with scripts/build.sh wasm`;
let fecg = null;
if (!missingWasm) {
  const { default: createFecgModule } = await import(pathToFileURL(join(root, 'build', 'wasm', 'fecg.js')).href);
  fecg = await createFecgModule({ wasmBinary: readFileSync(wasmPath) });
}

test('result.ctg on a 12-min mixed scenario matches its truth', { skip: missingWasm }, () => {
  const sim = fecg.simulate({ seconds: 720, seed: 3, leads: 4, fsHz: 250, fhrScenario: 'mixed' });
  const truth = JSON.parse(sim.fhrTruthJson);
  const res = fecg.analyze(sim.recording, { method: 'ts-ica' });
  try {
    const ctg = res.ctg;
    assert.equal(ctg.series.rateHz, 4);
    assert.equal(ctg.series.fhrBpm.length, 720 * 4);
    assert.equal(ctg.series.reliable.length, 720 * 4);
    assert.equal(ctg.series.baselineBpm.length, 720 * 4);
    assert.ok(Math.abs(ctg.baselineBpm - truth.fhr_baseline_bpm) < 3, `${ctg.baselineBpm} vs ${truth.fhr_baseline_bpm}`);
    assert.equal(ctg.baselineMethod, 'mantel_1990');
    for (const type of ['acceleration', 'deceleration']) {
      const found = type === 'acceleration' ? ctg.accelerations : ctg.decelerations;
      const want = truth.fhr_events.filter((e) => e.type === type);
      assert.equal(found.length, want.length, type);
      for (const e of want) assert.ok(found.some((f) => f.startS < e.end_s && f.endS > e.start_s), `${type} at ${e.start_s} s`);
    }
    assert.equal(ctg.notClassified.length, 2);
    assert.deepEqual(ctg.whyMissing, {});
    // The JSON summary carries the same numbers.
    const json = JSON.parse(res.summaryJson()).ctg;
    assert.equal(json.baseline_bpm, ctg.baselineBpm);
    assert.equal(json.decelerations.length, ctg.decelerations.length);
    const csv = res.ctgCsv().trim().split('\n');
    assert.equal(csv[0], 'time_s,fhr_bpm,mhr_bpm,reliable');
    assert.equal(csv.length, 1 + 720 * 4);
  } finally {
    res.delete();
    sim.recording.delete();
  }
});

test('result.ctg on 20 s: the series, and null with a reason for what needs 10 min', { skip: missingWasm }, () => {
  const sim = fecg.simulate({ seconds: 20, seed: 11, leads: 4, fsHz: 1000 });
  assert.equal(sim.fhrTruthJson, null);
  const res = fecg.analyze(sim.recording, { method: 'ts-ica' });
  try {
    const ctg = res.ctg;
    assert.equal(ctg.series.fhrBpm.length, 80);
    assert.equal(ctg.baselineBpm, null);
    assert.equal(ctg.accelerations, null);
    assert.equal(ctg.stvMs, null);
    assert.match(ctg.whyMissing.baselineBpm, /10 min/);
    assert.ok(ctg.signalLossPct >= 0 && ctg.signalLossPct <= 100);
  } finally {
    res.delete();
    sim.recording.delete();
  }
  assert.throws(() => fecg.simulate({ seconds: 20, fhrScenario: 'wobbly' }), /steady, accelerations/);
});
