/** `widthwise baseline`: options in, the wide & sparse baseline's progress and table out. */
import type { Argv } from 'yargs';
import { availableParallelism } from 'node:os';
import { UsageError } from '../core/errors.js';
import type { OptionTable } from '../core/option-table.js';
import { ensureWritableDir } from '../storage/writable-dir.js';
import { defaultBaselineDir, runBaseline } from '../pipeline/baseline-run.js';
import { PoolEvaluator } from '../runtime/pool-evaluator.js';
import { loadSpace } from '../space/load.js';
import { COMMANDS } from './command-list.js';
import { withOptions } from './options/declare.js';
import { dataSpecFromOptions } from '../data/data-options.js';
import { recipeFromArgs, TRAINING_OPTIONS } from './options/training.js';
import { loadImagesUpFront } from './data-progress.js';
import { printJson, startBackend } from './shared.js';

export const BASELINE_OPTIONS = {
  ...TRAINING_OPTIONS,
  scales: { type: 'string', default: '1,1.41,2,2.83', describe: 'width multipliers, comma-separated positive numbers' },
  seeds: { type: 'number', integer: true, min: 1, default: 2, describe: 'seeds per network' },
  workers: { type: 'number', integer: true, min: 1, default: availableParallelism(), describe: 'worker threads' },
  out: { type: 'string', writes: 'folder', describe: 'folder for the table and plot (default results/baseline-<space>-<time>)' },
} as const satisfies OptionTable;

export function baselineCommand(yargs: Argv): Argv {
  return yargs.command(
    COMMANDS.baseline.command,
    COMMANDS.baseline.describe,
    (y) =>
      withOptions(y.positional('space', { type: 'string', demandOption: true, describe: 'a space file or a shipped space name' }), BASELINE_OPTIONS)
        .example('$0 baseline mlp-mnist --epochs 5', 'dense and sparse MLPs at 1x, 1.41x, 2x, 2.83x width'),
    async (args) => {
      const space = loadSpace(args.space);
      const scales = String(args.scales).split(',').map(Number);
      if (scales.some((s) => !(s > 0 && Number.isFinite(s)))) throw new UsageError(`--scales: expected comma-separated positive numbers, found "${args.scales}"`);
      const out = args.out ?? defaultBaselineDir(space.name, new Date());
      // Before the backend and the pool start: a folder that cannot be written fails at once.
      ensureWritableDir(out, '--out');
      const recipe = recipeFromArgs(args, space.dataset);
      // No seed here: each training's seed is its own (runBaseline sets it).
      const data = dataSpecFromOptions(args, { space, maxTrain: args.maxTrain, validationFraction: args.validationFraction });
      const backend = await startBackend(args.backend as never);
      const request = { space, scales, seeds: args.seeds, recipe, backend: args.backend, out, data };
      // An image folder is decoded once here (its progress shown); the pool's threads read the cache.
      await loadImagesUpFront(request.data);
      const pool = new PoolEvaluator({ workers: args.workers });
      let outcome;
      try {
        outcome = await runBaseline(request, pool, {
          onStart: ({ trainings, baseKernelWeights }) => process.stderr.write(`baseline ${space.name}: ${trainings} trainings (${scales.length} scales, ${args.seeds} seeds, ${recipe.epochs} epochs) on ${args.workers} workers (${backend}); target ${baseKernelWeights.toLocaleString('en-US')} nonzero weights\n`),
          onTrainingDone: (job, r, { done, total }) => process.stderr.write(`[${done}/${total}] x${job.scale} ${job.kind} seed ${job.seed}: ${r.status === 'ok' ? `test acc ${r.metrics!.testAccuracy.toFixed(4)}` : `failed: ${r.reason}`}\n`),
        });
      } finally {
        await pool.close();
      }
      if (args.json) printJson({ space: space.name, backend, outDir: out, rows: outcome.rows });
      else console.log(`${outcome.table}\n\ntable, plot and baseline.json in ${out}`);
    },
  );
}
