// What a worker accepts from the queue (a task is data from the network) and how a Redis URL is
// shown in messages (never with its credentials).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { defaultRecipe } from '../../src/core/recipe.js';
import { checkRedisUrl, queueNameFor, checkQueueName, redactIn, redactRedisUrl } from '../../src/runtime/queue-connection.js';
import { acceptQueuedTask, RefusedTask } from '../../src/runtime/queued-task.js';
import { loadSpace } from '../../src/space/load.js';
import type { TrialTask } from '../../src/trial/task.js';

const space = loadSpace('mlp-mnist');
const task = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  trialId: 3, space: JSON.parse(JSON.stringify(space)), widths: [64, 32], seed: 7,
  data: { name: 'mnist', seed: 0, maxTrain: 300, validationFraction: 0.1 }, recipe: defaultRecipe({ epochs: 1 }), recordEvery: 6, backend: 'auto',
  ...over,
});
const refused = (value: unknown, dataDir: string | undefined, why: RegExp) => assert.throws(() => acceptQueuedTask(value, dataDir), (err: Error) => err instanceof RefusedTask && why.test(err.message));

test('a well-formed task is accepted; its data folder becomes the worker\'s --data-dir', () => {
  const accepted: TrialTask = acceptQueuedTask(task(), '/srv/data');
  assert.deepEqual(accepted.widths, [64, 32]);
  assert.equal(accepted.data.dataDir, '/srv/data');
  assert.equal(acceptQueuedTask(task({ data: { name: 'mnist', dataDir: 'mnist' } }), '/srv/data').data.dataDir, join('/srv/data', 'mnist'));
  assert.equal(acceptQueuedTask(task(), undefined).data.dataDir, undefined);
  const folder = acceptQueuedTask(task({ data: { name: 'folder', imageShape: [32, 32, 3], badImages: 'skip' }, dataSha256: 'f'.repeat(64) }), '/srv/images');
  assert.deepEqual([folder.data.dataDir, folder.data.imageShape, folder.data.badImages, folder.dataSha256], ['/srv/images', [32, 32, 3], 'skip', 'f'.repeat(64)]);
});

test('tasks a worker refuses, each with its reason', () => {
  refused('rm -rf /', undefined, /not an object/);
  refused(task({ data: { name: '../../etc/passwd' } }), undefined, /unknown dataset/);
  refused(task({ widths: [65, 32] }), undefined, /not on the space's grid/);
  refused(task({ widths: [64] }), undefined, /not on the space's grid/);
  refused(task({ space: { ...JSON.parse(JSON.stringify(space)), layers: 'x' } }), undefined, /space schema/);
  refused(task({ saveTo: '/home/me/.ssh' }), '/srv/data', /saveTo/);
  refused(task({ data: { name: 'mnist', dataDir: '/etc' } }), '/srv/data', /outside this worker's --data-dir/);
  refused(task({ data: { name: 'mnist', dataDir: '../x' } }), '/srv/data', /outside this worker's --data-dir/);
  refused(task({ data: { name: 'mnist', dataDir: 'x' } }), undefined, /no --data-dir/);
  refused(task({ code: 'process.exit()' }), undefined, /unknown fields: code/);
  refused(task({ recipe: { ...defaultRecipe(), epochs: 0 } }), undefined, /recipe\.epochs/);
  refused(task({ backend: 'node; rm' }), undefined, /unknown backend/);
  refused(task({ data: { name: 'folder', imageShape: [100000, 100000, 3] } }), '/srv/data', /data\.imageShape/);
  refused(task({ data: { name: 'folder', imageShape: [32, 32, 4] } }), '/srv/data', /data\.imageShape/);
  refused(task({ data: { name: 'folder', imageShape: [32, 32, 3], badImages: 'ignore' } }), '/srv/data', /data\.badImages/);
  refused(task({ dataSha256: 'not-a-hash' }), undefined, /dataSha256/);
  refused(task({ trialId: -1 }), undefined, /trialId/);
});

test('Redis URLs: credentials are redacted everywhere; bad URLs are usage errors that do not quote them', () => {
  assert.equal(redactRedisUrl('redis://user:s3cret@host:6379/2'), 'redis://***@host:6379/2');
  assert.equal(redactRedisUrl('rediss://:s3cret@host:6380'), 'rediss://***@host:6380');
  assert.equal(redactRedisUrl('redis://host:6379'), 'redis://host:6379');
  assert.equal(redactIn('connect to redis://u:s3cret@h:1 failed (password s3cret)', 'redis://u:s3cret@h:1'), 'connect to redis://***@h:1 failed (password ***)');
  checkRedisUrl('redis://u:p@10.0.0.5:6379/0');
  assert.throws(() => checkRedisUrl('http://u:s3cret@host'), (err: Error) => /redis:\/\//.test(err.message) && !err.message.includes('s3cret'));
  assert.throws(() => checkRedisUrl('redis://u:s3cret@host/abc'), (err: Error) => /database/.test(err.message) && !err.message.includes('s3cret'));
});

test('queue names: one per run folder, and workers accept only such names', () => {
  const a = queueNameFor('/runs/a/run');
  assert.match(a, /^ww-run-[0-9a-f]{8}$/);
  assert.notEqual(a, queueNameFor('/runs/b/run'));
  assert.equal(a, queueNameFor('/runs/a/../a/run'));
  checkQueueName(a);
  assert.throws(() => checkQueueName('bull:other-app'));
});
