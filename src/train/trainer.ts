/**
 * The trainer: mini-batch training of a `WidthModel` with a recipe, seeded batch order, per-step
 * learning rate, optional gradient masks (static sparsity), and hooks for telemetry and progress.
 */
import * as tf from '@tensorflow/tfjs';
import { TrainError } from '../core/errors.js';
import { createRng, shuffleInPlace } from '../core/rng.js';
import type { DataSplit, ImageShape, TrainRecipe } from '../core/types.js';
import { gatherBatch, identityOrder, type Augmentation } from './batches.js';
import type { WidthModel } from './model.js';
import { Optimizer } from './optimizer.js';
import { learningRate } from './schedule.js';

export type { TrainRecipe } from '../core/types.js';

export interface EpochReport {
  /** 1-based. */
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  /** Learning rate at the epoch's last step. */
  lr: number;
  seconds: number;
  /** Filled in when the recipe keeps the best epoch. */
  validationAccuracy?: number;
}

export interface StepInfo {
  epoch: number;
  /** 1-based within the epoch. */
  step: number;
  stepsPerEpoch: number;
  loss: number;
}

export interface TrainHooks {
  /** Before the first step, with the initial weights. */
  onStart?: (model: WidthModel) => void;
  /** After every epoch; may read the model's weights (telemetry). */
  onEpoch?: (report: EpochReport, model: WidthModel) => void | Promise<void>;
  /** After every step. */
  onStep?: (info: StepInfo, model: WidthModel) => void;
  /**
   * Multiplicative 0/1 masks keyed by parameter name (`fc1/kernel`): the gradient is masked before
   * the update, so momentum and weight decay keep masked weights at zero.
   */
  gradientMasks?: Record<string, tf.Tensor>;
  /** Stops training between steps; `train` then throws the signal's reason. */
  signal?: AbortSignal;
  /** Epochs already done (resuming): training continues at the next epoch, same schedule and batch order. */
  epochsDone?: number;
}

export interface TrainOutcome {
  epochs: EpochReport[];
  trainLoss: number;
  trainAccuracy: number;
  steps: number;
  seconds: number;
}

// Moved to core/recipe (pure, so the controller can build recipes without tfjs); re-exported here.
export { defaultRecipe } from '../core/recipe.js';

/** Trains `model` on `split` following `recipe`. Throws `TrainError` on a NaN or infinite loss. */
export async function train(model: WidthModel, split: DataSplit, shape: ImageShape, recipe: TrainRecipe, hooks: TrainHooks = {}): Promise<TrainOutcome> {
  if (!(recipe.epochs >= 1) || !(recipe.batchSize >= 1) || !(recipe.lr > 0)) {
    throw new TrainError(`expected epochs >= 1, batch size >= 1 and lr > 0, found epochs ${recipe.epochs}, batch size ${recipe.batchSize}, lr ${recipe.lr}`);
  }
  if (split.count < 2) throw new TrainError(`expected at least 2 training examples, found ${split.count}`);
  const started = performance.now();
  const rng = createRng(`batches:${recipe.seed}`);
  const order = identityOrder(split.count);
  const batchSize = Math.min(recipe.batchSize, split.count);
  // A trailing batch of one example would break batch norm; it is dropped.
  const stepsPerEpoch = Math.floor(split.count / batchSize) + (split.count % batchSize >= 2 ? 1 : 0);
  const totalSteps = stepsPerEpoch * recipe.epochs;
  const params = model.params;
  const optimizer = new Optimizer(recipe.optimizer, params.map((p) => ({ name: p.name, variable: p.variable, decay: p.role === 'kernel' })));
  const nameOf = new Map(params.map((p) => [p.variable.name, p.name]));
  const variables = model.trainableVariables();
  const epochs: EpochReport[] = [];
  const augment = recipe.augment ? { ...recipe.augment, rng: createRng(`augment:${recipe.seed}`) } : undefined;
  const epochsDone = hooks.epochsDone ?? 0;
  // Replay the batch order of the epochs already done, so a resumed run sees what it would have.
  for (let e = 0; e < epochsDone; e++) shuffleInPlace(order, rng);
  let globalStep = epochsDone * stepsPerEpoch;
  hooks.onStart?.(model);
  try {
    for (let epoch = epochsDone + 1; epoch <= recipe.epochs; epoch++) {
      const epochStart = performance.now();
      shuffleInPlace(order, rng);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = recipe.lr;
      for (let step = 1; step <= stepsPerEpoch; step++) {
        if (hooks.signal?.aborted) throw hooks.signal.reason ?? new Error('aborted');
        const start = (step - 1) * batchSize;
        const end = Math.min(split.count, start + batchSize);
        lr = learningRate(recipe.schedule, recipe.lr, globalStep, totalSteps, recipe.warmupEpochs ? recipe.warmupEpochs * stepsPerEpoch : 0);
        const [loss, hits] = trainStep(model, split, shape, order, start, end, variables, nameOf, optimizer, lr, hooks.gradientMasks, recipe.labelSmoothing ?? 0, augment);
        globalStep++;
        if (!Number.isFinite(loss)) {
          throw new TrainError(`loss became ${loss} at epoch ${epoch}, step ${step} (lr ${lr.toPrecision(3)}); try a smaller --lr`);
        }
        lossSum += loss * (end - start);
        correct += hits;
        seen += end - start;
        hooks.onStep?.({ epoch, step, stepsPerEpoch, loss }, model);
      }
      const report: EpochReport = { epoch, trainLoss: lossSum / seen, trainAccuracy: correct / seen, lr, seconds: (performance.now() - epochStart) / 1000 };
      epochs.push(report);
      await hooks.onEpoch?.(report, model);
    }
  } finally {
    optimizer.dispose();
  }
  const last = epochs[epochs.length - 1] ?? { trainLoss: NaN, trainAccuracy: NaN };
  return { epochs, trainLoss: last.trainLoss, trainAccuracy: last.trainAccuracy, steps: globalStep, seconds: (performance.now() - started) / 1000 };
}

