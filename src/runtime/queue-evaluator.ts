/**
 * The queue evaluator: proxy trials go to a BullMQ queue on Redis, one job per trial id, and any
 * `widthwise worker` on any machine trains them. The controller's journal stays the only source of
 * truth: each `evaluate` resolves once, with the first result for its trial id; a result that comes
 * again, or after the trial was given up (timed out, stopped), is ignored and logged.
 *
 * Results are watched two ways: BullMQ's event stream (fast) and a poll of each pending job (slow,
 * but it survives a Redis restart that loses the stream, and it re-queues a job Redis lost). Tasks
 * that write files (final trainings, `saveTo`) run on a local pool: their checkpoints belong on
 * this machine.
 */
import type { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { WidthwiseError } from '../core/errors.js';
import type { Evaluator } from '../trial/evaluator.js';
import { failedResult, type TrialEvent, type TrialResult } from '../trial/result.js';
import type { TrialTask } from '../trial/task.js';
import { connectRedis, jobIdOf, quietLog, redactIn, redactRedisUrl, STUDIES_KEY, TRIAL_JOB_NAME, type TrialJobData } from './queue-connection.js';

/** No worker served the queue for the whole wait: the search stops (resume it once workers run). */
export class NoWorkerError extends WidthwiseError {}

/** Redis could not be reached for the whole wait, with trials out: the search stops (resume it once Redis is back). */
export class RedisUnreachableError extends WidthwiseError {}

/** Default of `redisTimeoutSeconds`: long enough for a Redis restart or a short network cut. */
export const DEFAULT_REDIS_TIMEOUT_SECONDS = 120;
/** How long `close` waits for Redis to take its last words (unregistering the study) before it disconnects. */
const CLOSE_WAIT_MS = 2000;

export interface QueueEvaluatorOptions {
  /** `redis://` or `rediss://` URL (with credentials, which no message ever shows). */
  url: string;
  /** The study's queue (see `queueNameFor`). */
  queueName: string;
  /** Trials in flight at once, across all workers. */
  concurrency: number;
  /** A new study: jobs left in its queue by an earlier run in the same folder are removed first. */
  fresh: boolean;
  /** Per-trial limit in seconds, measured here (a task's own `timeoutSeconds` wins). */
  trialTimeoutSeconds?: number;
  /** Seconds with trials waiting and no worker connected before the search stops (default 60). */
  workerTimeoutSeconds?: number;
  /**
   * Seconds Redis may stay unreachable, with trials waiting on it, before they all fail with
   * `RedisUnreachableError` (default `DEFAULT_REDIS_TIMEOUT_SECONDS`). Counted from the moment the
   * controller's connection was lost (or from the start, when it never connected), or from when
   * work began to wait on it, whichever is later.
   */
  redisTimeoutSeconds?: number;
  /** How often each pending job is looked up (default 2000 ms). */
  pollMs?: number;
  /**
   * `dataFingerprint` of this controller's proxy examples. Sent with each task, so a worker with
   * other files under its --data-dir refuses to train, and checked on each result: a result trained
   * on other examples (or not saying which) is a failed trial with the reason.
   */
  dataSha256?: string;
  /** Runs the tasks that write files (final trainings). */
  createLocal: () => Evaluator;
  /** Where the evaluator's own messages go (redacted). */
  log?: (line: string) => void;
}

interface Pending {
  task: TrialTask;
  started: number;
  onEvent?: (event: TrialEvent) => void;
  resolve: (result: TrialResult) => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Connected {
  queue: Queue;
  events: QueueEvents;
  clients: Redis[];
}

export class QueueEvaluator implements Evaluator {
  readonly concurrency: number;
  private readonly pending = new Map<number, Pending>();
  /** Trial ids given up here (timed out or stopped): a later result for them is ignored, and said so. */
  private readonly givenUp = new Set<number>();
  private readonly connected: Promise<Connected>;
  private local?: Evaluator;
  private poller?: NodeJS.Timeout;
  private noWorkerSince?: number;
  private closed = false;
  private readonly log: (line: string) => void;
  private readonly quietPoll: (line: string) => void;
  /** The Redis connections, as soon as made (a Redis never reached still has them to close). */
  private readonly clients: Redis[] = [];
  private ready?: Connected;
  /** Since when the controller's Redis connection has been down (undefined while it is up). */
  private redisDownSince: number | undefined = Date.now();
  /** Set once Redis was unreachable for `redisTimeoutSeconds` with work waiting: every later call fails with it. */
  private unreachable?: RedisUnreachableError;
  /** Rejected with `unreachable`, for calls waiting on the first connection. */
  private readonly gaveUp: Promise<never>;
  private rejectGaveUp!: (err: Error) => void;
  private readonly watchdog: NodeJS.Timeout;
  /** Calls waiting for the first connection (they count as work waiting on Redis). */
  private waitingToConnect = 0;
  private polling = false;

  constructor(private readonly options: QueueEvaluatorOptions) {
    this.concurrency = Math.max(1, options.concurrency);
    this.log = (line) => options.log?.(redactIn(line, options.url));
    this.quietPoll = quietLog(this.log);
    this.gaveUp = new Promise<never>((_, reject) => { this.rejectGaveUp = reject; });
    this.gaveUp.catch(() => undefined); // surfaced by evaluate
    const timeoutMs = this.redisTimeoutSeconds * 1000;
    this.watchdog = setInterval(() => this.checkRedisDown(), Math.max(50, Math.min(1000, timeoutMs / 4)));
    this.watchdog.unref();
    this.connected = this.connect();
    this.connected.catch(() => undefined); // surfaced by evaluate
  }

  private get redisTimeoutSeconds(): number {
    return this.options.redisTimeoutSeconds ?? DEFAULT_REDIS_TIMEOUT_SECONDS;
  }

  /** Where the queue is, for messages: the redacted URL and the queue name. */
  get where(): string {
    return `${redactRedisUrl(this.options.url)} queue ${this.options.queueName}`;
  }

  private async connect(): Promise<Connected> {
    const { Queue, QueueEvents } = await import('bullmq');
    const { url, queueName } = this.options;
    const clients = this.clients;
    clients.push(await connectRedis(url, 'controller', this.log), await connectRedis(url, 'controller-events', this.log));
    // The queue's own connection tells whether Redis is reachable: while it is down every command waits.
    clients[0].on('ready', () => { this.redisDownSince = undefined; });
    clients[0].on('close', () => { this.redisDownSince ??= Date.now(); });
    if (clients[0].status === 'ready') this.redisDownSince = undefined;
    const queue = new Queue(queueName, { connection: clients[0] });
    const events = new QueueEvents(queueName, { connection: clients[1] });
    const quiet = quietLog(this.log);
    queue.on('error', (err) => quiet(`queue: ${err.message}`));
    events.on('error', (err) => quiet(`queue events: ${err.message}`));
    events.on('progress', ({ jobId, data }) => this.onProgress(jobId, data));
    events.on('completed', ({ jobId, returnvalue }) => this.onCompleted(jobId, returnvalue));
    events.on('failed', ({ jobId, failedReason }) => this.onFailed(jobId, failedReason));
    await queue.waitUntilReady();
    await events.waitUntilReady();
    // A new study owns its queue: anything there is from an earlier run in a folder since removed.
    // (Not `obliterate`: it pauses the queue, and workers already waiting on it would stay idle.)
    if (this.options.fresh) {
      await queue.drain(true);
      for (const state of ['completed', 'failed'] as const) await queue.clean(0, 0, state);
    }
    // Workers started without --study find the study here.
    await clients[0].sadd(STUDIES_KEY, queueName);
    if (this.closed) throw new Error('closed while connecting');
    this.poller = setInterval(() => void this.poll(queue), this.options.pollMs ?? 2000);
    this.ready = { queue, events, clients };
    return this.ready;
  }

  async evaluate(task: TrialTask, onEvent?: (event: TrialEvent) => void): Promise<TrialResult> {
    if (task.saveTo !== undefined) {
      this.local ??= this.options.createLocal();
      return this.local.evaluate(task, onEvent);
    }
    if (this.closed) return this.failed(task, performance.now(), 'aborted: the run was stopped');
    if (this.unreachable) throw this.unreachable;
    const { queue } = await this.reachable();
    if (this.pending.has(task.trialId)) throw new Error(`trial ${task.trialId} is already queued`);
    this.givenUp.delete(task.trialId);
    const started = performance.now();
    const result = new Promise<TrialResult>((resolve, reject) => {
      const entry: Pending = { task, started, onEvent, resolve, reject };
      const timeoutSeconds = task.timeoutSeconds ?? this.options.trialTimeoutSeconds;
      if (timeoutSeconds) entry.timer = setTimeout(() => this.giveUp(task.trialId, `timed out after ${timeoutSeconds} s (--trial-timeout)`), timeoutSeconds * 1000);
      this.pending.set(task.trialId, entry);
    });
    // Not awaited here: with Redis down these commands wait for it, and the trial must still fail
    // when the Redis wait runs out (the watchdog rejects the pending entry).
    void (async () => {
      await this.enqueue(queue, task);
      // A job already there (a resumed controller's trial, finished or not) is collected, not re-run.
      const job = await queue.getJob(jobIdOf(task.trialId));
      if (job) await this.collect(job);
    })().catch((err: unknown) => this.reject(task.trialId, err instanceof Error ? err : new Error(String(err))));
    return result;
  }

  /** The connection, or a `RedisUnreachableError` when Redis cannot be reached for the Redis wait. */
  private async reachable(): Promise<Connected> {
    this.waitingToConnect++;
    try {
      return await Promise.race([this.connected, this.gaveUp]);
    } finally {
      this.waitingToConnect--;
    }
  }

  /**
   * The watchdog: with Redis down for `redisTimeoutSeconds` and work waiting on it (trials out, or
   * calls waiting for the first connection), every such trial fails with `RedisUnreachableError`
   * and so does every later call. With nothing waiting, a Redis that is down harms nobody yet.
   */
  private checkRedisDown(): void {
    if (this.closed || this.unreachable || this.redisDownSince === undefined) return;
    if (this.pending.size === 0 && this.waitingToConnect === 0) {
      // The wait is counted from when work began to wait on a Redis that is down.
      this.redisDownSince = Date.now();
      return;
    }
    const seconds = this.redisTimeoutSeconds;
    if (Date.now() - this.redisDownSince < seconds * 1000) return;
    const waiting = this.pending.size;
    this.unreachable = new RedisUnreachableError(
      `Redis at ${redactRedisUrl(this.options.url)} was unreachable for ${seconds} s (--queue-redis-timeout)${waiting ? ` with ${waiting} trials waiting` : ''}; `
      + `start it again (or check the URL), then resume the search with --resume`,
    );
    this.rejectGaveUp(this.unreachable);
    for (const trialId of [...this.pending.keys()]) this.reject(trialId, this.unreachable);
  }

  /** Fails a pending trial's `evaluate` with `err` (not a result: nothing is journaled as its end). */
  private reject(trialId: number, err: Error): void {
    const p = this.pending.get(trialId);
    if (!p) return;
    this.pending.delete(trialId);
    clearTimeout(p.timer);
    p.reject(err);
  }

  /**
   * Adds the trial's job. The job id is the trial id, so adding a trial whose job exists adds
   * nothing. The worker reads no folder of ours: it uses its own `--data-dir`.
   */
  private async enqueue(queue: Queue, task: TrialTask): Promise<void> {
    // No path of this machine goes out: not the space file's, not the data folder.
    const sha = this.options.dataSha256;
    const data: TrialJobData = { task: { ...task, space: { ...task.space, file: undefined }, data: { ...task.data, dataDir: undefined }, ...(sha ? { dataSha256: sha } : {}) } };
    await queue.add(TRIAL_JOB_NAME, data, {
      jobId: jobIdOf(task.trialId),
      // A trial's failure is a result (a completed job); only refusals and lost workers fail a job.
      attempts: 1,
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  /** Settles the trial of a finished job (completed or failed); does nothing for a job still running. */
  private async collect(job: Job): Promise<void> {
    if (job.finishedOn === undefined) return;
    if (job.failedReason !== undefined && job.returnvalue == null) this.onFailed(job.id!, job.failedReason);
    else this.onCompleted(job.id!, job.returnvalue);
  }

  private trialIdOf(jobId: string): number | undefined {
    const m = /^trial-(\d+)$/.exec(jobId);
    return m ? Number(m[1]) : undefined;
  }

  private onProgress(jobId: string, data: unknown): void {
    const trialId = this.trialIdOf(jobId);
    if (trialId === undefined || typeof data !== 'object' || data === null) return;
    this.pending.get(trialId)?.onEvent?.(data as TrialEvent);
  }

  private onCompleted(jobId: string, value: unknown): void {
    const trialId = this.trialIdOf(jobId);
    if (trialId === undefined) return;
    const parsed = (typeof value === 'string' ? safeParse(value) : value) as TrialResult | undefined;
    if (!parsed || typeof parsed !== 'object' || parsed.trialId !== trialId || (parsed.status !== 'ok' && parsed.status !== 'failed')) {
      this.settle(trialId, (p) => this.failed(p.task, p.started, 'the worker returned something that is not a trial result'));
      return;
    }
    const p = this.pending.get(trialId);
    if (p && parsed.widths?.join(',') !== p.task.widths.join(',')) {
      // Only a job left running by an earlier run in this folder can answer with other widths.
      this.log(`ignored a result for trial ${trialId}: it trained widths ${parsed.widths?.join(',')}, not ${p.task.widths.join(',')} (a stale job of an earlier run)`);
      return;
    }
    const expected = this.options.dataSha256;
    if (expected && parsed.status === 'ok' && parsed.dataSha256 !== expected) {
      const theirs = parsed.dataSha256 ? `examples with fingerprint ${parsed.dataSha256.slice(0, 12)}` : 'examples it did not fingerprint (an older widthwise worker?)';
      this.settle(trialId, (q) => this.failed(q.task, q.started, `refused: the worker trained on ${theirs}, not this controller's ${expected.slice(0, 12)}; its --data-dir must hold the same files`));
      return;
    }
    this.settle(trialId, () => parsed);
  }

  private onFailed(jobId: string, reason: string | undefined): void {
    const trialId = this.trialIdOf(jobId);
    if (trialId === undefined) return;
    const why = /stalled more than allowable limit/.test(reason ?? '')
      ? `its workers were lost (killed or stalled) too many times: ${reason}`
      : `the queue job failed: ${reason ?? 'no reason given'}`;
    this.settle(trialId, (p) => this.failed(p.task, p.started, why));
  }

  /** Resolves a pending trial once; a result for a trial not pending is ignored and logged. */
  private settle(trialId: number, make: (p: Pending) => TrialResult): void {
    const p = this.pending.get(trialId);
    if (!p) {
      const why = this.givenUp.has(trialId) ? 'the trial was already given up here' : 'it was already delivered';
      this.log(`ignored a result for trial ${trialId}: ${why} (the journal keeps the first)`);
      return;
    }
    this.pending.delete(trialId);
    clearTimeout(p.timer);
    p.resolve(make(p));
  }

  private giveUp(trialId: number, reason: string): void {
    const p = this.pending.get(trialId);
    if (!p) return;
    this.givenUp.add(trialId);
    this.settle(trialId, () => this.failed(p.task, p.started, reason));
    // Best effort: a job still waiting is removed; a running one finishes and is ignored.
    void this.connected.then(({ queue }) => queue.remove(jobIdOf(trialId))).catch(() => undefined);
  }

  private failed(task: TrialTask, started: number, reason: string): TrialResult {
    return failedResult(task, reason, started);
  }

  /**
   * The slow path: each pending job is looked up. A finished one is collected (its event may have
   * been missed while Redis was away); a missing one is queued again (Redis lost it). With trials
   * waiting and no worker connected for `workerTimeoutSeconds`, every pending trial fails the search.
   */
  private async poll(queue: Queue): Promise<void> {
    if (this.pending.size === 0) {
      this.noWorkerSince = undefined;
      return;
    }
    // With Redis down a poll waits for it; the next ones are skipped rather than piled up.
    if (this.polling) return;
    this.polling = true;
    try {
      for (const [trialId, p] of [...this.pending]) {
        const job = await queue.getJob(jobIdOf(trialId));
        if (!this.pending.has(trialId)) continue;
        if (!job) {
          this.log(`trial ${trialId}: its job is no longer in Redis (restarted without its data?); queued again`);
          await this.enqueue(queue, p.task);
        } else if (job.finishedOn !== undefined && !sameTraining(job.data as TrialJobData, p.task)) {
          // A finished job of an earlier run in this folder under this trial id: replaced.
          this.log(`trial ${trialId}: the job in Redis is an earlier run's; queued again`);
          await job.remove();
          await this.enqueue(queue, p.task);
        } else {
          await this.collect(job);
        }
      }
      const workers = await queue.getWorkersCount();
      if (workers > 0) this.noWorkerSince = undefined;
      else this.checkNoWorker();
    } catch (err) {
      // Redis away: the connections retry by themselves; the next poll tries again.
      this.quietPoll(`queue poll: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.polling = false;
    }
  }

  private checkNoWorker(): void {
    const now = Date.now();
    this.noWorkerSince ??= now;
    const waitSeconds = this.options.workerTimeoutSeconds ?? 60;
    if (now - this.noWorkerSince < waitSeconds * 1000) return;
    const error = new NoWorkerError(
      `no widthwise worker has served ${this.where} for ${waitSeconds} s, with ${this.pending.size} trials waiting. `
      + `Start one with: widthwise worker --queue ${redactRedisUrl(this.options.url)} --study ${this.options.queueName}; then resume the search with --resume`,
    );
    for (const trialId of [...this.pending.keys()]) this.reject(trialId, error);
    this.noWorkerSince = undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poller);
    clearInterval(this.watchdog);
    // Trials still out are left in the queue: a resumed controller collects them.
    for (const trialId of [...this.pending.keys()]) {
      this.givenUp.add(trialId);
      this.settle(trialId, (p) => this.failed(p.task, p.started, 'aborted: the run was stopped'));
    }
    await this.local?.close();
    if (this.ready) {
      // With Redis down each of these would wait for it: each gets a moment, then the connections are cut.
      const ready = this.ready;
      await boundedWait(ready.clients[0].srem(STUDIES_KEY, this.options.queueName), CLOSE_WAIT_MS);
      await boundedWait(ready.events.close(), CLOSE_WAIT_MS);
      await boundedWait(ready.queue.close(), CLOSE_WAIT_MS);
    }
    // Not connected yet (Redis unreachable): the connections stop retrying here.
    for (const c of this.clients) c.disconnect();
  }
}

/** Whether a job's task is this trial's training (an earlier run in the same folder may have left another). */
function sameTraining(data: TrialJobData | undefined, task: TrialTask): boolean {
  const queued = data?.task as Partial<TrialTask> | undefined;
  return queued?.seed === task.seed && queued?.widths?.join(',') === task.widths.join(',');
}

/** Waits for `promise` at most `ms`, ignoring its failure (for best-effort cleanup). */
async function boundedWait(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise((r) => { timer = setTimeout(r, ms); })]);
  clearTimeout(timer);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
