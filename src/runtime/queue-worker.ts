/**
 * The worker side of the queue: takes a study's trial jobs from Redis and trains each in a worker
 * thread of the same pool `widthwise search` uses, so a long training never blocks this thread,
 * which renews the jobs' locks. Each task is checked first (`acceptQueuedTask`); a refused one
 * fails its job at once (no retry) with the reason, which is also logged.
 *
 * A worker killed mid-trial stops renewing its lock: after `lockSeconds` another worker's stalled
 * check puts the job back in the queue, and after `attempts` lost workers it fails for good.
 */
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { hostname } from 'node:os';
import type { TrialEvent, TrialResult } from '../trial/result.js';
import { PoolEvaluator } from './pool-evaluator.js';
import { connectRedis, quietLog, redactIn, redactRedisUrl, type TrialJobData } from './queue-connection.js';
import { acceptQueuedTask, RefusedTask } from './queued-task.js';

export interface QueueWorkerOptions {
  url: string;
  /** The study's queue, as `widthwise search --queue` prints it. */
  queueName: string;
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
  onTrial?: (event: { trialId: number; kind: 'started' | 'finished' | 'refused'; result?: TrialResult; reason?: string }) => void;
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
      options.onTrial?.({ trialId: Number((job.data?.task as { trialId?: unknown })?.trialId ?? -1), kind: 'refused', reason });
      throw new UnrecoverableError(reason);
    }
    options.onTrial?.({ trialId: task.trialId, kind: 'started' });
    const result = await pool.evaluate(task, (event: TrialEvent) => void job.updateProgress(event as unknown as object).catch(() => undefined));
    options.onTrial?.({ trialId: task.trialId, kind: 'finished', result });
    return result;
  };

  const client: Redis = await connectRedis(options.url, 'worker', log);
  const worker: Worker = new Worker(options.queueName, processor, {
    connection: client,
    concurrency: options.concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    maxStalledCount: Math.max(0, (options.attempts ?? 3) - 1),
    name,
  });
  const quiet = quietLog(log);
  worker.on('error', (err) => quiet(`worker: ${err.message}`));
  await worker.waitUntilReady();
  log(`worker ${name} serving ${redactRedisUrl(options.url)} queue ${options.queueName}: ${options.concurrency} trial(s) at once, lock ${lockMs / 1000} s`);
  return {
    close: async () => {
      await worker.close();
      await pool.close();
      client.disconnect();
    },
  };
}
