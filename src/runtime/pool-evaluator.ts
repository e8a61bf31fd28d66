/**
 * A worker-thread pool (piscina) of trial runners. One task per worker at a time; a task that
 * throws, times out or kills its worker comes back as a failed result, and piscina starts a fresh
 * worker for the next task.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Evaluator } from '../trial/evaluator.js';
import { failedResult, type TrialEvent, type TrialResult } from '../trial/result.js';
import type { TrialTask } from '../trial/task.js';
import { PORT_END } from './port-end.js';
import type { WorkerRequest } from './worker.js';

export interface PoolOptions {
  /** Worker threads (default: the number of cores). */
  workers?: number;
  /** Default per-trial wall-clock limit in seconds (a task's own `timeoutSeconds` wins). */
  trialTimeoutSeconds?: number;
  /**
   * The module each worker thread loads, whose default export takes a `WorkerRequest` (default:
   * widthwise's trial worker). Tests pass one that injects faults.
   */
  workerFile?: URL;
}

/** How long a finished task's progress events may take to arrive after its result. */
const PORT_DRAIN_MS = 1000;

/**
 * The file each worker thread loads: the built `worker.js` beside this module when it runs as
 * JavaScript (the package), or `worker-entry.mjs`, which registers tsx, when it runs from source.
 */
function workerEntry(): string {
  return import.meta.url.endsWith('.ts') ? new URL('./worker-entry.mjs', import.meta.url).href : new URL('./worker.js', import.meta.url).href;
}

export class PoolEvaluator implements Evaluator {
  readonly concurrency: number;
  private readonly pool: Piscina;
  private readonly running = new Set<AbortController>();
  private closing = false;

  constructor(private readonly options: PoolOptions = {}) {
    this.concurrency = Math.max(1, options.workers ?? availableParallelism());
    this.pool = new Piscina({
      filename: options.workerFile?.href ?? workerEntry(),
      minThreads: this.concurrency,
      maxThreads: this.concurrency,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
    });
  }

  async evaluate(task: TrialTask, onEvent?: (event: TrialEvent) => void): Promise<TrialResult> {
    const started = performance.now();
    const controller = new AbortController();
    const timeoutSeconds = task.timeoutSeconds ?? this.options.trialTimeoutSeconds;
    let timedOut = false;
    const timer = timeoutSeconds ? setTimeout(() => { timedOut = true; controller.abort(); }, timeoutSeconds * 1000) : undefined;
    const { port1, port2 } = new MessageChannel();
    let ended: () => void = () => undefined;
    const endMarker = new Promise<void>((resolve) => { ended = resolve; });
    port1.on('message', (event: TrialEvent | typeof PORT_END) => (event === PORT_END ? ended() : onEvent?.(event)));
    // The worker posts PORT_END and closes its end when the task ends; the events it posted before arrive first.
    const drained = Promise.race([endMarker, new Promise<void>((resolve) => port1.once('close', resolve))]);
    this.running.add(controller);
    try {
      const request: WorkerRequest = { task, port: port2 };
      return (await this.pool.run(request, { transferList: [port2], signal: controller.signal })) as TrialResult;
    } catch (err) {
      const reason = timedOut
        ? `timed out after ${timeoutSeconds} s (--trial-timeout)`
        : this.closing
          ? 'aborted: the run was stopped'
          : `worker failed: ${err instanceof Error ? err.message : String(err)}`;
      return failedResult(task, reason, started);
    } finally {
      clearTimeout(timer);
      // The result can overtake the last progress events (two channels); wait for them, briefly.
      let drainTimer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise((resolve) => { drainTimer = setTimeout(resolve, PORT_DRAIN_MS); })]);
      clearTimeout(drainTimer);
      port1.close();
      this.running.delete(controller);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const c of this.running) c.abort();
    await this.pool.destroy();
  }
}
