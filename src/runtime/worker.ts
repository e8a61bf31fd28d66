/**
 * The worker side of the pool: each worker thread loads tfjs once (on its first task) and runs
 * tasks one at a time. Progress goes back over the MessagePort that came with the task.
 */
import type { MessagePort } from 'node:worker_threads';
import { failedResult, type TrialResult } from '../trial/result.js';
import { trialTaskSchema, type TrialTask } from '../trial/task.js';
import { PORT_END } from './port-end.js';
import { runTrial } from './run-trial.js';

/** What the pool sends a worker: the task, and the port its progress events go back on. */
export interface WorkerRequest {
  task: TrialTask;
  port?: MessagePort;
}

/** Runs the task (checked against the trial contract first: a malformed one fails, with the reason). */
export default async function work({ task, port }: WorkerRequest): Promise<TrialResult> {
  const started = performance.now();
  try {
    const checked = trialTaskSchema.safeParse(task);
    if (!checked.success) return failedResult(task, `not a trial task: ${checked.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, started);
    return await runTrial(checked.data, (event) => port?.postMessage(event));
  } finally {
    port?.postMessage(PORT_END);
    port?.close();
  }
}
