/**
 * widthwise as a library: search the per-layer widths of a network under a MACs budget, probe a
 * network's IS / DS labels, train, run the wide & sparse baseline, export to ONNX, inspect a space's
 * costs. Importing this module has no side effects: tfjs and its backend load on the first call
 * that trains (`search`, `probe`, `train`, `baseline`, `exportOnnx`).
 *
 * @example
 * import { inspect, search } from 'widthwise';
 * console.log(inspect('cnn-mnist').macs);
 * const { summary } = await search({ options: { space: 'mlp-mnist', budgetRatio: 0.5, trials: 8 } });
 * console.log(summary.winner?.widths, summary.winner?.testAccuracy);
 */
import { availableParallelism } from 'node:os';
import type { DataSpec } from './core/dataset.js';
import { defaultRecipe, type TrainRecipe } from './core/recipe.js';
import type { WidthVector } from './core/shapes.js';
import { spaceCost, type NetworkCost } from './cost/cost.js';
import type { BackendChoice } from './core/backend-choice.js';
import { runBaseline, type BaselineObserver, type BaselineOutcome, type BaselineRequest } from './pipeline/baseline-run.js';
import type { CheckpointExport, ExportRequest } from './pipeline/export-checkpoint.js';
import { SearchRun, type SearchOutcome, type SearchRunObserver, type SearchRunRequest } from './pipeline/search-run.js';
import { PoolEvaluator } from './runtime/pool-evaluator.js';
import { baseWidths } from './space/widths.js';
import { loadSpace } from './space/load.js';
import type { SearchSpace } from './space/types.js';
import type { TrainingRequest, TrainingResult } from './train/run-training.js';
import type { TrialEvent, TrialResult } from './trial/result.js';
import type { ProbedLayer } from './variance/label-layers.js';

export type { ImageShape, WidthVector } from './core/shapes.js';
export type { DataSpec, Dataset, DataSplit } from './core/dataset.js';
export type { OptimizerSpec, ScheduleSpec, TrainRecipe } from './core/recipe.js';
export { defaultRecipe } from './core/recipe.js';
export { BudgetError, DataError, EngineError, SpaceError, TrainError, UsageError, WidthwiseError } from './core/errors.js';
export { DiskFullError } from './storage/files.js';
export type { LayerDecl, SearchSpace, WidthGroup } from './space/types.js';
export { baseWidths, parseWidths, scaledWidths } from './space/widths.js';
export { loadSpace, shippedSpaceNames } from './space/load.js';
export { resolveNetwork, type Network } from './space/network.js';
export { kernelWeights, networkCost, spaceCost, spaceKernelWeights, type LayerCost, type NetworkCost } from './cost/cost.js';
export { SAMPLER_NAMES, type SamplerName } from './search/samplers.js';
export { isFeasible, projectToBudget, type Budget } from './search/budget.js';
export type { FrozenTrial } from './search/types.js';
export type { Evaluator } from './trial/evaluator.js';
export type { LayerTelemetry, TrialEvent, TrialMetrics, TrialResult } from './trial/result.js';
export type { TrialTask } from './trial/task.js';
export { SearchRun, SearchError, type SearchOutcome, type SearchRunObserver, type SearchRunRequest } from './pipeline/search-run.js';
export { SEARCH_DEFAULTS, type SearchOptions } from './pipeline/search-options.js';
export { SupernetEvaluator, SUPERNET_DEFAULTS, supernetWidths, type SupernetEvaluatorOptions } from './runtime/supernet-evaluator.js';
export type { BaselineOutcome, BaselineRequest, BaselineRow } from './pipeline/baseline-run.js';
export type { CheckpointExport, ExportRequest } from './pipeline/export-checkpoint.js';
export type { ModelSummary, SearchSummary } from './report/search-summary.js';
export type { TrainingRequest, TrainingResult } from './train/run-training.js';
export type { ProbedLayer } from './variance/label-layers.js';
export type { BackendChoice } from './core/backend-choice.js';

/** A space given by a shipped name, a file path, or as a validated space. */
export type SpaceRef = string | SearchSpace;

const spaceOf = (space: SpaceRef): SearchSpace => (typeof space === 'string' ? loadSpace(space) : space);

