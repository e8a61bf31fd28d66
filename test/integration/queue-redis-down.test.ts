// A queued search whose Redis goes away and stays away: the controller waits --queue-redis-timeout
// seconds, then exits 1 with one line saying so; once a real redis-server is back (restarted on its
// port with its data), `search --resume` goes on and every trial ends exactly once in the journal.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queueNameFor } from '../../src/runtime/queue-connection.js';
import { LiveChild } from '../helpers/child-process.js';
import { freePort, RedisServer, redisSkipReason } from '../helpers/redis-server.js';

const skip = redisSkipReason();
if (skip) process.stderr.write(`queue tests: ${skip}\n`);

const children: LiveChild[] = [];
let server: RedisServer | undefined;
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await server?.stop();
});

function live(args: string[]): LiveChild {
  const child = new LiveChild(args);
  children.push(child);
  return child;
}

const journal = (runDir: string) => readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('Redis down for longer than --queue-redis-timeout: the search exits 1 in one line; --resume goes on once Redis is back, each trial ending once', { skip, timeout: 180_000 }, async () => {
  server = await RedisServer.start();
  const out = join(mkdtempSync(join(tmpdir(), 'ww-redis-down-')), 'run');
  const search = live(['search', '--space', 'mlp-mnist', '--dataset', 'synthetic', '--sampler', 'random', '--seed', '1', '--final-epochs', '1',
    '--proxy-epochs', '2', '--proxy-max-train', '1500', '--trials', '3', '--workers', '1', '--queue', server.url, '--queue-redis-timeout', '3', '--out', out]);
  const worker = live(['worker', '--queue', server.url, '--study', queueNameFor(out), '--lock-seconds', '2']);
  await worker.waitFor(/trial 1 started/);
  await server.halt();
  const downAt = Date.now();
  const exit = await search.exited;
  const waited = (Date.now() - downAt) / 1000;
  assert.equal(exit.status, 1, search.stderr);
  const errors = search.stderr.split('\n').filter((l) => /Error/.test(l));
  assert.equal(errors.length, 1, search.stderr);
  assert.match(errors[0], /^RedisUnreachableError: Redis at redis:\/\/127\.0\.0\.1:\d+ was unreachable for 3 s \(--queue-redis-timeout\) with 1 trials waiting; start it again .*--resume$/);
  assert.doesNotMatch(search.stderr, /^\s+at /m, 'no stack trace');
  assert.ok(waited >= 3 && waited < 20, `gave up ${waited.toFixed(1)} s after Redis went down (asked: 3 s)`);
  const before = journal(out);
  assert.ok(!before.some((e) => (e.type === 'trial-finished' || e.type === 'trial-failed') && e.trialId === 1), 'the trial out when Redis went down is not ended: it runs on resume');

  await server.restart();
  const resumed = live(['search', '--resume', out, '--queue', server.url, '--queue-redis-timeout', '3']);
  const resumedExit = await resumed.exited;
  await worker.stop();
  assert.equal(resumedExit.status, 0, resumed.stderr);
  const events = journal(out);
  for (const id of [0, 1, 2]) {
    const ends = events.filter((e) => (e.type === 'trial-finished' || e.type === 'trial-failed') && e.trialId === id);
    assert.deepEqual(ends.map((e) => e.type), ['trial-finished'], `trial ${id} ends once, finished`);
  }
  assert.ok(events.some((e) => e.type === 'study-finished'));
});

test('a Redis never reached: the search exits 1 after --queue-redis-timeout, naming the URL without its password', { skip }, async () => {
  const port = await freePort();
  const out = join(mkdtempSync(join(tmpdir(), 'ww-redis-down-')), 'run');
  const started = Date.now();
  const search = live(['search', '--space', 'mlp-mnist', '--dataset', 'synthetic', '--sampler', 'random', '--trials', '2', '--workers', '1',
    '--proxy-epochs', '1', '--proxy-max-train', '300', '--queue', `redis://:secret-pw@127.0.0.1:${port}`, '--queue-redis-timeout', '2', '--out', out]);
  const exit = await search.exited;
  assert.equal(exit.status, 1, search.stderr);
  assert.match(search.stderr, new RegExp(`^RedisUnreachableError: Redis at redis://\\*\\*\\*@127\\.0\\.0\\.1:${port} was unreachable for 2 s \\(--queue-redis-timeout\\); start it again`, 'm'));
  assert.ok(!search.stderr.includes('secret-pw'));
  assert.ok(Date.now() - started < 30_000, `exited after ${Date.now() - started} ms`);
});
