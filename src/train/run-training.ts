/**
 * One complete training run as plain data in, plain data out: the unit that `widthwise train`, the
 * worker pool and the final training of a search share.
 */
import { DataError } from '../core/errors.js';
import type { DataSpec, Dataset } from '../core/dataset.js';
import type { WidthVector } from '../core/shapes.js';
import { networkCost } from '../cost/cost.js';
import { loadDataset } from '../data/registry.js';
import { dataSpecFor } from '../data/synthetic.js';
import { backendInfo } from '../engine/backend.js';
import { resolveNetwork, type Network } from '../space/network.js';
import type { SearchSpace } from '../space/types.js';
import * as tf from '@tensorflow/tfjs-core';
import { WidthModel, type WeightsRecord } from './model.js';
import { applyMasks, countNonzeroKernelWeights, sparsify } from './sparse.js';
import { dataFingerprint } from '../data/fingerprint.js';
import type { TrainRecipe } from '../core/recipe.js';
import { evaluate, train, type EpochReport, type TrainerState, type TrainHooks } from './trainer.js';

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
  /** Continue this saved training (same space, widths, data and recipe) instead of starting afresh. */
  resume?: TrainingSnapshot;
}

/**
 * Everything a training needs to continue where it stopped, as plain data: the trainer's state
 * (optimizer slots, schedule position, batch order and rng streams, history), the current weights,
 * the best epoch's weights (keep-best), the sparsity masks, and the sizes of the data it saw.
 */
export interface TrainingSnapshot {
  trainer: TrainerState;
  weights: WeightsRecord;
  best?: { epoch: number; validationAccuracy: number; weights: WeightsRecord };
  /** 0/1 kernel masks of a sparse network, by parameter name (`fc1/kernel`). */
  masks?: Record<string, { shape: number[]; values: Float32Array }>;
  trainExamples: number;
  validationExamples: number;
  /** `dataFingerprint` of the data trained on; a resume on other data is refused. */
  dataSha256?: string;
}

/** What a finished training hands to `keep` besides the model and its metrics. */
export interface FinishedTraining {
  history: EpochReport[];
  best?: { epoch: number; validationAccuracy: number };
  masks?: Record<string, { shape: number[]; values: Float32Array }>;
  trainExamples: number;
  validationExamples: number;
  dataSha256?: string;
  globalStep: number;
}

export interface TrainingResult {
  space: string;
  dataset: string;
  widths: WidthVector;
  params: number;
  macs: number;
  backend: string;
  /** wasm only: which build of the engine's compiled kernels ran (`relaxed-simd`, `simd` or `unavailable`). */
  simd?: string;
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
  /** Examples the training and validation parts held (after --max-train and the split). */
  trainExamples: number;
  validationExamples: number;
}

/** Checks that the dataset's images fit the space's input. */
export function checkCompatible(space: SearchSpace, data: Dataset): void {
  const a = space.input.join('x');
  const b = data.inputShape.join('x');
  if (a !== b) {
    throw new DataError(`space ${space.name} expects ${a} inputs, but dataset ${data.name} gives ${b}; pick a dataset of that shape (--dataset) or another space`);
  }
}

/** Options of `runTraining` beyond the request and the trainer's hooks. */
export interface RunTrainingOptions {
  /** The dataset, already loaded (else it is loaded from `request.data`). */
  dataset?: Dataset;
  /** Receives the model (weights of the kept epoch) before it is disposed: checkpoints, export. */
  keep?: (model: WidthModel, metrics: Record<string, number>, finished: FinishedTraining) => void | Promise<void>;
  /** Receives the whole training state at every epoch end but the last and every `checkpointEvery` steps. */
  onCheckpoint?: (snapshot: TrainingSnapshot) => void | Promise<void>;
  /** Steps between mid-epoch snapshots (0 or absent: epoch ends only). */
  checkpointEvery?: number;
}

/**
 * Trains `request.space` at `request.widths` (or continues `request.resume`) and evaluates it.
 * `hooks` see every epoch. A resumed training ends with the weights and metrics the uninterrupted
 * one would have had, on the same backend. Throws `DataError` when the data no longer has the
 * sizes the snapshot was trained on.
 */
