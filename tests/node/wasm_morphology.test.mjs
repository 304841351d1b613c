// Result.morphology across the WASM boundary (web/fecg.d.ts Morphology): the averaged fetal beat,
// its marks and intervals on a seeded simulation, the same figures as the JSON summary (one core),
// the gestationalWeeks option, and a noise-only recording answered by nulls with reasons.
// Run: node --test tests/node/   (after scripts/build.sh wasm)
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

test('morphology: the averaged beat, marks and intervals, as in the JSON summary', { skip: missingWasm }, () => {
  const sim = fecg.simulate({ seconds: 60, seed: 5, leads: 4, fsHz: 1000, snrFmDb: -9, snrMnDb: 6 });
  const res = fecg.analyze(sim.recording, { method: 'ts-ica', gestationalWeeks: 38 });
  try {
    const m = res.morphology;
    assert.equal(m.computed, true, m.message);
    assert.ok(m.nBeats >= 80, `nBeats ${m.nBeats}`);
    assert.ok(m.fsHz >= 1000);
    assert.equal(m.beatUv.length, res.nLeads);
    assert.ok(m.beatUv[m.leadIndex] instanceof Float32Array);
    assert.equal(m.lead, res.leadNames()[m.leadIndex]);
    const f = m.fiducialsMs;
    assert.ok(f.qrsOn < 0 && f.qrsOff > 0, 'QRS brackets the R peak');
    const byKey = Object.fromEntries(m.intervals.map((iv) => [iv.key, iv]));
    const qrs = byKey.qrsMs;
    assert.ok(qrs.value > 20 && qrs.value < 120, `QRS ${qrs.value} ms`);
    assert.ok(Math.abs(qrs.value - (f.qrsOff - f.qrsOn)) < 1e-6);
    assert.equal(qrs.published.source, 'Chia et al. 2005');
    assert.equal(qrs.published.outsidePublishedRange, null);
    assert.ok(Math.abs(qrs.published.meanMs - 52.6) < 1e-9);
    const json = JSON.parse(res.summaryJson()).morphology;
    assert.equal(json.lead, m.lead);
    assert.equal(json.n_beats, m.nBeats);
    assert.ok(Math.abs(json.qrs_ms - qrs.value) < 1e-6);
    for (const iv of m.intervals) {
      if (iv.value === null) assert.ok(iv.whyMissing && iv.whyMissing.length > 0, `${iv.key} has a reason`);
      else assert.equal(iv.whyMissing, null);
    }
  } finally {
    res.delete();
    sim.recording.delete();
  }
});

test('morphology: bad gestationalWeeks is refused by name', { skip: missingWasm }, () => {
  const sim = fecg.simulate({ seconds: 20, seed: 6, leads: 2, fsHz: 500 });
  try {
    assert.throws(() => fecg.analyze(sim.recording, { method: 'ts-ica', gestationalWeeks: 90 }), /gestationalWeeks/);
  } finally {
    sim.recording.delete();
  }
});
