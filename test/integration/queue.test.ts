// Searches whose proxy trials run on `widthwise worker` processes through a real redis-server on
// loopback. Every check counts journal lines per trial id: each trial the controller started must
// end exactly once (one trial-finished or trial-failed line), whatever was killed or restarted.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queueNameFor } from '../../src/runtime/queue-connection.js';
import { LiveChild } from '../helpers/child-process.js';
import { RedisServer, redisSkipReason } from '../helpers/redis-server.js';

const skip = redisSkipReason();
if (skip) process.stderr.write(`queue tests: ${skip}\n`);

const tmp = () => mkdtempSync(join(tmpdir(), 'ww-queue-'));
const servers: RedisServer[] = [];
const children: LiveChild[] = [];
// A failed assertion leaves children running: kill them, or the test process never exits.
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const s of servers) await s.stop();
});

function live(args: string[]): LiveChild {
  const child = new LiveChild(args);
  children.push(child);
  return child;
}

async function redis(options?: Parameters<typeof RedisServer.start>[0]): Promise<RedisServer> {
  const server = await RedisServer.start(options);
  servers.push(server);
  return server;
}

/** A tiny search: mlp-mnist on 2,000 synthetic images, 1-epoch finals; `TINY` proxies (1 epoch on 300 images) or `LONGER` ones (2 on 1500, still a few seconds). */
const SEARCH = ['search', '--space', 'mlp-mnist', '--dataset', 'synthetic', '--sampler', 'random', '--seed', '1', '--final-epochs', '1'];
const TINY = ['--proxy-epochs', '1', '--proxy-max-train', '300'];
const LONGER = ['--proxy-epochs', '2', '--proxy-max-train', '1500'];

interface Ends {
  started: number[];
  /** trial id -> journal lines that end it (trial-finished or trial-failed) */
  ends: Map<number, { type: string; reason?: string }[]>;
}

function journalEnds(runDir: string): Ends {
  const events = readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const ends = new Map<number, { type: string; reason?: string }[]>();
  for (const e of events) {
    if (e.type !== 'trial-finished' && e.type !== 'trial-failed') continue;
    ends.set(e.trialId, [...(ends.get(e.trialId) ?? []), { type: e.type, reason: e.reason }]);
  }
  return { started: [...new Set(events.filter((e) => e.type === 'trial-started').map((e) => e.trialId as number))], ends };
}

/** Every started trial ended exactly once; returns the ends. */
function assertEachEndsOnce(runDir: string, trials: number): Map<number, { type: string; reason?: string }> {
  const { started, ends } = journalEnds(runDir);
  assert.deepEqual(started.sort((a, b) => a - b), Array.from({ length: trials }, (_, i) => i), 'trial ids started');
  for (const id of started) assert.equal(ends.get(id)?.length, 1, `trial ${id}: ${ends.get(id)?.length ?? 0} journal lines end it (expected exactly 1)`);
  return new Map([...ends].map(([id, list]) => [id, list[0]]));
}

const worker = (url: string, runDir: string, ...extra: string[]) => live(['worker', '--queue', url, '--study', queueNameFor(runDir), ...extra]);

test('a search through Redis with a password: two workers (one told the study, one finding it) train the proxies, each trial is journaled once, the password is nowhere', { skip }, async () => {
  const password = 'pw-Zq81xLm0';
  const server = await redis({ password });
  const out = join(tmp(), 'run');
  // One worker finds the study registered in Redis (it is alone at first, so it gets trials); the
  // other, told the study, joins once the first trial runs.
  const finder = live(['worker', '--queue', server.url]);
  const search = live([...SEARCH, ...TINY, '--trials', '4', '--workers', '2', '--queue', server.url, '--out', out]);
  await finder.waitFor(/trial \d+ started \(ww-run-[0-9a-f]{8}\)/);
  const workers = [finder, worker(server.url, out)];
  const exit = await search.exited;
  // The finished controller unregistered its study: the worker without --study leaves its queue.
  if (exit.status === 0) await finder.waitFor(/left queue ww-run-[0-9a-f]{8}/, 10_000);
  const stopped = await Promise.all(workers.map((w) => w.stop()));
  assert.equal(exit.status, 0, search.stderr);
  assert.deepEqual(stopped.map((s) => s.status), [0, 0], 'workers exit cleanly on SIGTERM');
  const ends = assertEachEndsOnce(out, 4);
  for (const [id, end] of ends) assert.equal(end.type, 'trial-finished', `trial ${id}: ${end.reason}`);
  // The trials ran on the workers (the worker logs name them), not on the controller.
  const ran = workers.flatMap((w) => [...w.stderr.matchAll(/trial (\d+) finished/g)].map((m) => Number(m[1]))).sort();
  assert.deepEqual(ran, [0, 1, 2, 3]);
  assert.match(finder.stderr, /trial \d+ finished \(ww-run-[0-9a-f]{8}\)/, 'the worker without --study trained trials of the registered study');
  assert.match(search.stderr, /start workers with: widthwise worker --queue redis:\/\/\*\*\*@127\.0\.0\.1:\d+ --study ww-run-[0-9a-f]{8}/);
  const texts = [search.stdout, search.stderr, ...workers.map((w) => w.stderr), ...readdirSync(out).filter((f) => /\.(jsonl|json|html|md)$/.test(f)).map((f) => readFileSync(join(out, f), 'utf8'))];
  for (const t of texts) assert.ok(!t.includes(password), 'the Redis password appears in an output or a run file');
  assert.ok(existsSync(join(out, 'winner.onnx')), 'the final trainings ran locally and the winner was exported');
});

