// A resume must train on the data the saved training saw: same sizes are not enough.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../../src/core/errors.js';
import { initBackend } from '../../src/engine/backend.js';
import { loadDataset } from '../../src/data/registry.js';
import { loadSpace } from '../../src/space/index.js';
import { runTraining, type TrainingRequest, type TrainingSnapshot } from '../../src/train/run-training.js';
import { defaultRecipe } from '../../src/core/recipe.js';

before(async () => {
  await initBackend('wasm');
});

const synthetic = (seed: number) => loadDataset({ name: 'synthetic', seed, synthetic: { inputShape: [28, 28, 1], classes: 10, trainCount: 120, testCount: 20 } });

test('a snapshot resumes on its own data, and is refused on other data of the same size', async () => {
  const space = loadSpace('mlp-mnist');
  const request: TrainingRequest = { space, widths: [16, 8], seed: 1, data: { name: 'synthetic' }, recipe: defaultRecipe({ epochs: 2, batchSize: 30 }) };
  const own = await synthetic(1);
  const other = await synthetic(2);
  assert.equal(other.train.count, own.train.count);
  let snapshot: TrainingSnapshot | undefined;
  const whole = await runTraining(request, {}, { dataset: own, onCheckpoint: (s) => { snapshot ??= s; } });
  assert.ok(snapshot?.dataSha256, 'the snapshot carries the data fingerprint');
  await assert.rejects(runTraining({ ...request, resume: snapshot }, {}, { dataset: other }), (e: Error) => e instanceof DataError && /not the data the saved training saw: same sizes, other examples/.test(e.message));
  const resumed = await runTraining({ ...request, resume: snapshot }, {}, { dataset: own });
  assert.equal(resumed.trainLoss, whole.trainLoss);
  assert.equal(resumed.testAccuracy, whole.testAccuracy);
});
