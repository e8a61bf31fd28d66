/**
 * The worker side of the pool: each worker thread loads tfjs once (on its first task) and runs
 * tasks one at a time. Progress goes back over the MessagePort that came with the task.
 */
import type { MessagePort } from 'node:worker_threads';
import type { TrialResult } from '../trial/result.js';
import type { TrialTask } from '../trial/task.js';
import { runTrial } from './run-trial.js';

/** Faults a test can ask of a worker, to prove the pool survives them. */
export type InjectedFault = 'throw' | 'exit' | 'hang';

export interface WorkerRequest {
  task: TrialTask;
  port?: MessagePort;
  fault?: InjectedFault;
}

export default async function work({ task, port, fault }: WorkerRequest): Promise<TrialResult> {
  if (fault === 'exit') process.exit(3);
  if (fault === 'throw') throw new Error('injected fault');
  if (fault === 'hang') await new Promise(() => undefined);
  try {
    return await runTrial(task, (event) => port?.postMessage(event));
  } finally {
    port?.close();
  }
}
