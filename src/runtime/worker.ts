/**
 * The worker side of the pool: each worker thread loads tfjs once (on its first task) and runs
 * tasks one at a time. Progress goes back over the MessagePort that came with the task.
 */
import type { MessagePort } from 'node:worker_threads';
import type { TrialResult } from '../trial/result.js';
import type { TrialTask } from '../trial/task.js';
import { PORT_END } from './port-end.js';
import { runTrial } from './run-trial.js';

/** What the pool sends a worker: the task, and the port its progress events go back on. */
export interface WorkerRequest {
  task: TrialTask;
  port?: MessagePort;
}

export default async function work({ task, port }: WorkerRequest): Promise<TrialResult> {
  try {
    return await runTrial(task, (event) => port?.postMessage(event));
  } finally {
    port?.postMessage(PORT_END);
    port?.close();
  }
}
