import type { Argv } from 'yargs';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { TrialTask } from '../core/types.js';
import { spaceCost } from '../cost/cost.js';
import { baselineSvg } from '../report/baseline-plot.js';
import { svgToPng } from '../report/svg-plot.js';
import { formatTable } from '../report/table.js';
import { PoolEvaluator } from '../runtime/pool-evaluator.js';
import { baseWidths, loadSpace, resolveNetwork, scaledWidths } from '../space/index.js';
import { kernelBudgets } from '../train/sparse.js';
import { writeFileAtomic } from '../storage/files.js';
import { printJson, startBackend } from './shared.js';
import { recipeFromArgs, trainingOptions } from './train.js';

export interface BaselineRow {
  scale: number;
  kind: 'dense' | 'sparse';
  widths: number[];
  /** Nonzero kernel weights / kernel weights. */
  connectivity: number;
  nonzeroWeights: number;
  params: number;
  macs: number;
  testAccuracy: number;
  testAccuracyStd: number;
  seeds: number;
  accuracies: number[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

export function baselineCommand(yargs: Argv): Argv {
  return yargs.command(
    'baseline <space>',
    'Wide & sparse baseline: dense nets at several scales against sparse ones with the base weight count',
    (y) =>
      trainingOptions(y.positional('space', { type: 'string', demandOption: true }))
        .option('scales', { type: 'string', default: '1,1.41,2,2.83', describe: 'width multipliers' })
        .option('seeds', { type: 'number', default: 2, describe: 'seeds per network' })
        .option('workers', { type: 'number', default: availableParallelism(), describe: 'worker threads' })
        .option('out', { type: 'string', describe: 'folder for the table and plot (default results/baseline-<space>-<time>)' })
        .example('$0 baseline mlp-mnist --epochs 5', 'dense and sparse MLPs at 1x, 1.41x, 2x, 2.83x width'),
    async (args) => {
      const space = loadSpace(args.space);
      const scales = String(args.scales).split(',').map(Number);
      if (scales.some((s) => !(s > 0))) throw new UsageError(`--scales: expected comma-separated positive numbers, found "${args.scales}"`);
      if (!(Number.isInteger(args.seeds) && args.seeds >= 1)) throw new UsageError(`--seeds: expected a positive integer, found ${args.seeds}`);
      const recipe = recipeFromArgs(args, space.dataset);
      const backend = await startBackend(args.backend as never);
      const baseKernels = kernelBudgets(resolveNetwork(space, baseWidths(space))).reduce((s, l) => s + l.weights, 0);
      const out = args.out ?? join('results', `baseline-${space.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      mkdirSync(out, { recursive: true });
      const jobs: { scale: number; kind: 'dense' | 'sparse'; seed: number; task: TrialTask }[] = [];
      for (const scale of scales) {
        const widths = scaledWidths(space, scale);
        const kernels = kernelBudgets(resolveNetwork(space, widths)).reduce((s, l) => s + l.weights, 0);
        const kinds: ('dense' | 'sparse')[] = kernels > baseKernels ? ['dense', 'sparse'] : ['dense'];
        for (const kind of kinds) for (let seed = 0; seed < args.seeds; seed++) {
          jobs.push({
            scale, kind, seed,
            task: {
              trialId: jobs.length, space, widths, seed, recipe: { ...recipe, seed }, backend: args.backend,
              data: { name: args.dataset ?? space.dataset, dataDir: args.dataDir, seed, maxTrain: args.maxTrain, validationFraction: args.validationFraction },
              ...(kind === 'sparse' ? { sparseNonzero: baseKernels } : {}),
            },
          });
        }
      }
      process.stderr.write(`baseline ${space.name}: ${jobs.length} trainings (${scales.length} scales, ${args.seeds} seeds, ${recipe.epochs} epochs) on ${args.workers} workers (${backend}); target ${baseKernels.toLocaleString('en-US')} nonzero weights\n`);
      const pool = new PoolEvaluator({ workers: args.workers });
      let done = 0;
      const results = await Promise.all(jobs.map(async (j) => {
        const r = await pool.evaluate(j.task);
        done++;
        process.stderr.write(`[${done}/${jobs.length}] x${j.scale} ${j.kind} seed ${j.seed}: ${r.status === 'ok' ? `test acc ${r.metrics!.testAccuracy.toFixed(4)}` : `failed: ${r.reason}`}\n`);
        return { ...j, result: r };
      }));
      await pool.close();
      const failed = results.filter((r) => r.result.status !== 'ok');
      if (failed.length) throw new Error(`${failed.length} trainings failed; first: ${failed[0].result.reason}`);
      const rows: BaselineRow[] = [];
      for (const scale of scales) for (const kind of ['dense', 'sparse'] as const) {
        const rs = results.filter((r) => r.scale === scale && r.kind === kind);
        if (!rs.length) continue;
        const widths = scaledWidths(space, scale);
        const kernels = kernelBudgets(resolveNetwork(space, widths)).reduce((s, l) => s + l.weights, 0);
        const nonzero = rs[0].result.metrics!.nonzeroWeights ?? kernels;
        const accs = rs.map((r) => r.result.metrics!.testAccuracy);
        const cost = spaceCost(space, widths);
        rows.push({
          scale, kind, widths, connectivity: nonzero / kernels, nonzeroWeights: nonzero, params: cost.params, macs: cost.macs,
          testAccuracy: mean(accs), testAccuracyStd: std(accs), seeds: accs.length, accuracies: accs,
        });
      }
      writeFileAtomic(join(out, 'baseline.json'), JSON.stringify({ space: space.name, backend, recipe, baseKernelWeights: baseKernels, rows }, null, 2));
      const svg = baselineSvg(space.name, baseKernels, rows);
      writeFileAtomic(join(out, 'baseline.svg'), svg);
      const png = await svgToPng(svg);
      if (png) writeFileAtomic(join(out, 'baseline.png'), png);
      const table = formatTable(
        ['scale', 'kind', 'connectivity', 'nonzero weights', 'params', 'MACs', 'test acc', 'spread'],
        rows.map((r) => [r.scale, r.kind, Number(r.connectivity.toFixed(3)), r.nonzeroWeights, r.params, r.macs, Number(r.testAccuracy.toFixed(4)), Number(r.testAccuracyStd.toFixed(4))]),
      );
      writeFileAtomic(join(out, 'baseline.txt'), table + '\n');
      if (args.json) printJson({ space: space.name, backend, outDir: out, rows });
      else console.log(`${table}\n\ntable, plot and baseline.json in ${out}`);
    },
  );
}
