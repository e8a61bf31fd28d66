// A pool worker for tests of the pool's resilience: a task that carries a `fault` ('throw', 'exit'
// or 'hang') gets it, any other task runs in widthwise's real trial worker. Plain JavaScript that
// registers tsx, like src/runtime/worker-entry.mjs, since piscina loads it in a fresh thread.
import { register } from 'tsx/esm/api';

register();
const { default: work } = await import('../../src/runtime/worker.ts');

export default async function faultyWork(request) {
  const fault = request.task.fault;
  if (fault === 'exit') process.exit(3);
  if (fault === 'throw') throw new Error('injected fault');
  if (fault === 'hang') await new Promise(() => undefined);
  return work(request);
}
