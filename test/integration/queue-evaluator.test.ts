// The queue evaluator against a real redis-server, with an in-process BullMQ worker standing in for
// `widthwise worker` (it returns made-up results at once, so the test is about delivery, not training):
// progress events come through; a result delivered twice resolves the trial once; a result after the
// trial was given up is ignored; both are logged.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { defaultRecipe } from '../../src/core/recipe.js';
import { jobIdOf } from '../../src/runtime/queue-connection.js';
import { QueueEvaluator } from '../../src/runtime/queue-evaluator.js';
import { loadSpace } from '../../src/space/load.js';
import type { TrialEvent, TrialResult } from '../../src/trial/result.js';
import type { TrialTask } from '../../src/trial/task.js';
import { RedisServer, redisSkipReason } from '../helpers/redis-server.js';

const skip = redisSkipReason();
let server: RedisServer | undefined;
after(async () => server?.stop());

const space = loadSpace('mlp-mnist');
const task = (trialId: number, timeoutSeconds?: number): TrialTask => ({
  trialId, space, widths: [64, 32], seed: trialId, data: { name: 'mnist', maxTrain: 300 }, recipe: defaultRecipe({ epochs: 1 }), timeoutSeconds,
});
const waitUntil = async (ok: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('progress events arrive; a result delivered twice is taken once; a late one is ignored; both are logged', { skip }, async () => {
  server = await RedisServer.start();
  const queueName = 'ww-evaluator-test-0123abcd';
  const log: string[] = [];
  const evaluator = new QueueEvaluator({
    url: server.url, queueName, concurrency: 2, fresh: true, pollMs: 1000, log: (l) => log.push(l),
    createLocal: () => { throw new Error('no local trainings here'); },
  });
  const runs = new Map<number, number>();
  const connection = new Redis(server.url, { maxRetriesPerRequest: null });
  // Each run of a job returns its run number in `seconds`; trial 1 takes 1.5 s.
  const worker = new Worker(queueName, async (job: Job): Promise<TrialResult> => {
    const t = job.data.task as TrialTask;
    const run = (runs.get(t.trialId) ?? 0) + 1;
    runs.set(t.trialId, run);
    await job.updateProgress({ trialId: t.trialId, kind: 'epoch', epoch: 1, epochs: 1, loss: 0.5 });
    if (t.trialId === 1) await new Promise((r) => setTimeout(r, 1500));
    return { trialId: t.trialId, status: 'ok', widths: t.widths, seconds: run };
  }, { connection });
  const queueConnection = connection.duplicate();
  const queue = new Queue(queueName, { connection: queueConnection });
  try {
    const events: TrialEvent[] = [];
    const first = await evaluator.evaluate(task(0), (e) => events.push(e));
    assert.equal(first.status, 'ok');
    assert.deepEqual(events, [{ trialId: 0, kind: 'epoch', epoch: 1, epochs: 1, loss: 0.5 }], 'the worker\'s progress event came through');
    assert.equal(first.seconds, 1, 'the first delivery is the result');
    // Deliver trial 0 again: the job runs a second time and completes again.
    await (await queue.getJob(jobIdOf(0)))!.retry('completed');
    await waitUntil(() => runs.get(0) === 2 && log.some((l) => /ignored a result for trial 0: it was already delivered/.test(l)));

    // Trial 1 is given up (0.5 s limit) before its 1.5 s run ends; its result then comes late.
    const late = await evaluator.evaluate(task(1, 0.5));
    assert.equal(late.status, 'failed');
    assert.match(late.reason ?? '', /timed out after 0.5 s/);
    await waitUntil(() => log.some((l) => /ignored a result for trial 1: the trial was already given up here/.test(l)));
  } finally {
    await evaluator.close();
    await worker.close();
    await queue.close();
    connection.disconnect();
    queueConnection.disconnect();
  }
});

test('the controller sends its data fingerprint and refuses a result trained on other examples, or not saying which', { skip }, async () => {
  server ??= await RedisServer.start();
  const queueName = 'ww-evaluator-test-5678ef01';
  const mine = 'a'.repeat(64);
  const evaluator = new QueueEvaluator({
    url: server.url, queueName, concurrency: 3, fresh: true, pollMs: 1000, dataSha256: mine,
    createLocal: () => { throw new Error('no local trainings here'); },
  });
  const connection = new Redis(server.url, { maxRetriesPerRequest: null });
  const sent: (string | undefined)[] = [];
  // Trial 0 answers with the controller's fingerprint, trial 1 with another, trial 2 with none.
  const answer = [mine, 'b'.repeat(64), undefined];
  const worker = new Worker(queueName, async (job: Job): Promise<TrialResult> => {
    const t = job.data.task as TrialTask;
    sent.push(t.dataSha256);
    const sha = answer[t.trialId];
    return { trialId: t.trialId, status: 'ok', widths: t.widths, seconds: 0, metrics: { validationAccuracy: 0.5, testAccuracy: 0.5, trainLoss: 1, params: 1, macs: 1 }, ...(sha ? { dataSha256: sha } : {}) };
  }, { connection });
  try {
    const [same, other, silent] = await Promise.all([0, 1, 2].map((id) => evaluator.evaluate(task(id))));
    assert.deepEqual(sent, [mine, mine, mine], 'every task carries the controller\'s fingerprint');
    assert.equal(same.status, 'ok');
    assert.equal(other.status, 'failed');
    assert.match(other.reason ?? '', /trained on examples with fingerprint bbbbbbbbbbbb, not this controller's aaaaaaaaaaaa/);
    assert.equal(silent.status, 'failed');
    assert.match(silent.reason ?? '', /did not fingerprint/);
  } finally {
    await evaluator.close();
    await worker.close();
    connection.disconnect();
  }
});