function trainStep(
  model: WidthModel, split: DataSplit, shape: ImageShape, order: Int32Array, start: number, end: number,
  variables: tf.Variable[], nameOf: Map<string, string>, optimizer: Optimizer, lr: number, masks: Record<string, tf.Tensor> | undefined,
  labelSmoothing: number, augment: Augmentation | undefined,
): [number, number] {
  const { x, y } = gatherBatch(split, shape, order, start, end, augment);
  try {
    return optimizeOnBatch(model, x, y, variables, nameOf, optimizer, lr, masks, labelSmoothing);
  } finally {
    x.dispose();
    y.dispose();
  }
}

/**
 * One optimisation step on a batch already in tensors: forward with batch statistics, softmax
 * cross-entropy, gradients of `variables` (masked where `masks` has an entry), one optimizer
 * update. Returns the batch loss and the number of correct predictions. The benchmarks time this.
 */
export function optimizeOnBatch(
  model: WidthModel, x: tf.Tensor4D, y: tf.Tensor1D, variables: tf.Variable[], nameOf: Map<string, string>,
  optimizer: Optimizer, lr: number, masks?: Record<string, tf.Tensor>, labelSmoothing = 0,
): [number, number] {
  let hitsTensor: tf.Tensor | undefined;
  try {
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(x, true);
      const labels = tf.oneHot(y, logits.shape[1]);
      hitsTensor = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32')));
      return tf.losses.softmaxCrossEntropy(labels, logits, undefined, labelSmoothing) as tf.Scalar;
    }, variables);
    const named: Record<string, tf.Tensor> = {};
    for (const [tfName, g] of Object.entries(grads)) {
      const name = nameOf.get(tfName)!;
      const mask = masks?.[name];
      named[name] = mask ? tf.mul(g, mask) : g;
    }
    optimizer.apply(named, lr);
    const loss = value.dataSync()[0];
    const hits = hitsTensor!.dataSync()[0];
    value.dispose();
    tf.dispose(Object.values(grads));
    if (masks) tf.dispose(Object.entries(named).filter(([n]) => masks[n]).map(([, t]) => t));
    return [loss, hits];
  } finally {
    hitsTensor?.dispose();
  }
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  count: number;
}

/** Loss and accuracy of `model` on `split` in inference mode (BN moving averages). */
export function evaluate(model: WidthModel, split: DataSplit, shape: ImageShape, batchSize = 500): Evaluation {
  if (split.count === 0) return { loss: NaN, accuracy: NaN, count: 0 };
  const order = identityOrder(split.count);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const end = Math.min(split.count, start + batchSize);
    const [loss, hits] = tf.tidy(() => {
      const { x, y } = gatherBatch(split, shape, order, start, end);
      const logits = model.apply(x, false);
      const l = tf.losses.softmaxCrossEntropy(tf.oneHot(y, logits.shape[1]), logits).mul(end - start);
      const h = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32'));
      return [l.dataSync()[0], h.dataSync()[0]];
    });
    lossSum += loss;
    correct += hits;
  }
  return { loss: lossSum / split.count, accuracy: correct / split.count, count: split.count };
}
