import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRecipe } from '../../src/core/recipe.js';
import type { TrialEvent } from '../../src/trial/result.js';
import type { TrialTask } from '../../src/trial/task.js';
import { loadSpace } from '../../src/space/index.js';
import { PoolEvaluator } from '../../src/runtime/pool-evaluator.js';

const space = loadSpace('mlp-mnist');
/** Runs tasks in the real worker, except those with a `fault`, which it injects. */
const FAULTY_WORKER = new URL('../helpers/faulty-worker.mjs', import.meta.url);
const withFault = (t: TrialTask, fault: 'throw' | 'exit' | 'hang') => ({ ...t, fault }) as TrialTask;
const task = (trialId: number, overrides: Partial<TrialTask> = {}): TrialTask => ({
  trialId, space, widths: [16, 8], seed: trialId, backend: 'wasm',
  data: { name: 'synthetic', synthetic: { inputShape: [28, 28, 1], classes: 10, trainCount: 256, testCount: 64 } },
  recipe: defaultRecipe({ epochs: 2, batchSize: 64 }),
  ...overrides,
});

test('the pool runs trials in workers; a NaN, a throw, a dead worker and a timeout each come back failed and the others finish', async () => {
  const pool = new PoolEvaluator({ workers: 2, workerFile: FAULTY_WORKER });
  try {
    const events: TrialEvent[] = [];
    const [ok, nan, thrown, exited, hung, after] = await Promise.all([
      pool.evaluate(task(0), (e) => events.push(e)),
      pool.evaluate(task(1, { recipe: defaultRecipe({ epochs: 2, batchSize: 64, lr: 1e12 }) })),
      pool.evaluate(withFault(task(2), 'throw')),
      pool.evaluate(withFault(task(3), 'exit')),
      pool.evaluate(withFault(task(4, { timeoutSeconds: 2 }), 'hang')),
      pool.evaluate(task(5)),
    ]);
    assert.equal(ok.status, 'ok', ok.reason);
    assert.equal(ok.backend, 'wasm');
    // One record before training and one per epoch, for every weighted layer.
    assert.deepEqual(ok.telemetry!.map((t) => [t.layer, t.outgoing.length]), [['fc1', 3], ['fc2', 3], ['out', 3]]);
    assert.ok(ok.telemetry![0].paired, 'fc1 has a unique reader, so a paired series');
    assert.ok(events.some((e) => e.kind === 'epoch' && e.trialId === 0 && e.epoch === 2), 'progress events reach the main thread');
    assert.equal(nan.status, 'failed');
    assert.match(nan.reason!, /TrainError: loss became (NaN|Infinity|-Infinity) at epoch 1, step \d+/);
    assert.equal(thrown.status, 'failed');
    assert.match(thrown.reason!, /injected fault/);
    assert.equal(exited.status, 'failed');
    assert.match(exited.reason!, /worker failed/);
    assert.equal(hung.status, 'failed');
    assert.match(hung.reason!, /timed out after 2 s/);
    assert.equal(after.status, 'ok', after.reason);
  } finally {
    await pool.close();
  }
});
