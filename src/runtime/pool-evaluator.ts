/**
 * A worker-thread pool (piscina) of trial runners. One task per worker at a time; a task that
 * throws, times out or kills its worker comes back as a failed result, and piscina starts a fresh
 * worker for the next task.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Evaluator } from '../trial/evaluator.js';
import type { TrialEvent, TrialResult } from '../trial/result.js';
import type { TrialTask } from '../trial/task.js';
import type { InjectedFault, WorkerRequest } from './worker.js';

export interface PoolOptions {
  /** Worker threads (default: the number of cores). */
  workers?: number;
  /** Default per-trial wall-clock limit in seconds (a task's own `timeoutSeconds` wins). */
  trialTimeoutSeconds?: number;
}

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
      filename: workerEntry(),
      minThreads: this.concurrency,
      maxThreads: this.concurrency,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
    });
  }

  /** Like `evaluate`, with a fault injected in the worker (tests of the pool's resilience). */
  evaluateWithFault(task: TrialTask, fault: InjectedFault, onEvent?: (e: TrialEvent) => void): Promise<TrialResult> {
    return this.submit(task, onEvent, fault);
  }

  evaluate(task: TrialTask, onEvent?: (event: TrialEvent) => void): Promise<TrialResult> {
    return this.submit(task, onEvent);
  }

  private async submit(task: TrialTask, onEvent?: (e: TrialEvent) => void, fault?: InjectedFault): Promise<TrialResult> {
    const started = performance.now();
    const controller = new AbortController();
    const timeoutSeconds = task.timeoutSeconds ?? this.options.trialTimeoutSeconds;
    let timedOut = false;
    const timer = timeoutSeconds ? setTimeout(() => { timedOut = true; controller.abort(); }, timeoutSeconds * 1000) : undefined;
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (event: TrialEvent) => onEvent?.(event));
    this.running.add(controller);
    try {
      const request: WorkerRequest = { task, port: port2, fault };
      return (await this.pool.run(request, { transferList: [port2], signal: controller.signal })) as TrialResult;
    } catch (err) {
      const reason = timedOut
        ? `timed out after ${timeoutSeconds} s (--trial-timeout)`
        : this.closing
          ? 'aborted: the run was stopped'
          : `worker failed: ${err instanceof Error ? err.message : String(err)}`;
      return { trialId: task.trialId, status: 'failed', reason, widths: task.widths, seconds: (performance.now() - started) / 1000 };
    } finally {
      clearTimeout(timer);
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
