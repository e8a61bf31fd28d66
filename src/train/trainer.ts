/**
 * The trainer: mini-batch training of a `WidthModel` with a recipe, seeded batch order, per-step
 * learning rate, optional gradient masks (static sparsity), and hooks for telemetry and progress.
 */
import * as tf from '@tensorflow/tfjs-core';
import { TrainError } from '../core/errors.js';
import { createStatefulRng, shuffleInPlace, type RngState } from '../core/rng.js';
import type { DataSplit } from '../core/dataset.js';
import type { ImageShape } from '../core/shapes.js';
import type { TrainRecipe } from '../core/recipe.js';
import { gatherBatch, identityOrder, type Augmentation } from './batches.js';
import { largestActivation, type WidthModel } from './model.js';
import { Optimizer, type OptimizerState } from './optimizer.js';
import { learningRate } from './schedule.js';


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
  /** Continue a training from this state (taken by `onCheckpoint`) instead of starting afresh. */
  resume?: TrainerState;
  /**
   * Called with the whole training state after every epoch but the last (once `onEpoch` is done)
   * and, with `checkpointEvery`, after every that many steps inside an epoch. Resuming from the
   * state it is given continues the very same training.
   */
  onCheckpoint?: (state: TrainerState, model: WidthModel) => void | Promise<void>;
  /** Steps between mid-epoch calls of `onCheckpoint` (0 or absent: at epoch ends only). */
  checkpointEvery?: number;
}

/**
 * Where a training stands, as plain data: with the model's weights it is all a resumed training
 * needs to continue exactly as the uninterrupted one would have.
 */
export interface TrainerState {
  /** Epochs completed. */
  epochsDone: number;
  /** Steps done inside epoch `epochsDone + 1` (0 at an epoch boundary). */
  stepInEpoch: number;
  /** Steps done since the start of training (the schedule's position). */
  globalStep: number;
  stepsPerEpoch: number;
  /** The current epoch's example order (the last epoch's at a boundary); the next shuffle starts from it. */
  batchOrder: Int32Array;
  /** The batch-order stream's position. */
  batchRng: RngState;
  /** The augmentation stream's position, when the recipe augments. */
  augmentRng?: RngState;
  /** Sums of the epoch in progress, so its report matches the uninterrupted one. */
  partialEpoch: { lossSum: number; correct: number; seen: number };
  /** Reports of the epochs completed. */
  history: EpochReport[];
  optimizer: OptimizerState;
}

export interface TrainOutcome {
  epochs: EpochReport[];
  trainLoss: number;
  trainAccuracy: number;
  steps: number;
  seconds: number;
}

/** Steps of one epoch over `count` examples; a trailing batch of one example would break batch norm and is dropped. */
export function stepsPerEpochOf(count: number, batchSize: number): number {
  const b = Math.min(batchSize, count);
  return Math.floor(count / b) + (count % b >= 2 ? 1 : 0);
}

/**
 * Trains `model` on `split` following `recipe`, or continues `hooks.resume`'s training. Throws
 * `TrainError` on a NaN or infinite loss, or when the resumed state does not fit the data or recipe.
 */
