// A queued search at the pipeline level, with a fake evaluator: the evaluator is asked for the
// study's queue (emptied for a new study, kept on resume), and the Redis URL, which may hold
// credentials, is never written to the run folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/core/errors.js';
import { SearchRun, type EvaluatorRequest, type SearchRunDeps } from '../../src/pipeline/search-run.js';
import { queueNameFor } from '../../src/runtime/queue-connection.js';
import { FakeEvaluator } from '../helpers/fake-evaluator.js';

const URL_WITH_PASSWORD = 'redis://alice:pw-9qXr2m@10.0.0.5:6379/2';
const OPTIONS = { space: 'mlp-mnist', sampler: 'random' as const, trials: 2, workers: 2, seed: 3, finalEpochs: 1 };

function recordingDeps(requests: EvaluatorRequest[]): SearchRunDeps {
  return {
    startBackend: async () => ({ name: 'fake' }),
    createEvaluator: (request) => {
      requests.push(request);
      return new FakeEvaluator([96, 160]);
    },
    exportWinner: async () => ({ path: 'winner.onnx', bytes: 1, examples: 1, maxAbsDiff: 0, argmaxAgreement: 1 }),
  };
}

test('a queued run asks for its study\'s queue (fresh, then kept on resume) and writes the URL nowhere', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'ww-queued-')), 'run');
  const requests: EvaluatorRequest[] = [];
  const run = SearchRun.open({ options: OPTIONS, out: dir, queue: { url: URL_WITH_PASSWORD, workerTimeoutSeconds: 5 } }, recordingDeps(requests));
  assert.equal(run.queueName, queueNameFor(dir));
  await run.execute();
  await SearchRun.open({ resume: dir, queue: { url: URL_WITH_PASSWORD } }, recordingDeps(requests)).execute();
  assert.deepEqual(requests.map((r) => r.queue && { ...r.queue }), [
    { url: URL_WITH_PASSWORD, workerTimeoutSeconds: 5, queueName: queueNameFor(dir), fresh: true },
    { url: URL_WITH_PASSWORD, queueName: queueNameFor(dir), fresh: false },
  ]);
  for (const file of readdirSync(dir).filter((f) => /\.(jsonl|json|html)$/.test(f))) {
    const text = readFileSync(join(dir, file), 'utf8');
    assert.ok(!text.includes('pw-9qXr2m') && !text.includes('10.0.0.5'), `${file} holds the Redis URL`);
  }
  // Without --queue the same folder runs on the local pool: no queue asked for.
  assert.equal(SearchRun.open({ options: OPTIONS, out: join(dir, 'other') }, recordingDeps(requests)).queueName, undefined);
});

test('a bad --queue URL or worker wait is a usage error that does not quote the password', () => {
  const open = (queue: { url: string; workerTimeoutSeconds?: number }) => SearchRun.open({ options: OPTIONS, out: join(tmpdir(), 'never-made'), queue }, recordingDeps([]));
  assert.throws(() => open({ url: 'http://alice:pw-9qXr2m@host' }), (e: Error) => e instanceof UsageError && !e.message.includes('pw-9qXr2m'));
  assert.throws(() => open({ url: URL_WITH_PASSWORD, workerTimeoutSeconds: 0 }), (e: Error) => e instanceof UsageError && /--queue-worker-timeout/.test(e.message));
});
