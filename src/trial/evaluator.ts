import type { TrialEvent, TrialResult } from './result.js';
import type { TrialTask } from './task.js';

/**
 * Runs trials somewhere (a worker pool, a test's fake, later other machines). The search sees only
 * this interface: tasks go in, results come out, both plain data. `evaluate` never rejects for a
 * failing trial; the result says `failed` and why.
 */
export interface Evaluator {
  /** How many trials can run at once. */
  readonly concurrency: number;
  evaluate(task: TrialTask, onEvent?: (event: TrialEvent) => void): Promise<TrialResult>;
  /** Aborts running trials (they come back failed) and frees the workers. */
  close(): Promise<void>;
}
