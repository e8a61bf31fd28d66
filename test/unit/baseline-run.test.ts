import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRecipe } from '../../src/core/recipe.js';
import { baselineJobs, runBaseline, type BaselineRequest } from '../../src/pipeline/baseline-run.js';
import { loadSpace } from '../../src/space/load.js';
import type { Evaluator } from '../../src/trial/evaluator.js';
import type { TrialResult } from '../../src/trial/result.js';
import type { TrialTask } from '../../src/trial/task.js';

const space = loadSpace('mlp-mnist');
// mlp-mnist's kernels by hand: 784 x 256 + 256 x 128 + 128 x 10 at base, 784 x 512 + 512 x 256 + 256 x 10 at x2.
const BASE_KERNELS = 784 * 256 + 256 * 128 + 128 * 10;
const WIDE_KERNELS = 784 * 512 + 512 * 256 + 256 * 10;

const request = (): BaselineRequest => ({
  space, scales: [1, 2], seeds: 2, recipe: defaultRecipe({ epochs: 1 }), backend: 'cpu',
  data: { name: 'mnist', maxTrain: 100 }, out: join(mkdtempSync(join(tmpdir(), 'ww-baseline-')), 'out'),
});

/** Test accuracy 0.8 for seed 0 and 0.9 for seed 1; a sparse task keeps its nonzero target. */
class SeedEvaluator implements Evaluator {
  readonly concurrency = 2;
  async evaluate(task: TrialTask): Promise<TrialResult> {
    const nonzeroWeights = task.sparseNonzero ?? (task.widths[0] === 256 ? BASE_KERNELS : WIDE_KERNELS);
    return {
      trialId: task.trialId, status: 'ok', widths: task.widths, seconds: 0, backend: 'cpu',
      metrics: { validationAccuracy: 0, testAccuracy: 0.8 + 0.1 * task.seed, trainLoss: 0, params: 0, macs: 0, nonzeroWeights },
    };
  }

  async close(): Promise<void> {}
}

test('the baseline trains the base network dense only and a wider one dense and sparse, each seed with its own data and batch order', () => {
  const { baseKernelWeights, jobs } = baselineJobs(request());
  assert.equal(baseKernelWeights, BASE_KERNELS);
  assert.deepEqual(jobs.map((j) => `${j.scale} ${j.kind} ${j.seed}`), ['1 dense 0', '1 dense 1', '2 dense 0', '2 dense 1', '2 sparse 0', '2 sparse 1']);
  for (const j of jobs) {
    assert.equal(j.task.seed, j.seed);
    assert.equal(j.task.recipe.seed, j.seed);
    assert.equal(j.task.data.seed, j.seed);
    assert.equal(j.task.sparseNonzero, j.kind === 'sparse' ? BASE_KERNELS : undefined);
  }
});

test('rows give the mean and sample spread over seeds and the connectivity of the sparse network, and the files are written', async () => {
  const req = request();
  const outcome = await runBaseline(req, new SeedEvaluator());
  assert.deepEqual(outcome.rows.map((r) => `${r.scale} ${r.kind}`), ['1 dense', '2 dense', '2 sparse']);
  for (const r of outcome.rows) {
    assert.ok(Math.abs(r.testAccuracy - 0.85) < 1e-12);
    // Sample standard deviation of 0.8 and 0.9: sqrt((0.05² + 0.05²) / 1).
    assert.ok(Math.abs(r.testAccuracyStd - Math.sqrt(0.005)) < 1e-12);
  }
  const sparse = outcome.rows[2];
  assert.equal(sparse.nonzeroWeights, BASE_KERNELS);
  assert.ok(Math.abs(sparse.connectivity - BASE_KERNELS / WIDE_KERNELS) < 1e-12);
  assert.equal(outcome.backend, 'cpu');
  for (const file of ['baseline.json', 'baseline.txt', 'baseline.svg']) assert.ok(existsSync(join(req.out, file)), file);
  assert.equal(JSON.parse(readFileSync(join(req.out, 'baseline.json'), 'utf8')).baseKernelWeights, BASE_KERNELS);
});