export async function train(model: WidthModel, split: DataSplit, shape: ImageShape, recipe: TrainRecipe, hooks: TrainHooks = {}): Promise<TrainOutcome> {
  if (!(recipe.epochs >= 1) || !(recipe.batchSize >= 1) || !(recipe.lr > 0)) {
    throw new TrainError(`expected epochs >= 1, batch size >= 1 and lr > 0, found epochs ${recipe.epochs}, batch size ${recipe.batchSize}, lr ${recipe.lr}`);
  }
  if (split.count < 2) throw new TrainError(`expected at least 2 training examples, found ${split.count}`);
  const started = performance.now();
  const batchSize = Math.min(recipe.batchSize, split.count);
  const stepsPerEpoch = stepsPerEpochOf(split.count, recipe.batchSize);
  const totalSteps = stepsPerEpoch * recipe.epochs;
  const checkpointEvery = hooks.checkpointEvery ?? 0;
  const params = model.params;
  const optimizer = new Optimizer(recipe.optimizer, params.map((p) => ({ name: p.name, variable: p.variable, decay: p.role === 'kernel' })));
  const nameOf = new Map(params.map((p) => [p.variable.name, p.name]));
  const variables = model.trainableVariables();
  const resume = hooks.resume;
  try {
    if (resume) checkResumable(resume, split.count, stepsPerEpoch, recipe);
    if (resume) optimizer.restore(resume.optimizer);
    const rng = createStatefulRng(`batches:${recipe.seed}`, resume?.batchRng);
    const augmentRng = recipe.augment ? createStatefulRng(`augment:${recipe.seed}`, resume?.augmentRng) : undefined;
    const augment = recipe.augment && augmentRng ? { ...recipe.augment, rng: augmentRng } : undefined;
    const order = resume ? Int32Array.from(resume.batchOrder) : identityOrder(split.count);
    const epochs: EpochReport[] = resume ? resume.history.map((e) => ({ ...e })) : [];
    let globalStep = resume?.globalStep ?? 0;
    const firstEpoch = (resume?.epochsDone ?? 0) + 1;
    hooks.onStart?.(model);
    for (let epoch = firstEpoch; epoch <= recipe.epochs; epoch++) {
      const epochStart = performance.now();
      const continuing = epoch === firstEpoch && resume !== undefined && resume.stepInEpoch > 0;
      if (!continuing) shuffleInPlace(order, rng);
      const sums = continuing ? { ...resume.partialEpoch } : { lossSum: 0, correct: 0, seen: 0 };
      const state = (stepInEpoch: number): TrainerState => ({
        epochsDone: stepInEpoch === 0 ? epoch : epoch - 1, stepInEpoch, globalStep, stepsPerEpoch,
        batchOrder: Int32Array.from(order), batchRng: rng.state(), ...(augmentRng ? { augmentRng: augmentRng.state() } : {}),
        partialEpoch: stepInEpoch === 0 ? { lossSum: 0, correct: 0, seen: 0 } : { ...sums },
        history: epochs.map((e) => ({ ...e })), optimizer: optimizer.state(),
      });
      let lr = recipe.lr;
      for (let step = continuing ? resume.stepInEpoch + 1 : 1; step <= stepsPerEpoch; step++) {
        // Yield to the event loop between steps: timers (a run-folder lock's heartbeat, an abort) run.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (hooks.signal?.aborted) throw hooks.signal.reason ?? new Error('aborted');
        const start = (step - 1) * batchSize;
        const end = Math.min(split.count, start + batchSize);
        lr = learningRate(recipe.schedule, recipe.lr, globalStep, totalSteps, recipe.warmupEpochs ? recipe.warmupEpochs * stepsPerEpoch : 0);
        const [loss, hits] = trainStep(model, split, shape, order, start, end, variables, nameOf, optimizer, lr, hooks.gradientMasks, recipe.labelSmoothing ?? 0, augment);
        globalStep++;
        if (!Number.isFinite(loss)) {
          throw new TrainError(`loss became ${loss} at epoch ${epoch}, step ${step} (lr ${lr.toPrecision(3)}); try a smaller --lr`);
        }
        sums.lossSum += loss * (end - start);
        sums.correct += hits;
        sums.seen += end - start;
        hooks.onStep?.({ epoch, step, stepsPerEpoch, loss }, model);
        if (checkpointEvery > 0 && globalStep % checkpointEvery === 0 && step < stepsPerEpoch) await hooks.onCheckpoint?.(state(step), model);
      }
      const report: EpochReport = { epoch, trainLoss: sums.lossSum / sums.seen, trainAccuracy: sums.correct / sums.seen, lr, seconds: (performance.now() - epochStart) / 1000 };
      epochs.push(report);
      await hooks.onEpoch?.(report, model);
      if (epoch < recipe.epochs) await hooks.onCheckpoint?.(state(0), model);
    }
    const last = epochs[epochs.length - 1] ?? { trainLoss: NaN, trainAccuracy: NaN };
    return { epochs, trainLoss: last.trainLoss, trainAccuracy: last.trainAccuracy, steps: globalStep, seconds: (performance.now() - started) / 1000 };
  } finally {
    optimizer.dispose();
  }
}

