/**
 * Training a slimmable supernet with the sandwich rule (AutoSlim; Yu & Huang, "Universally
 * slimmable networks", 2019): every step trains the widest sub-network on the labels, then the
 * narrowest and `randomPerStep` random grid vectors on the widest's softmax (in-place
 * distillation), and applies the summed gradients in one optimizer update. The random vectors of
 * step s come from the rng of (recipe seed, s), so a resumed training draws the same ones with no
 * extra state: the trainer's state (`TrainerState`) and the weights are all a resume needs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { TrainError } from '../core/errors.js';
import { createRng, createStatefulRng, shuffleInPlace, type Rng } from '../core/rng.js';
import type { DataSplit } from '../core/dataset.js';
import type { TrainRecipe } from '../core/recipe.js';
import type { ImageShape, WidthVector } from '../core/shapes.js';
import type { SearchSpace } from '../space/types.js';
import { gatherBatch, identityOrder } from './batches.js';
import { Optimizer } from './optimizer.js';
import { learningRate } from './schedule.js';
import type { Supernet } from './supernet.js';
import { stepsPerEpochOf, type EpochReport, type StepInfo, type TrainerState, type TrainOutcome } from './trainer.js';

/** The sandwich: which sub-networks a step trains besides the widest. */
export interface SandwichSpec {
  /** The narrowest vector trained every step (default: each group's `min`, capped at the supernet's). */
  minWidths: WidthVector;
  /** Random grid vectors per step, between `minWidths` and the supernet's widths (default 2). */
  randomPerStep: number;
  /** Train the smaller sub-networks on the widest's softmax (true) or on the labels (false). */
  distill: boolean;
}

/** Hooks of a supernet training, as a training's (`TrainHooks`) where they apply. */
export interface SupernetHooks {
  onEpoch?: (report: EpochReport) => void | Promise<void>;
  onStep?: (info: StepInfo) => void;
  signal?: AbortSignal;
  resume?: TrainerState;
  /** The whole state after every epoch but the last and every `checkpointEvery` steps. */
  onCheckpoint?: (state: TrainerState) => void | Promise<void>;
  checkpointEvery?: number;
}

/** A uniformly random grid width per group, between `min` and `max` (both on the group's grid from its `min`). */
export function randomGridVector(space: SearchSpace, min: WidthVector, max: WidthVector, rng: Rng): WidthVector {
  return space.groups.map((g, i) => {
    const step = g.step;
    const lo = min[i];
    const cells = Math.floor((max[i] - lo) / step) + 1;
    return lo + step * rng.int(Math.max(1, cells));
  });
}

/** The sub-networks step `globalStep` trains: widest, narrowest, then the random ones. */
export function sandwichVectors(space: SearchSpace, max: WidthVector, spec: SandwichSpec, seed: number, globalStep: number): WidthVector[] {
  const rng = createRng(`sandwich:${seed}:${globalStep}`);
  const out = [[...max], [...spec.minWidths]];
  for (let i = 0; i < spec.randomPerStep; i++) out.push(randomGridVector(space, spec.minWidths, max, rng));
  return out;
}

/**
 * Trains `supernet` on `split` with `recipe` (its epochs, batch size, lr, schedule, optimizer and
 * seed; augmentation, label smoothing and keep-best are not applied) and the sandwich `spec`, or
 * continues `hooks.resume`. Reported loss and accuracy are the widest network's. Throws
 * `TrainError` on a diverged loss or a saved state that does not fit.
 */
