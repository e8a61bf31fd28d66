import type { TrialEvent, TrialResult, TrialTask } from '../core/types.js';
import type { Evaluator } from './evaluator.js';
import { runTrial } from './run-trial.js';

/** Runs trials one at a time on the calling thread; for tests and single-core machines. */
export class InProcessEvaluator implements Evaluator {
  readonly concurrency = 1;
  private readonly controller = new AbortController();
  private queue: Promise<unknown> = Promise.resolve();

  evaluate(task: TrialTask, onEvent?: (event: TrialEvent) => void): Promise<TrialResult> {
    const next = this.queue.then(() => runTrial(task, onEvent, this.controller.signal));
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    this.controller.abort(new Error('evaluator closed'));
    await this.queue;
  }
}
