/**
 * The wide & sparse baseline end to end, with no console I/O (Golubeva, Gur-Ari, Neyshabur, ICLR
 * 2021): for each width scale, the dense network and, where it has more kernel weights than the
 * base network, the sparse one that keeps exactly the base network's count; every network over
 * several seeds; the table, `baseline.json` and the plot written to the output folder.
 */
import { ensureWritableDir } from '../storage/writable-dir.js';
import { lockRunFolder } from '../storage/run-lock.js';
import { join } from 'node:path';
import type { DataSpec } from '../core/dataset.js';
import { WidthwiseError } from '../core/errors.js';
import type { TrainRecipe } from '../core/recipe.js';
import { mean, sampleStd } from '../core/stats.js';
import { spaceCost, spaceKernelWeights } from '../cost/cost.js';
import { baselineSvg } from '../report/baseline-plot.js';
import { svgToPng } from '../report/svg-plot.js';
import { formatTable } from '../report/table.js';
import { baseWidths, scaledWidths } from '../space/widths.js';
import type { SearchSpace } from '../space/types.js';
import { writeFileAtomic } from '../storage/files.js';
import type { Evaluator } from '../trial/evaluator.js';
import type { TrialResult } from '../trial/result.js';
import type { TrialTask } from '../trial/task.js';

/** Some of a baseline's trainings failed; the message gives the first reason. */
export class BaselineError extends WidthwiseError {}

export type BaselineKind = 'dense' | 'sparse';

/** What a baseline trains: the space at `scales`, `seeds` times each, with one recipe. */
export interface BaselineRequest {
  space: SearchSpace;
  /** Width multipliers of the base widths. */
  scales: number[];
  /** Seeds per network, 0 .. seeds - 1; each seeds the weights, the data split and the batch order. */
  seeds: number;
  recipe: TrainRecipe;
  /** The data of every training; its seed is replaced by the training's. */
  data: DataSpec;
  backend?: string;
  /** Folder of baseline.json, baseline.txt, baseline.svg and .png. */
  out: string;
}

/** One training of the baseline. */
export interface BaselineJob {
  scale: number;
  kind: BaselineKind;
  seed: number;
  task: TrialTask;
}

