// The trial contract declared once: the data a command's trainings read (one builder for every
// command), the schemas a task, a recipe and a data spec are checked against, and the one way a
// failed trial is said.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataSpecSchema } from '../../src/core/dataset.js';
import { DataError, UsageError } from '../../src/core/errors.js';
import { defaultRecipe, openTrainRecipeSchema, trainRecipeSchema } from '../../src/core/recipe.js';
import { dataSpecFromOptions } from '../../src/data/data-options.js';
import { DATASET_NAMES, DATASETS } from '../../src/data/registry.js';
import { SEARCH_DEFAULTS, studyConfigFor } from '../../src/pipeline/search-options.js';
import { loadSpace } from '../../src/space/load.js';
import { failedResult } from '../../src/trial/result.js';
import { trialTaskSchema } from '../../src/trial/task.js';

const cnn = loadSpace('cnn-mnist');
const images = mkdtempSync(join(tmpdir(), 'ww-contract-'));

test('the data spec of a command: the dataset\'s own fields only, absent settings left out', () => {
  assert.deepEqual(dataSpecFromOptions({}, { space: cnn, seed: 3, maxTrain: 500, validationFraction: 0.2 }), { name: 'mnist', seed: 3, maxTrain: 500, validationFraction: 0.2 });
  assert.deepEqual(dataSpecFromOptions({ dataset: 'fashion-mnist', dataDir: '/d' }, { space: cnn }), { name: 'fashion-mnist', dataDir: '/d' });
  // An image folder takes the space's input (28x28x1 for cnn-mnist) and the bad-data policy given.
  assert.deepEqual(dataSpecFromOptions({ dataset: 'folder', dataDir: images, badImages: 'skip' }, { space: cnn, seed: 0 }), { name: 'folder', dataDir: images, seed: 0, imageShape: [28, 28, 1], badImages: 'skip' });
  assert.deepEqual(dataSpecFromOptions({ dataset: 'folder', dataDir: images }, { space: cnn }), { name: 'folder', dataDir: images, imageShape: [28, 28, 1] });
});

test('an image folder is checked before any work; an unknown dataset is refused naming the known ones', () => {
  assert.throws(() => dataSpecFromOptions({ dataset: 'folder' }, { space: cnn }), (err: Error) => err instanceof UsageError && /--dataset folder needs --data-dir/.test(err.message));
  assert.throws(() => dataSpecFromOptions({ dataset: 'folder', dataDir: join(images, 'missing') }, { space: cnn }), (err: Error) => err instanceof UsageError && /not a folder/.test(err.message));
  assert.throws(() => dataSpecFromOptions({ dataset: 'imagenet' }, { space: cnn }), (err: Error) => err instanceof DataError && /expected one of mnist, fashion-mnist/.test(err.message));
});

test('a search\'s proxy data comes from the same builder: as the search wrote it before (journals resume alike)', () => {
  const options = { ...SEARCH_DEFAULTS, dataset: 'folder', dataDir: images, badImages: 'fail' as const, seed: 5, workers: 2 };
  // Written out by hand from the search's former inline construction: name, folder, study seed, proxy cap, 0.1, then the folder fields.
  assert.deepEqual(studyConfigFor(options).data, { name: 'folder', dataDir: images, seed: 5, maxTrain: 3000, validationFraction: 0.1, imageShape: [28, 28, 1], badImages: 'fail' });
  assert.deepEqual(studyConfigFor({ ...SEARCH_DEFAULTS, workers: 2 }).data, { name: 'mnist', seed: 0, maxTrain: 3000, validationFraction: 0.1 });
});

test('the registry is the one list of datasets: every name has a reader, and only CIFAR augments by default', () => {
  assert.deepEqual(DATASET_NAMES, ['mnist', 'fashion-mnist', 'mnist-idx', 'cifar10', 'cifar100', 'folder', 'synthetic']);
  for (const name of DATASET_NAMES) assert.equal(typeof DATASETS[name].read, 'function', name);
  assert.deepEqual(DATASET_NAMES.filter((n) => DATASETS[n].augmentByDefault), ['cifar10', 'cifar100']);
  assert.deepEqual(DATASET_NAMES.filter((n) => DATASETS[n].loadUpFront), ['folder']);
});

test('recipe schemas: the strict one refuses unknown fields, the open one (checkpoints) keeps them at every level', () => {
  const recipe = { ...defaultRecipe(), optimizer: { name: 'sgd', momentum: 0.9, nesterov: true }, future: 1 };
  assert.equal(trainRecipeSchema.strict().safeParse(recipe).success, false);
  const kept = openTrainRecipeSchema.parse(recipe) as Record<string, unknown> & { optimizer: Record<string, unknown> };
  assert.equal(kept.future, 1);
  assert.equal(kept.optimizer.nesterov, true);
  assert.equal(trainRecipeSchema.safeParse({ ...defaultRecipe(), lr: -1 }).success, false);
  assert.equal(dataSpecSchema.safeParse({ name: 'mnist', validationFraction: 1 }).success, false);
});

test('a trial task: what the controller sends passes; a malformed one fails with the field named', () => {
  const task = { trialId: 0, space: cnn, widths: [8, 16, 32, 32], seed: 12345, data: { name: 'mnist', seed: 0, maxTrain: 300 }, recipe: defaultRecipe({ epochs: 1 }), backend: 'auto', recordEvery: 6 };
  assert.equal(trialTaskSchema.safeParse(task).success, true);
  // A final training's id is negative (pipeline/final-trainings): still a task.
  assert.equal(trialTaskSchema.safeParse({ ...task, trialId: -1, saveTo: '/runs/x/base' }).success, true);
  const bad = trialTaskSchema.safeParse({ ...task, backend: 'gpu', widths: [] });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error!.issues.map((i) => i.path.join('.')).sort(), ['backend', 'widths']);
});

test('a failed trial: its id, widths (a copy), reason, seconds since the start and the backend when known', () => {
  const widths = [4, 8];
  const r = failedResult({ trialId: 7, widths }, 'DataError: no files', performance.now() - 1500, 'wasm');
  assert.deepEqual({ ...r, seconds: undefined }, { trialId: 7, status: 'failed', reason: 'DataError: no files', widths: [4, 8], backend: 'wasm', seconds: undefined });
  assert.ok(r.seconds >= 1.5 && r.seconds < 60);
  assert.notEqual(r.widths, widths);
  assert.equal('backend' in failedResult({ trialId: 1, widths }, 'x', performance.now()), false);
});
