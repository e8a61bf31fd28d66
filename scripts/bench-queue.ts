/**
 * Trial throughput through the Redis queue against the local worker pool, side by side in one run
 * on the same batch of trials (cnn-mnist proxy trainings on the bundled digits, base widths, seeds
 * differ): the piscina pool with 1 and 2 threads, then the queue with 1 and 2 `widthwise worker`
 * processes (concurrency 1 each) on a local redis-server (started here on a free loopback port).
 * Workers are warmed (tfjs, wasm, data) outside the timed part, as the pool's threads are.
 *
 * Overhead per trial = the controller's wall time for a trial minus the seconds the trial reports
 * inside its worker thread: for the queue that is enqueue, pick-up, result and event round trips.
 *   npx tsx scripts/bench-queue.ts [--trials 8] [--epochs 1] [--max-train 1000] [--json]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mean, median } from '../src/core/stats.js';
import { PoolEvaluator } from '../src/runtime/pool-evaluator.js';
import { queueNameFor } from '../src/runtime/queue-connection.js';
import { QueueEvaluator } from '../src/runtime/queue-evaluator.js';
import type { Evaluator } from '../src/trial/evaluator.js';
import type { TrialTask } from '../src/trial/task.js';
import { RedisServer } from '../test/helpers/redis-server.js';
import { numberArg, scriptArgs } from './lib/args.js';
import { benchTrial } from './lib/bench-task.js';

const args = scriptArgs({
  trials: { type: 'string', default: '8' }, epochs: { type: 'string', default: '1' }, 'max-train': { type: 'string', default: '1000' }, json: { type: 'boolean', default: false },
}, 'npx tsx scripts/bench-queue.ts [--trials 8] [--epochs 1] [--max-train 1000] [--json]');
const trials = numberArg(args.trials, 'trials');
const epochs = numberArg(args.epochs, 'epochs');
const maxTrain = numberArg(args['max-train'], 'max-train');
const task = (trialId: number, seed: number, train = maxTrain): TrialTask => benchTrial(trialId, seed, epochs, train);
const BIN = new URL('../bin/widthwise.js', import.meta.url).pathname;

interface Row {
  how: string;
  parallel: number;
  seconds: number;
  trialsPerMinute: number;
  /** Mean seconds inside a trial (worker thread). */
  insideSeconds: number;
  /** Median of (controller wall time of a trial - its inside seconds). */
  overheadSeconds: number;
}

/** Runs the batch on `evaluator` (already warm); `firstId` keeps trial ids unique per queue. */
async function timeBatch(how: string, parallel: number, evaluator: Evaluator, firstId: number): Promise<Row> {
  const t0 = performance.now();
  // At most `parallel` trials out at once, as a search's rounds would send them.
  const queue = Array.from({ length: trials }, (_, i) => task(firstId + i, i));
  const walls: number[] = [];
  const inside: number[] = [];
  await Promise.all(Array.from({ length: parallel }, async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const started = performance.now();
      const r = await evaluator.evaluate(t);
      if (r.status !== 'ok') throw new Error(`${how}: trial ${t.trialId} failed: ${r.reason}`);
      walls.push((performance.now() - started) / 1000);
      inside.push(r.seconds);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  return { how, parallel, seconds, trialsPerMinute: (trials * 60) / seconds, insideSeconds: mean(inside), overheadSeconds: median(walls.map((w, i) => w - inside[i])) };
}

async function warm(evaluator: Evaluator, parallel: number, firstId: number): Promise<void> {
  await Promise.all(Array.from({ length: parallel }, (_, i) => evaluator.evaluate(task(firstId + i, 1000 + i, 64))));
}

async function poolRow(threads: number): Promise<Row> {
  const pool = new PoolEvaluator({ workers: threads });
  await warm(pool, threads, 100_000);
  const row = await timeBatch('piscina pool', threads, pool, 0);
  await pool.close();
  return row;
}

async function queueRow(redis: RedisServer, workers: number): Promise<Row> {
  const queueName = queueNameFor(join(mkdtempSync(join(tmpdir(), 'ww-bench-queue-')), `bench-${workers}`));
  const children: ChildProcess[] = Array.from({ length: workers }, () => spawn(process.execPath, [BIN, 'worker', '--queue', redis.url, '--study', queueName, '--concurrency', '1'], { stdio: ['ignore', 'ignore', 'inherit'] }));
  const evaluator = new QueueEvaluator({
    url: redis.url, queueName, concurrency: workers, fresh: true, pollMs: 2000, log: (l) => process.stderr.write(`${l}\n`),
    createLocal: () => { throw new Error('the benchmark sends no final trainings'); },
  });
  try {
    // One warm-up per worker process: each takes one job at a time, so they go one each.
    await warm(evaluator, workers, 100_000);
    return await timeBatch(`queue, ${workers} worker process${workers > 1 ? 'es' : ''}`, workers, evaluator, 0);
  } finally {
    await evaluator.close();
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  }
}

const redis = await RedisServer.start();
try {
  const rows = [await poolRow(1), await poolRow(2), await queueRow(redis, 1), await queueRow(redis, 2)];
  if (args.json) {
    console.log(JSON.stringify({ trials, epochs, maxTrain, rows }, null, 2));
  } else {
    console.log(`${trials} cnn-mnist proxy trials, ${epochs} epoch(s) on ${maxTrain} images each (wasm)`);
    console.log('| how | trials at once | wall s | trials/min | s inside a trial | overhead s/trial (median) |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const r of rows) console.log(`| ${r.how} | ${r.parallel} | ${r.seconds.toFixed(1)} | ${r.trialsPerMinute.toFixed(2)} | ${r.insideSeconds.toFixed(2)} | ${r.overheadSeconds.toFixed(3)} |`);
    const [p1, p2, q1, q2] = rows;
    console.log(`\nqueue/pool throughput: 1 at once ${(q1.trialsPerMinute / p1.trialsPerMinute).toFixed(2)}x, 2 at once ${(q2.trialsPerMinute / p2.trialsPerMinute).toFixed(2)}x; 2 vs 1 queue workers ${(q2.trialsPerMinute / q1.trialsPerMinute).toFixed(2)}x`);
  }
} finally {
  await redis.stop();
}