/** One line of the baseline's table: a network over its seeds. */
export interface BaselineRow {
  scale: number;
  kind: BaselineKind;
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

export interface BaselineOutcome {
  /** The backend the trainings ran on, as the first one reported it. */
  backend: string;
  /** Kernel weights of the base network: what every sparse network keeps. */
  baseKernelWeights: number;
  rows: BaselineRow[];
  /** The rows as a plain-text table (also in baseline.txt). */
  table: string;
}

/** The default output folder of a baseline: `results/baseline-<space>-<ISO time with - for : and .>`. */
export function defaultBaselineDir(spaceName: string, now: Date): string {
  return join('results', `baseline-${spaceName}-${now.toISOString().replace(/[:.]/g, '-')}`);
}

/** The trainings of a baseline, and the base network's kernel weights the sparse ones keep. */
export function baselineJobs(request: BaselineRequest): { baseKernelWeights: number; jobs: BaselineJob[] } {
  const { space, recipe } = request;
  const baseKernelWeights = spaceKernelWeights(space, baseWidths(space));
  const jobs: BaselineJob[] = [];
  for (const scale of request.scales) {
    const widths = scaledWidths(space, scale);
    // A network no wider than the base has nothing to remove: it is only trained dense.
    const kinds: BaselineKind[] = spaceKernelWeights(space, widths) > baseKernelWeights ? ['dense', 'sparse'] : ['dense'];
    for (const kind of kinds) for (let seed = 0; seed < request.seeds; seed++) {
      jobs.push({
        scale, kind, seed,
        task: {
          trialId: jobs.length, space, widths, seed, recipe: { ...recipe, seed }, backend: request.backend, data: { ...request.data, seed },
          ...(kind === 'sparse' ? { sparseNonzero: baseKernelWeights } : {}),
        },
      });
    }
  }
  return { baseKernelWeights, jobs };
}

/** The table rows of finished jobs, in scale order, dense before sparse. */
export function baselineRows(space: SearchSpace, scales: number[], done: { job: BaselineJob; result: TrialResult }[]): BaselineRow[] {
  const rows: BaselineRow[] = [];
  for (const scale of scales) for (const kind of ['dense', 'sparse'] as const) {
    const rs = done.filter((d) => d.job.scale === scale && d.job.kind === kind);
    if (!rs.length) continue;
    const widths = scaledWidths(space, scale);
    const kernels = spaceKernelWeights(space, widths);
    const nonzero = rs[0].result.metrics!.nonzeroWeights ?? kernels;
    const accuracies = rs.map((r) => r.result.metrics!.testAccuracy);
    const cost = spaceCost(space, widths);
    rows.push({
      scale, kind, widths, connectivity: nonzero / kernels, nonzeroWeights: nonzero, params: cost.params, macs: cost.macs,
      testAccuracy: mean(accuracies), testAccuracyStd: sampleStd(accuracies), seeds: accuracies.length, accuracies,
    });
  }
  return rows;
}

/** What a baseline tells as it goes. */
export interface BaselineObserver {
  onStart?(plan: { trainings: number; baseKernelWeights: number }): void;
  onTrainingDone?(job: BaselineJob, result: TrialResult, progress: { done: number; total: number }): void;
}

/**
 * Runs every job of `request` on `evaluator` (all at once; the evaluator queues them), then writes
 * the outputs. Throws `BaselineError` if any training failed.
 */
export async function runBaseline(request: BaselineRequest, evaluator: Evaluator, observer: BaselineObserver = {}): Promise<BaselineOutcome> {
  const { baseKernelWeights, jobs } = baselineJobs(request);
  ensureWritableDir(request.out, '--out');
  // One writer per output folder, as for a search.
  const lock = await lockRunFolder(request.out, { command: 'widthwise baseline' });
  try {
    return await runBaselineHeld(request, evaluator, observer, baseKernelWeights, jobs);
  } finally {
    await lock.release();
  }
}

async function runBaselineHeld(
  request: BaselineRequest, evaluator: Evaluator, observer: BaselineObserver, baseKernelWeights: number, jobs: BaselineJob[],
): Promise<BaselineOutcome> {
  observer.onStart?.({ trainings: jobs.length, baseKernelWeights });
  let finished = 0;
  const done = await Promise.all(jobs.map(async (job) => {
    const result = await evaluator.evaluate(job.task);
    observer.onTrainingDone?.(job, result, { done: ++finished, total: jobs.length });
    return { job, result };
  }));
  const failed = done.filter((d) => d.result.status !== 'ok');
  if (failed.length) throw new BaselineError(`${failed.length} of ${jobs.length} trainings failed; first: ${failed[0].result.reason}`);
  const rows = baselineRows(request.space, request.scales, done);
  const backend = done[0]?.result.backend ?? 'unknown';
  const { space, out, recipe } = request;
  writeFileAtomic(join(out, 'baseline.json'), JSON.stringify({ space: space.name, backend, recipe, baseKernelWeights, rows }, null, 2));
  const svg = baselineSvg(space.name, baseKernelWeights, rows);
  writeFileAtomic(join(out, 'baseline.svg'), svg);
  const png = await svgToPng(svg);
  if (png) writeFileAtomic(join(out, 'baseline.png'), png);
  const table = formatTable(
    ['scale', 'kind', 'connectivity', 'nonzero weights', 'params', 'MACs', 'test acc', 'spread'],
    rows.map((r) => [r.scale, r.kind, Number(r.connectivity.toFixed(3)), r.nonzeroWeights, r.params, r.macs, Number(r.testAccuracy.toFixed(4)), Number(r.testAccuracyStd.toFixed(4))]),
  );
  writeFileAtomic(join(out, 'baseline.txt'), table + '\n');
  return { backend, baseKernelWeights, rows, table };
}
