/**
 * Trial throughput of the worker pool with 1 and with 2 workers on the same batch of trials
 * (cnn-mnist proxy trainings on the bundled digits, by default the search's proxy settings:
 * 3 epochs on 3,000 images), side by side in one run. Every trial has the base widths (seeds
 * differ), so the figure is the pool's throughput, not how evenly unequal trials happen to split.
 *   npx tsx scripts/bench-pool.ts [--trials 12] [--epochs 3] [--max-train 3000] [--json]
 */
import type { TrialTask } from '../src/trial/task.js';
import { PoolEvaluator } from '../src/runtime/pool-evaluator.js';
import { mean } from '../src/core/stats.js';
import { numberArg, scriptArgs } from './lib/args.js';
import { benchTrial } from './lib/bench-task.js';

const args = scriptArgs({
  trials: { type: 'string', default: '12' }, epochs: { type: 'string', default: '3' }, 'max-train': { type: 'string', default: '3000' }, json: { type: 'boolean', default: false },
}, 'npx tsx scripts/bench-pool.ts [--trials 12] [--epochs 3] [--max-train 3000] [--json]');
const trials = numberArg(args.trials, 'trials');
const epochs = numberArg(args.epochs, 'epochs');
const maxTrain = numberArg(args['max-train'], 'max-train');
const tasks: TrialTask[] = Array.from({ length: trials }, (_, i) => benchTrial(i, i, epochs, maxTrain));

async function measure(workers: number) {
  const pool = new PoolEvaluator({ workers });
  // Warm every worker (tfjs + wasm load, dataset read) outside the timed part.
  await Promise.all(Array.from({ length: workers }, (_, i) => pool.evaluate({ ...tasks[0], trialId: -1 - i, data: { ...tasks[0].data, maxTrain: 64 } })));
  const t0 = performance.now();
  const results = await Promise.all(tasks.map((t) => pool.evaluate(t)));
  const seconds = (performance.now() - t0) / 1000;
  await pool.close();
  const failed = results.filter((r) => r.status !== 'ok');
  if (failed.length) throw new Error(`failed trials: ${failed.map((f) => f.reason).join('; ')}`);
  // Mean seconds inside a trial: if it grows with 2 workers, the cores contend (memory, caches).
  const meanTrialSeconds = mean(results.map((r) => r.seconds));
  return { workers, trials, seconds, trialsPerMinute: (trials * 60) / seconds, meanTrialSeconds, backend: results[0].backend };
}

const one = await measure(1);
const two = await measure(2);
const rows = [one, two];
if (args.json) {
  console.log(JSON.stringify({ rows, speedup: two.trialsPerMinute / one.trialsPerMinute }, null, 2));
} else {
  console.log(`${trials} cnn-mnist proxy trials, ${epochs} epoch(s) on ${maxTrain} images each`);
  for (const r of rows) console.log(`${r.workers} worker(s): ${r.trials} trials in ${r.seconds.toFixed(1)} s = ${r.trialsPerMinute.toFixed(2)} trials/min, ${r.meanTrialSeconds.toFixed(2)} s per trial inside the worker (${r.backend})`);
  console.log(`speed-up with 2 workers: ${(two.trialsPerMinute / one.trialsPerMinute).toFixed(2)}x`);
}
