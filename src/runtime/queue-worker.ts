/**
 * The worker side of the queue: takes a study's trial jobs from Redis and trains each in a worker
 * thread of the same pool `widthwise search` uses, so a long training never blocks this thread,
 * which renews the jobs' locks. Each task is checked first (`acceptQueuedTask`); a refused one
 * fails its job at once (no retry) with the reason, which is also logged.
 *
 * Without a queue name it serves every study that a controller registered in Redis (`STUDIES_KEY`),
 * looked up every few seconds, all sharing the same threads.
 *
 * A worker killed mid-trial stops renewing its lock: after `lockSeconds` another worker's stalled
 * check puts the job back in the queue, and after `attempts` lost workers it fails for good.
 */
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { hostname } from 'node:os';
import type { TrialEvent, TrialResult } from '../trial/result.js';
import { PoolEvaluator } from './pool-evaluator.js';
import { checkQueueName, connectRedis, quietLog, redactIn, redactRedisUrl, STUDIES_KEY, type TrialJobData } from './queue-connection.js';
import { acceptQueuedTask, RefusedTask } from './queued-task.js';

export interface QueueWorkerOptions {
  url: string;
  /** The study's queue, as `widthwise search --queue` prints it; absent: every registered study. */
  queueName?: string;
  /** How often the registered studies are looked up without `queueName` (default 2000 ms). */
  scanMs?: number;
  /** Trials trained at once (worker threads). */
  concurrency: number;
  /** The only folder trials may read data from (default: each dataset's own default). */
  dataDir?: string;
  /** Lock of a running trial, renewed every half of it; also the stalled-check interval (default 30). */
  lockSeconds?: number;
  /** Runs of a trial whose worker was lost before it fails for good (default 3). */
  attempts?: number;
  log: (line: string) => void;
  /** Told of each trial's start and end (the CLI prints them). */
  onTrial?: (event: { trialId: number; kind: 'started' | 'finished' | 'refused'; queueName: string; result?: TrialResult; reason?: string }) => void;
}

export interface RunningQueueWorker {
  /** Stops taking jobs and waits for the running trials to finish. */
  close(): Promise<void>;
}

export async function startQueueWorker(options: QueueWorkerOptions): Promise<RunningQueueWorker> {
  const { Worker, UnrecoverableError } = await import('bullmq');
  const log = (line: string) => options.log(redactIn(line, options.url));
  const pool = new PoolEvaluator({ workers: options.concurrency });
  const name = `${hostname()}:${process.pid}`;
  const lockMs = (options.lockSeconds ?? 30) * 1000;

  const processor = async (job: Job<TrialJobData>): Promise<TrialResult> => {
    let task;
    try {
      task = acceptQueuedTask(job.data?.task, options.dataDir);
    } catch (err) {
      if (!(err instanceof RefusedTask)) throw err;
      const reason = `refused by worker ${name}: ${err.message}`;
      log(`job ${job.id}: ${reason}`);
      options.onTrial?.({ trialId: Number((job.data?.task as { trialId?: unknown })?.trialId ?? -1), kind: 'refused', reason, queueName: job.queueName });
      throw new UnrecoverableError(reason);
    }
    options.onTrial?.({ trialId: task.trialId, kind: 'started', queueName: job.queueName });
    const result = await pool.evaluate(task, (event: TrialEvent) => void job.updateProgress(event as unknown as object).catch(() => undefined));
    options.onTrial?.({ trialId: task.trialId, kind: 'finished', result, queueName: job.queueName });
    return result;
  };

  const client: Redis = await connectRedis(options.url, 'worker', log);
  const quiet = quietLog(log);
  const served = new Map<string, { worker: Worker; connection: Redis }>();
  const serve = async (queueName: string): Promise<void> => {
    const connection = client.duplicate();
    connection.on('error', () => undefined); // said once by the main connection's handler
    const worker: Worker = new Worker(queueName, processor, {
      connection,
      concurrency: options.concurrency,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: Math.max(0, (options.attempts ?? 3) - 1),
      name,
    });
    worker.on('error', (err) => quiet(`worker (${queueName}): ${err.message}`));
    served.set(queueName, { worker, connection });
    await worker.waitUntilReady();
    log(`worker ${name} serving ${redactRedisUrl(options.url)} queue ${queueName}: ${options.concurrency} trial(s) at once, lock ${lockMs / 1000} s`);
  };
  const unserve = async (queueName: string): Promise<void> => {
    const s = served.get(queueName);
    if (!s) return;
    served.delete(queueName);
    await s.worker.close(); // waits for its running trials
    s.connection.disconnect();
    log(`worker ${name} left queue ${queueName} (its study is no longer registered)`);
  };

  let scanner: NodeJS.Timeout | undefined;
  if (options.queueName !== undefined) {
    await serve(options.queueName);
  } else {
    // No --study: serve every study a controller has registered, and drop those it unregistered.
    // All share this worker's threads, so a worker never trains more than --concurrency at once.
    let scanning = false;
    const scan = async () => {
      if (scanning) return;
      scanning = true;
      try {
        const names = new Set((await client.smembers(STUDIES_KEY)).filter(isQueueName));
        for (const n of names) if (!served.has(n)) await serve(n);
        for (const n of [...served.keys()]) if (!names.has(n)) await unserve(n);
      } catch (err) {
        quiet(`worker: looking for studies: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        scanning = false;
      }
    };
    await scan();
    if (served.size === 0) log(`worker ${name} waiting for a study on ${redactRedisUrl(options.url)} (a 'widthwise search --queue' registers its study)`);
    scanner = setInterval(() => void scan(), options.scanMs ?? 2000);
  }
  return {
    close: async () => {
      clearInterval(scanner);
      await Promise.all([...served.values()].map((s) => s.worker.close()));
      for (const s of served.values()) s.connection.disconnect();
      await pool.close();
      client.disconnect();
    },
  };
}

function isQueueName(name: string): boolean {
  try {
    checkQueueName(name);
    return true;
  } catch {
    return false;
  }
}