/** Refuses a resumed state that was not made with this data and recipe. */
function checkResumable(resume: TrainerState, count: number, stepsPerEpoch: number, recipe: TrainRecipe): void {
  if (resume.batchOrder.length !== count) {
    throw new TrainError(`the saved batch order covers ${resume.batchOrder.length} training examples, the data has ${count}; resume with the data the training started with`);
  }
  if (resume.stepsPerEpoch !== stepsPerEpoch) throw new TrainError(`the saved state has ${resume.stepsPerEpoch} steps per epoch, this recipe and data give ${stepsPerEpoch}`);
  const inRange = resume.epochsDone >= 0 && resume.epochsDone <= recipe.epochs && resume.stepInEpoch >= 0 && resume.stepInEpoch < stepsPerEpoch;
  if (!inRange || resume.globalStep !== resume.epochsDone * stepsPerEpoch + resume.stepInEpoch || resume.history.length !== resume.epochsDone) {
    throw new TrainError(`the saved position (epoch ${resume.epochsDone}, step ${resume.stepInEpoch}, global step ${resume.globalStep}, ${resume.history.length} epoch reports) does not fit a ${recipe.epochs}-epoch training of ${stepsPerEpoch} steps per epoch`);
  }
  if ((recipe.augment !== undefined) !== (resume.augmentRng !== undefined)) throw new TrainError(`the saved state ${resume.augmentRng ? 'has' : 'has no'} augmentation stream, the recipe ${recipe.augment ? 'augments' : 'does not augment'}`);
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

/** Bytes one activation tensor of an evaluation batch may take (float32). */
const EVALUATION_TENSOR_BYTES = 128 * 2 ** 20;

/**
 * The evaluation batch for `model`: 500 examples, fewer where the network's largest activation
 * would pass 128 MB (a wide MobileNet's hidden maps at 500 examples took the wasm heap past 2 GB).
 */
export function evaluationBatchSize(model: WidthModel): number {
  return Math.max(1, Math.min(500, Math.floor(EVALUATION_TENSOR_BYTES / (4 * largestActivation(model.net)))));
}

/** Loss and accuracy of `model` on `split` in inference mode (BN moving averages). */
export function evaluate(model: WidthModel, split: DataSplit, shape: ImageShape, batchSize = evaluationBatchSize(model)): Evaluation {
  return evaluateForward((x) => model.apply(x, false), split, shape, batchSize);
}

/**
 * Loss and accuracy on `split` of any forward pass from an input batch to logits (a network, a
 * supernet's sub-network), batch by batch in input order.
 */
export function evaluateForward(forward: (x: tf.Tensor4D) => tf.Tensor2D, split: DataSplit, shape: ImageShape, batchSize: number): Evaluation {
  if (split.count === 0) return { loss: NaN, accuracy: NaN, count: 0 };
  const order = identityOrder(split.count);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const end = Math.min(split.count, start + batchSize);
    const [loss, hits] = tf.tidy(() => {
      const { x, y } = gatherBatch(split, shape, order, start, end);
      const logits = forward(x);
      const l = tf.losses.softmaxCrossEntropy(tf.oneHot(y, logits.shape[1]), logits).mul(end - start);
      const h = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32'));
      return [l.dataSync()[0], h.dataSync()[0]];
    });
    lossSum += loss;
    correct += hits;
  }
  return { loss: lossSum / split.count, accuracy: correct / split.count, count: split.count };
}