test('a worker SIGKILLed mid-trial: another worker runs the trial again and it ends once', { skip }, async () => {
  const server = await redis();
  const out = join(tmp(), 'run');
  const search = live([...SEARCH, '--trials', '2', '--workers', '1', ...LONGER, '--queue', server.url, '--out', out]);
  const first = worker(server.url, out, '--lock-seconds', '1');
  await first.waitFor(/trial 0 started/);
  first.kill('SIGKILL');
  const second = worker(server.url, out, '--lock-seconds', '1');
  const exit = await search.exited;
  await second.stop();
  assert.equal(exit.status, 0, search.stderr);
  const ends = assertEachEndsOnce(out, 2);
  assert.equal(ends.get(0)?.type, 'trial-finished');
  assert.doesNotMatch(first.stderr, /trial 0 finished/);
  assert.match(second.stderr, /trial 0 finished/);
});

test('a trial whose workers are lost more often than --attempts allows ends once, failed, with the reason', { skip }, async () => {
  const server = await redis();
  const out = join(tmp(), 'run');
  const search = live([...SEARCH, '--trials', '2', '--workers', '1', ...LONGER, '--queue', server.url, '--out', out]);
  const first = worker(server.url, out, '--lock-seconds', '1', '--attempts', '1');
  await first.waitFor(/trial 0 started/);
  first.kill('SIGKILL');
  const second = worker(server.url, out, '--lock-seconds', '1', '--attempts', '1');
  const exit = await search.exited;
  await second.stop();
  assert.equal(exit.status, 0, search.stderr);
  const ends = assertEachEndsOnce(out, 2);
  assert.equal(ends.get(0)?.type, 'trial-failed');
  assert.match(ends.get(0)?.reason ?? '', /workers were lost .* too many times/);
  assert.equal(ends.get(1)?.type, 'trial-finished');
  assert.doesNotMatch(second.stderr, /trial 0 started/, 'a trial that failed for good is not run again');
});

test('no worker connected: the search stops after --queue-worker-timeout and says how to start one', { skip }, async () => {
  const server = await redis();
  const out = join(tmp(), 'run');
  const started = Date.now();
  const search = live([...SEARCH, ...TINY, '--trials', '2', '--workers', '1', '--queue', server.url, '--queue-worker-timeout', '3', '--out', out]);
  const exit = await search.exited;
  assert.equal(exit.status, 1, search.stderr);
  assert.match(search.stderr, /no widthwise worker has served .* for 3 s, with 1 trials waiting\. Start one with: widthwise worker --queue redis:\/\/127\.0\.0\.1:\d+ --study ww-run-/);
  assert.ok(Date.now() - started < 30_000, 'it does not wait long past the timeout');
  // Nothing ended: the started trial runs on --resume.
  const { started: ids, ends } = journalEnds(out);
  assert.deepEqual(ids, [0]);
  assert.equal(ends.size, 0);
});

// The harder of the two restarts (one that keeps its RDB is the easy one, and costs suite time).
test('Redis restarted mid-search, losing everything: controller and worker reconnect, lost trials are queued again, each ends once', { skip }, async () => {
  const server = await redis({ persist: false });
  const out = join(tmp(), 'run');
  // Trials long enough (8 epochs) that Redis goes down while trial 1 trains.
  const search = live([...SEARCH, '--proxy-epochs', '8', '--proxy-max-train', '1500', '--trials', '3', '--workers', '1', '--queue', server.url, '--out', out]);
  const w = worker(server.url, out, '--lock-seconds', '2');
  await w.waitFor(/trial 1 started/);
  await server.restart(500);
  const exit = await search.exited;
  await w.stop();
  assert.equal(exit.status, 0, search.stderr);
  const ends = assertEachEndsOnce(out, 3);
  for (const [id, end] of ends) assert.equal(end.type, 'trial-finished', `trial ${id}: ${end.reason}`);
  assert.match(search.stderr, /trial 1: its job is no longer in Redis .*; queued again/);
  assert.equal(w.stderr.match(/trial 1 started/g)?.length, 2, 'the worker ran trial 1 again after Redis lost it');
});

test('the controller SIGKILLed mid-search: search --resume reattaches, collects what the worker finished meanwhile, each trial ends once', { skip }, async () => {
  const server = await redis();
  const out = join(tmp(), 'run');
  const first = live([...SEARCH, ...LONGER, '--trials', '3', '--workers', '1', '--queue', server.url, '--out', out]);
  const w = worker(server.url, out);
  await w.waitFor(/trial 1 started/);
  first.kill('SIGKILL');
  await first.exited;
  // The worker finishes trial 1 with no controller listening; the resumed one must collect it.
  await w.waitFor(/trial 1 finished/);
  const resumed = live(['search', '--resume', out, '--queue', server.url]);
  const exit = await resumed.exited;
  await w.stop();
  assert.equal(exit.status, 0, resumed.stderr);
  const ends = assertEachEndsOnce(out, 3);
  for (const [id, end] of ends) assert.equal(end.type, 'trial-finished', `trial ${id}: ${end.reason}`);
  assert.equal(w.stderr.match(/trial 1 started/g)?.length, 1, 'trial 1 was collected, not trained again');
});
