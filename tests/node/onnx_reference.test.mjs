// ONNX Runtime (onnxruntime-node, CPU) agrees with torch on the reference vectors written by
// scripts/fhnet/export.py: every output within the card's tolerance (1e-4 absolute, normalised
// units) for every lead count in the vectors. Run: node --test tests/node/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { readSafetensors } from './safetensors.mjs';

const modelsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'models');
const card = JSON.parse(readFileSync(join(modelsDir, 'fhnet.json'), 'utf8'));
const { tensors } = readSafetensors(join(modelsDir, card.files.test_vectors.path));
const tolerance = card.test_vectors.tolerance_abs;

function maxAbsDiff(a, b) {
  assert.equal(a.length, b.length, 'output sizes differ');
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = d;  // NaN propagates as a failure
  }
  return worst;
}

test('model card names the ONNX inputs and outputs', async () => {
  const session = await ort.InferenceSession.create(join(modelsDir, card.files.onnx.path));
  assert.deepEqual(session.inputNames, card.inputs.map((i) => i.name));
  assert.deepEqual(session.outputNames, card.outputs.map((o) => o.name));
});

for (const k of card.test_vectors.leads) {
  test(`onnxruntime-node matches torch within ${tolerance} for K = ${k}`, async () => {
    const session = await ort.InferenceSession.create(join(modelsDir, card.files.onnx.path),
      { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const x = tensors[`k${k}.x`];
    const result = await session.run({ x: new ort.Tensor('float32', x.data, x.shape) });
    for (const name of session.outputNames) {
      const want = tensors[`k${k}.${name}`];
      assert.ok(want, `test vectors lack k${k}.${name}`);
      assert.deepEqual(Array.from(result[name].dims), want.shape, `${name} shape`);
      const diff = maxAbsDiff(result[name].data, want.data);
      assert.ok(diff <= tolerance, `${name}: max |ORT - torch| = ${diff.toExponential(2)} > ${tolerance}`);
    }
  });
}