/**
 * Params and MACs of `space` at `widths` (default: the base widths), per weighted layer and in
 * total, from the space alone (no tfjs). Throws `SpaceError` for an unknown space or bad widths.
 */
export function inspect(space: SpaceRef, widths?: WidthVector): NetworkCost & { space: string; widths: WidthVector } {
  const s = spaceOf(space);
  const w = widths ?? baseWidths(s);
  return { space: s.name, widths: w, ...spaceCost(s, w) };
}

/**
 * Runs a width search end to end (study in worker threads, final trainings of base and winner,
 * ONNX export, report in the run folder) or resumes one; see `SearchRunRequest`. For `stop()`,
 * use `SearchRun.open(request)` and its `execute` instead.
 */
export async function search(request: SearchRunRequest = {}, observer?: SearchRunObserver): Promise<SearchOutcome> {
  return SearchRun.open(request).execute(observer);
}

/** Trains once on the calling thread; `backend` (default `auto`) is started first. */
export async function train(request: TrainingRequest & { backend?: BackendChoice }): Promise<TrainingResult> {
  const [{ initBackend }, { runTraining }] = await Promise.all([import('./engine/backend.js'), import('./train/run-training.js')]);
  await initBackend(request.backend ?? 'auto');
  return runTraining(request);
}

/** What `probe` trains: a space at some widths, with telemetry recorded every epoch (and every `recordEvery` steps). */
export interface ProbeRequest {
  space: SpaceRef;
  /** Default: the base widths. */
  widths?: WidthVector;
  /** Default: `defaultRecipe()` (3 epochs). */
  recipe?: TrainRecipe;
  /** Default: the space's dataset. */
  data?: DataSpec;
  seed?: number;
  recordEvery?: number;
  backend?: BackendChoice;
  /** Which norm the labels read (default: variance's default norm kind). */
  norm?: 'outgoing' | 'paired';
}

/**
 * Trains once with weight-norm telemetry and labels each weighted layer IS (wide enough), DS (too
 * narrow) or undetermined. Throws `TrainError` when the training fails.
 */
export async function probe(request: ProbeRequest, onEvent?: (event: TrialEvent) => void): Promise<{ result: TrialResult; layers: ProbedLayer[] }> {
  const [{ runTrial }, { labelLayers }, { TrainError }] = await Promise.all([import('./runtime/run-trial.js'), import('./variance/label-layers.js'), import('./core/errors.js')]);
  const space = spaceOf(request.space);
  const seed = request.seed ?? 0;
  const result = await runTrial({
    trialId: 0, space, widths: request.widths ?? baseWidths(space), seed, recipe: request.recipe ?? defaultRecipe({ seed }),
    data: request.data ?? { name: space.dataset, seed }, recordEvery: request.recordEvery, backend: request.backend,
  }, onEvent);
  if (result.status !== 'ok') throw new TrainError(`probe of ${space.name} failed: ${result.reason}`);
  return { result, layers: labelLayers(result.telemetry!, request.norm) };
}

/**
 * The wide & sparse baseline (Golubeva, Gur-Ari, Neyshabur, ICLR 2021) in `workers` worker threads
 * (default: the cores); writes its table and plot to `request.out`.
 */
export async function baseline(request: BaselineRequest, options: { workers?: number } & BaselineObserver = {}): Promise<BaselineOutcome> {
  const pool = new PoolEvaluator({ workers: options.workers ?? availableParallelism() });
  try {
    return await runBaseline(request, pool, options);
  } finally {
    await pool.close();
  }
}

/**
 * Writes the checkpoint in `checkpointDir` (from `train --save` or a search's `winner/`) as ONNX and
 * checks it in ONNX Runtime against tfjs on test inputs; throws `ExportError` when they disagree.
 */
export async function exportOnnx(checkpointDir: string, request: ExportRequest & { backend?: BackendChoice } = {}): Promise<CheckpointExport> {
  const [{ initBackend }, { exportCheckpoint }] = await Promise.all([import('./engine/backend.js'), import('./pipeline/export-checkpoint.js')]);
  await initBackend(request.backend ?? 'auto');
  return exportCheckpoint(checkpointDir, request);
}
