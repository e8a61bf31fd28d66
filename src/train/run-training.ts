/**
 * One complete training run as plain data in, plain data out: the unit that `widthwise train`, the
 * worker pool and the final training of a search share.
 */
import { DataError } from '../core/errors.js';
import type { DataSpec, Dataset, WidthVector } from '../core/types.js';
import { networkCost } from '../cost/cost.js';
import { loadDataset } from '../data/registry.js';
import { backendInfo } from '../engine/backend.js';
import { resolveNetwork, type Network } from '../space/network.js';
import type { SearchSpace } from '../space/types.js';
import * as tf from '@tensorflow/tfjs';
import { WidthModel, type WeightsRecord } from './model.js';
import { countNonzeroKernelWeights, sparsify } from './sparse.js';
import { evaluate, train, type EpochReport, type TrainHooks, type TrainRecipe } from './trainer.js';

export interface TrainingRequest {
  space: SearchSpace;
  widths: WidthVector;
  data: DataSpec;
  recipe: TrainRecipe;
  /** Seeds the initial weights (the recipe's seed orders the batches). */
  seed: number;
  /** Output classes; default: the dataset's. */
  classes?: number;
  /**
   * `space` resolved at `widths` with that many classes, when the caller has it already (a trial
   * resolves its network once, for telemetry, cost and model); resolved here otherwise.
   */
  net?: Network;
  /** Static random sparsity: keep exactly this many nonzero kernel weights (wide & sparse). */
  sparseNonzero?: number;
  /** Resuming: weights to start from and the epochs they already had. */
  initialWeights?: WeightsRecord;
  epochsDone?: number;
}

export interface TrainingResult {
  space: string;
  dataset: string;
  widths: WidthVector;
  params: number;
  macs: number;
  backend: string;
  trainLoss: number;
  trainAccuracy: number;
  validationAccuracy: number;
  testAccuracy: number;
  testLoss: number;
  epochs: EpochReport[];
  seconds: number;
  seed: number;
  /** Nonzero conv/dense kernel weights after training (all of them for a dense model). */
  nonzeroWeights: number;
  /** With `keepBest`: the epoch whose weights were kept. */
  bestEpoch?: number;
}

/** Checks that the dataset's images fit the space's input. */
export function checkCompatible(space: SearchSpace, data: Dataset): void {
  const a = space.input.join('x');
  const b = data.inputShape.join('x');
  if (a !== b) {
    throw new DataError(`space ${space.name} expects ${a} inputs, but dataset ${data.name} gives ${b}; pick a dataset of that shape (--dataset) or another space`);
  }
}

/**
 * Trains `request.space` at `request.widths` and evaluates it. `hooks` see every epoch; the model
 * is handed to `keep` before it is disposed (for checkpoints and export), if given.
 */
export async function runTraining(
  request: TrainingRequest,
  hooks: TrainHooks = {},
  options: { dataset?: Dataset; keep?: (model: WidthModel, metrics: Record<string, number>) => void | Promise<void> } = {},
): Promise<TrainingResult> {
  const started = performance.now();
  const data = options.dataset ?? (await loadDataset(request.data));
  checkCompatible(request.space, data);
  const classes = request.classes ?? data.classes;
  const net = request.net ?? resolveNetwork(request.space, request.widths, classes);
  const cost = networkCost(net);
  const model = new WidthModel(net, request.seed);
  const sparse = request.sparseNonzero !== undefined ? sparsify(model, request.sparseNonzero, request.seed) : undefined;
  if (request.initialWeights) model.setWeights(request.initialWeights);
  let best: { accuracy: number; epoch: number; weights: WeightsRecord } | undefined;
  const onEpoch = async (report: EpochReport, m: WidthModel) => {
    if (request.recipe.keepBest) {
      const accuracy = evaluate(m, data.validation, data.inputShape).accuracy;
      report.validationAccuracy = accuracy;
      if (!best || accuracy > best.accuracy) best = { accuracy, epoch: report.epoch, weights: m.getWeights() };
    }
    await hooks.onEpoch?.(report, m);
  };
  try {
    const outcome = await train(model, data.train, data.inputShape, request.recipe, {
      ...hooks, onEpoch, epochsDone: request.epochsDone, ...(sparse ? { gradientMasks: sparse.masks } : {}),
    });
    if (best) model.setWeights(best.weights);
    const validation = evaluate(model, data.validation, data.inputShape);
    const test = evaluate(model, data.test, data.inputShape);
    await options.keep?.(model, {
      validationAccuracy: validation.accuracy, testAccuracy: test.accuracy, trainLoss: outcome.trainLoss, ...(best ? { bestEpoch: best.epoch } : {}),
    });
    return {
      space: request.space.name,
      dataset: data.name,
      widths: request.widths,
      params: cost.params,
      macs: cost.macs,
      backend: backendInfo()?.name ?? 'unknown',
      trainLoss: outcome.trainLoss,
      trainAccuracy: outcome.trainAccuracy,
      validationAccuracy: validation.accuracy,
      testAccuracy: test.accuracy,
      testLoss: test.loss,
      epochs: outcome.epochs,
      seconds: (performance.now() - started) / 1000,
      seed: request.seed,
      nonzeroWeights: countNonzeroKernelWeights(model),
      ...(best ? { bestEpoch: best.epoch } : {}),
    };
  } finally {
    model.dispose();
    if (sparse) tf.dispose(Object.values(sparse.masks));
  }
}