export async function runTraining(request: TrainingRequest, hooks: TrainHooks = {}, options: RunTrainingOptions = {}): Promise<TrainingResult> {
  const started = performance.now();
  const data = options.dataset ?? (await loadDataset(dataSpecFor(request.data, request.space)));
  checkCompatible(request.space, data);
  const resume = request.resume;
  const source = `dataset ${request.data.name}${request.data.dataDir ? ` in ${request.data.dataDir}` : ''}`;
  if (resume && (resume.trainExamples !== data.train.count || resume.validationExamples !== data.validation.count)) {
    throw new DataError(`the data now gives ${data.train.count} training and ${data.validation.count} validation examples, but the saved training had ${resume.trainExamples} and ${resume.validationExamples}; resume with the data it started with (${source})`);
  }
  // Hashing the data costs a pass over it: only trainings that save or resume need it.
  const dataSha256 = resume || options.onCheckpoint || options.keep ? dataFingerprint(data) : undefined;
  if (resume?.dataSha256 && resume.dataSha256 !== dataSha256) {
    throw new DataError(`the data (${source}) is not the data the saved training saw: same sizes, other examples (sha256 ${dataSha256!.slice(0, 12)}…, saved ${resume.dataSha256.slice(0, 12)}…); resume with the files it started with`);
  }
  const classes = request.classes ?? data.classes;
  const net = request.net ?? resolveNetwork(request.space, request.widths, classes);
  const cost = networkCost(net);
  const model = new WidthModel(net, request.seed);
  let masks: Record<string, tf.Tensor> | undefined;
  let best: { validationAccuracy: number; epoch: number; weights: WeightsRecord } | undefined;
  try {
    if (resume?.masks) masks = Object.fromEntries(Object.entries(resume.masks).map(([name, m]) => [name, tf.tensor(m.values, m.shape)]));
    else if (request.sparseNonzero !== undefined) masks = sparsify(model, request.sparseNonzero, request.seed).masks;
    if (resume) {
      model.setWeights(resume.weights);
      // Pruned weights are zero in a sound checkpoint; re-applying the masks keeps them so regardless.
      if (masks) applyMasks(model, masks);
      if (resume.best) best = { ...resume.best };
    }
    const plainMasks = masks ? Object.fromEntries(Object.entries(masks).map(([n, t]) => [n, { shape: t.shape, values: t.dataSync() as Float32Array }])) : undefined;
    const onEpoch = async (report: EpochReport, m: WidthModel) => {
      if (request.recipe.keepBest) {
        const accuracy = evaluate(m, data.validation, data.inputShape).accuracy;
        report.validationAccuracy = accuracy;
        if (!best || accuracy > best.validationAccuracy) best = { validationAccuracy: accuracy, epoch: report.epoch, weights: m.getWeights() };
      }
      await hooks.onEpoch?.(report, m);
    };
    const sizes = { trainExamples: data.train.count, validationExamples: data.validation.count, ...(dataSha256 ? { dataSha256 } : {}) };
    const onCheckpoint = options.onCheckpoint
      ? (state: TrainerState, m: WidthModel) => options.onCheckpoint!({ trainer: state, weights: m.getWeights(), ...(best ? { best } : {}), ...(plainMasks ? { masks: plainMasks } : {}), ...sizes })
      : undefined;
    const outcome = await train(model, data.train, data.inputShape, request.recipe, {
      ...hooks, onEpoch, onCheckpoint, checkpointEvery: options.checkpointEvery, resume: resume?.trainer, ...(masks ? { gradientMasks: masks } : {}),
    });
    if (best) model.setWeights(best.weights);
    const validation = evaluate(model, data.validation, data.inputShape);
    const test = evaluate(model, data.test, data.inputShape);
    await options.keep?.(
      model,
      // With the network's cost, a finished checkpoint says all a trial result needs without training.
      { validationAccuracy: validation.accuracy, testAccuracy: test.accuracy, trainLoss: outcome.trainLoss, params: cost.params, macs: cost.macs, ...(best ? { bestEpoch: best.epoch } : {}) },
      { history: outcome.epochs, ...(best ? { best: { epoch: best.epoch, validationAccuracy: best.validationAccuracy } } : {}), ...(plainMasks ? { masks: plainMasks } : {}), ...sizes, globalStep: outcome.steps },
    );
    return {
      space: request.space.name,
      dataset: data.name,
      widths: request.widths,
      params: cost.params,
      macs: cost.macs,
      backend: backendInfo()?.name ?? 'unknown',
      ...(backendInfo()?.simd ? { simd: backendInfo()!.simd } : {}),
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
      trainExamples: sizes.trainExamples,
      validationExamples: sizes.validationExamples,
    };
  } finally {
    model.dispose();
    if (masks) tf.dispose(Object.values(masks));
  }
}
