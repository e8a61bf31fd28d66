/**
 * Trains what the IS/DS experiment lacks (see scripts/lib/is-ds-runs.ts), one training at a time in
 * this process, cached run by run, so a rerun only adds the missing trainings. Run one process per
 * set to use two cores. The report is written by scripts/experiment-is-ds.ts.
 *
 *   nice -n 10 npx tsx scripts/is-ds-train.ts [--set noise|contrast] [--space mlp-mnist]
 */
import { runTrial } from '../src/runtime/run-trial.js';
import { allSpecs, readRun, recordOf, runKey, taskOf, writeRun, type RunSpec } from './lib/is-ds-runs.js';
import { scriptArgs } from './lib/args.js';

const args = scriptArgs({ set: { type: 'string', default: '' }, space: { type: 'string', default: '' }, network: { type: 'string', default: '' } },
  'npx tsx scripts/is-ds-train.ts [--set noise|contrast] [--space mlp-mnist] [--network cnn-wide]');
// Cheap and needed first: the MLPs, then the conv nets; short trainings first.
const rank = (s: RunSpec) => (s.space === 'mlp-mnist' ? 0 : s.space === 'mlp1' ? 2000 : 1000) + s.epochs;
const todo = allSpecs().filter((s) => (!args.set || s.set === args.set) && (!args.space || s.space === args.space) && (!args.network || s.network === args.network) && !readRun(s))
  .sort((a, b) => rank(a) - rank(b));
const started = performance.now();
for (const [i, spec] of todo.entries()) {
  const r = await runTrial(taskOf(spec, i));
  const elapsed = ((performance.now() - started) / 60000).toFixed(1);
  if (r.status !== 'ok') {
    console.error(`[${i + 1}/${todo.length}] ${runKey(spec)}: FAILED ${r.reason}  (${elapsed} min)`);
    continue;
  }
  writeRun(recordOf(spec, r));
  console.error(`[${i + 1}/${todo.length}] ${runKey(spec)}: test acc ${r.metrics!.testAccuracy.toFixed(4)}, ${r.seconds.toFixed(0)} s  (${elapsed} min)`);
}