export async function trainSupernet(supernet: Supernet, split: DataSplit, shape: ImageShape, recipe: TrainRecipe, spec: SandwichSpec, hooks: SupernetHooks = {}): Promise<TrainOutcome> {
  if (!(recipe.epochs >= 1) || !(recipe.batchSize >= 1) || !(recipe.lr > 0)) {
    throw new TrainError(`expected epochs >= 1, batch size >= 1 and lr > 0, found epochs ${recipe.epochs}, batch size ${recipe.batchSize}, lr ${recipe.lr}`);
  }
  if (split.count < 2) throw new TrainError(`expected at least 2 training examples, found ${split.count}`);
  const started = performance.now();
  const batchSize = Math.min(recipe.batchSize, split.count);
  const stepsPerEpoch = stepsPerEpochOf(split.count, recipe.batchSize);
  const totalSteps = stepsPerEpoch * recipe.epochs;
  const params = supernet.model.params;
  const optimizer = new Optimizer(recipe.optimizer, params.map((p) => ({ name: p.name, variable: p.variable, decay: p.role === 'kernel' })));
  const nameOf = new Map(params.map((p) => [p.variable.name, p.name]));
  const variables = supernet.model.trainableVariables();
  const resume = hooks.resume;
  try {
    if (resume) {
      if (resume.batchOrder.length !== split.count || resume.stepsPerEpoch !== stepsPerEpoch || resume.globalStep !== resume.epochsDone * stepsPerEpoch + resume.stepInEpoch || resume.epochsDone > recipe.epochs) {
        throw new TrainError(`the saved supernet training (epoch ${resume.epochsDone}, step ${resume.stepInEpoch}, ${resume.batchOrder.length} examples, ${resume.stepsPerEpoch} steps per epoch) does not fit a ${recipe.epochs}-epoch training of ${stepsPerEpoch} steps per epoch over ${split.count} examples; resume with the data and recipe it started with`);
      }
      optimizer.restore(resume.optimizer);
    }
    const rng = createStatefulRng(`batches:${recipe.seed}`, resume?.batchRng);
    const order = resume ? Int32Array.from(resume.batchOrder) : identityOrder(split.count);
    const epochs: EpochReport[] = resume ? resume.history.map((e) => ({ ...e })) : [];
    let globalStep = resume?.globalStep ?? 0;
    const firstEpoch = (resume?.epochsDone ?? 0) + 1;
    for (let epoch = firstEpoch; epoch <= recipe.epochs; epoch++) {
      const epochStart = performance.now();
      const continuing = epoch === firstEpoch && resume !== undefined && resume.stepInEpoch > 0;
      if (!continuing) shuffleInPlace(order, rng);
      const sums = continuing ? { ...resume.partialEpoch } : { lossSum: 0, correct: 0, seen: 0 };
      const state = (stepInEpoch: number): TrainerState => ({
        epochsDone: stepInEpoch === 0 ? epoch : epoch - 1, stepInEpoch, globalStep, stepsPerEpoch,
        batchOrder: Int32Array.from(order), batchRng: rng.state(),
        partialEpoch: stepInEpoch === 0 ? { lossSum: 0, correct: 0, seen: 0 } : { ...sums },
        history: epochs.map((e) => ({ ...e })), optimizer: optimizer.state(),
      });
      let lr = recipe.lr;
      for (let step = continuing ? resume.stepInEpoch + 1 : 1; step <= stepsPerEpoch; step++) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (hooks.signal?.aborted) throw hooks.signal.reason ?? new Error('aborted');
        const start = (step - 1) * batchSize;
        const end = Math.min(split.count, start + batchSize);
        lr = learningRate(recipe.schedule, recipe.lr, globalStep, totalSteps, recipe.warmupEpochs ? recipe.warmupEpochs * stepsPerEpoch : 0);
        const vectors = sandwichVectors(supernet.space, supernet.maxWidths, spec, recipe.seed, globalStep);
        const { x, y } = gatherBatch(split, shape, order, start, end);
        let loss: number, hits: number;
        try {
          [loss, hits] = sandwichStep(supernet, x, y, vectors, spec.distill, variables, nameOf, optimizer, lr);
        } finally {
          tf.dispose([x, y]);
        }
        globalStep++;
        if (!Number.isFinite(loss)) throw new TrainError(`supernet loss became ${loss} at epoch ${epoch}, step ${step} (lr ${lr.toPrecision(3)}); try a smaller --lr`);
        sums.lossSum += loss * (end - start);
        sums.correct += hits;
        sums.seen += end - start;
        hooks.onStep?.({ epoch, step, stepsPerEpoch, loss });
        const every = hooks.checkpointEvery ?? 0;
        if (every > 0 && globalStep % every === 0 && step < stepsPerEpoch) await hooks.onCheckpoint?.(state(step));
      }
      const report: EpochReport = { epoch, trainLoss: sums.lossSum / sums.seen, trainAccuracy: sums.correct / sums.seen, lr, seconds: (performance.now() - epochStart) / 1000 };
      epochs.push(report);
      await hooks.onEpoch?.(report);
      if (epoch < recipe.epochs) await hooks.onCheckpoint?.(state(0));
    }
    const last = epochs[epochs.length - 1] ?? { trainLoss: NaN, trainAccuracy: NaN };
    return { epochs, trainLoss: last.trainLoss, trainAccuracy: last.trainAccuracy, steps: globalStep, seconds: (performance.now() - started) / 1000 };
  } finally {
    optimizer.dispose();
  }
}

/**
 * One sandwich step: the widest sub-network (`vectors[0]`) on the labels, each other one on the
 * widest's softmax (or the labels without `distill`); gradients summed over the sub-networks, one
 * update. Returns the widest's loss and correct predictions.
 */
function sandwichStep(
  supernet: Supernet, x: tf.Tensor4D, y: tf.Tensor1D, vectors: WidthVector[], distill: boolean,
  variables: tf.Variable[], nameOf: Map<string, string>, optimizer: Optimizer, lr: number,
): [number, number] {
  const summed: Record<string, tf.Tensor> = {};
  let teacher: tf.Tensor | undefined;
  let hitsTensor: tf.Tensor | undefined;
  let loss = NaN;
  try {
    vectors.forEach((widths, i) => {
      const net = supernet.subnet(widths);
      const { value, grads } = tf.variableGrads(() => {
        const logits = supernet.apply(x, net, { kind: 'batch' });
        const labels = tf.oneHot(y, logits.shape[1]);
        if (i === 0) {
          hitsTensor = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32')));
          // The teacher is a constant for the smaller networks: kept outside this tape's gradient.
          if (distill) teacher = tf.keep(tf.softmax(logits));
        }
        const target = i > 0 && distill ? teacher! : labels;
        return tf.losses.softmaxCrossEntropy(target, logits) as tf.Scalar;
      }, variables);
      if (i === 0) loss = value.dataSync()[0];
      value.dispose();
      for (const [tfName, g] of Object.entries(grads)) {
        const name = nameOf.get(tfName)!;
        const before = summed[name];
        summed[name] = before ? tf.add(before, g) : g;
        if (before) {
          before.dispose();
          g.dispose();
        }
      }
    });
    optimizer.apply(summed, lr);
    return [loss, hitsTensor!.dataSync()[0]];
  } finally {
    tf.dispose(Object.values(summed));
    tf.dispose([teacher, hitsTensor].filter((t): t is tf.Tensor => t !== undefined));
  }
}
