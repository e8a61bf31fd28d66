/**
 * Reading checkpoints: everything is verified before it is used. A missing, truncated, edited or
 * bit-flipped file, weights that do not fit the space, state that does not fit the recipe, masks
 * that do not match the recorded nonzero count, and NaN or infinite values are each one
 * `CheckpointError` naming the file and saying what to do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, WidthwiseError } from '../core/errors.js';
import { validateSpace } from '../space/validate.js';
import type { SearchSpace } from '../space/types.js';
import { checkWidths } from '../space/widths.js';
import { spaceCost } from '../cost/cost.js';
import { buildModel, type WeightsRecord, type WidthModel } from '../train/model.js';
import type { OptimizerState } from '../train/optimizer.js';
import type { TrainingSnapshot } from '../train/run-training.js';
import { stepsPerEpochOf } from '../train/trainer.js';
import { sha256Hex } from '../storage/files.js';
import { CHECKPOINT_FORMAT, checkpointMetaSchema, META_FILE, metaHash, type CheckpointFile, type CheckpointFileKind, type CheckpointMeta } from './checkpoint-format.js';
import { unpackTensors, type PlainTensor } from './tensor-file.js';

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  /** The model with the checkpoint's weights (the caller disposes it). */
  model: WidthModel;
  /** Sparsity masks by parameter name (the caller disposes them). */
  masks: Record<string, tf.Tensor>;
  /** The state to resume from; absent for a finished checkpoint. */
  snapshot?: TrainingSnapshot;
}

const fail = (where: string, what: string): never => {
  throw new CheckpointError(`${where}: ${what}`);
};

/**
 * Reads and verifies `checkpoint.json` alone (format, self-checksum, dtype): enough to know a
 * checkpoint's settings before its tensors are loaded. Throws `CheckpointError`.
 */
export function readCheckpointMeta(dir: string): CheckpointMeta {
  const where = join(dir, META_FILE);
  if (!existsSync(where)) fail(where, "file not found (expected a checkpoint folder written by 'widthwise train --save')");
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(where, 'utf8'));
  } catch (err) {
    return fail(where, `not valid JSON (${(err as Error).message}); the file is truncated or damaged: restore the folder from a copy or train again`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail(where, 'expected a JSON object; restore the folder from a copy or train again');
  if (raw.format !== CHECKPOINT_FORMAT) {
    fail(where, `format ${JSON.stringify(raw.format)}, expected ${CHECKPOINT_FORMAT}${raw.format === 'widthwise-checkpoint/1' ? ' (written by an older widthwise, without optimizer state or checksums): train again with --save' : ''}`);
  }
  const { sha256, ...body } = raw;
  if (sha256 !== metaHash(body)) fail(where, 'its contents do not match their sha256 (the file was edited or damaged after it was written); restore the folder from a copy or train again');
  if (raw.dtype !== 'float32') fail(where, `dtype ${JSON.stringify(raw.dtype)}, expected float32`);
  const parsed = checkpointMetaSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(where, `$.${issue.path.join('.')}: ${issue.message.toLowerCase()}; the checkpoint is not one widthwise wrote: restore the folder from a copy or train again`);
  }
  return parsed.data!;
}

function readFile(dir: string, kind: CheckpointFileKind, record: CheckpointFile): Map<string, PlainTensor> {
  const path = join(dir, record.path);
  if (typeof record.path !== 'string' || record.path.includes('/') || !existsSync(path)) {
    fail(path, `file not found (checkpoint.json lists it as the ${kind} file); the folder is incomplete: restore it from a copy or train again`);
  }
  const bytes = readFileSync(path);
  if (bytes.length !== record.bytes) fail(path, `${bytes.length} bytes, expected ${record.bytes} (truncated or replaced); restore the folder from a copy or train again`);
  const digest = sha256Hex(bytes);
  if (digest !== record.sha256) fail(path, `sha256 ${digest.slice(0, 12)}… does not match checkpoint.json's ${String(record.sha256).slice(0, 12)}… (damaged: flipped bits or a partial copy); restore the folder from a copy or train again`);
  const tensors = unpackTensors(bytes, record.tensors, path);
  for (const [name, t] of tensors) {
    if (t.dtype !== (kind === 'batch-order' ? 'int32' : 'float32')) fail(path, `tensor ${name} is ${t.dtype}, expected ${kind === 'batch-order' ? 'int32' : 'float32'}`);
    if (t.dtype === 'float32' && !t.values.every(Number.isFinite)) {
      fail(path, `${name} holds NaN or infinite values (the training diverged before this checkpoint); train again, e.g. with a smaller --lr`);
    }
  }
  return tensors;
}

const toRecord = (tensors: Map<string, PlainTensor>): WeightsRecord => Object.fromEntries([...tensors].map(([n, t]) => [n, { shape: t.shape, values: t.values as Float32Array }]));

/** The checkpoint's space, checked, with its widths (scaled widths may leave the groups' ranges). */
function checkedSpace(meta: CheckpointMeta, where: string): SearchSpace {
  try {
    const space = validateSpace(meta.space, `${where} (space)`);
    try {
      checkWidths(space, meta.widths);
    } catch (err) {
      // Scaled widths may leave the groups' ranges on purpose: only the count must match.
      if (!(err instanceof WidthwiseError) || !Array.isArray(meta.widths) || meta.widths.length !== space.groups.length || !meta.widths.every((w) => Number.isInteger(w) && w >= 1)) throw err;
    }
    return space;
  } catch (err) {
    return fail(where, (err as Error).message);
  }
}

/**
 * Compares the trainable values in the weights file with the cost model's count for the space,
 * widths and classes, before a model of that size is built (a damaged width or class count must
 * not allocate a network of a billion weights).
 */
function checkParameterCount(weights: WeightsRecord, space: SearchSpace, meta: CheckpointMeta, file: string): void {
  let expected: number;
  try {
    expected = spaceCost(space, meta.widths, meta.classes).params;
  } catch (err) {
    return fail(join(file, '..', META_FILE), `widths ${meta.widths.join(',')} and ${meta.classes} classes do not fit space ${space.name}: ${(err as Error).message}`);
  }
  const saved = Object.entries(weights).filter(([n]) => !/\/moving_(mean|variance)$/.test(n)).reduce((s, [, w]) => s + w.values.length, 0);
  if (saved !== expected) {
    fail(file, `the weights do not match space ${space.name} at widths ${meta.widths.join(',')} with ${meta.classes} classes: ${saved} trainable values, expected ${expected}`);
  }
}

/** Checks that `record` has exactly the weights of `model`, with their shapes. */
function checkFitsModel(record: WeightsRecord, model: WidthModel, file: string, meta: CheckpointMeta): void {
  const expected = model.getWeights();
  const missing = Object.keys(expected).filter((n) => !(n in record));
  const extra = Object.keys(record).filter((n) => !(n in expected));
  const wrong = Object.keys(expected).filter((n) => n in record && record[n].shape.join('x') !== expected[n].shape.join('x'));
  if (missing.length || extra.length || wrong.length) {
    const details = [
      missing.length ? `missing ${missing.slice(0, 3).join(', ')}` : '',
      extra.length ? `unexpected ${extra.slice(0, 3).join(', ')}` : '',
      wrong.length ? `${wrong[0]} has shape [${record[wrong[0]].shape}], expected [${expected[wrong[0]].shape}]` : '',
    ].filter(Boolean).join('; ');
    fail(file, `the weights do not match space ${meta.space.name} at widths ${meta.widths.join(',')}: ${details}`);
  }
}

/**
 * Reads and verifies a checkpoint (see the module comment), rebuilds its model, and, for a
 * checkpoint of a training in progress, the state to resume from. Throws `CheckpointError`.
 */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const meta = readCheckpointMeta(dir);
  const where = join(dir, META_FILE);
  const space = checkedSpace(meta, where);
  const read = (kind: CheckpointFileKind) => (meta.files[kind] ? readFile(dir, kind, meta.files[kind]!) : undefined);
  const weightsFile = join(dir, meta.files.weights!.path);
  const weights = toRecord(read('weights')!);
  const maskTensors = read('masks');
  const bestTensors = read('best');
  const optimizerTensors = read('optimizer');
  const orderTensors = read('batch-order');
  checkParameterCount(weights, space, meta, weightsFile);
  const model = buildModel(space, meta.widths, 0, meta.classes);
  let masks: Record<string, tf.Tensor> = {};
  try {
    checkFitsModel(weights, model, weightsFile, meta);
    if (bestTensors) checkFitsModel(toRecord(bestTensors), model, join(dir, meta.files.best!.path), meta);
    model.setWeights(weights);
    const plainMasks = maskTensors ? checkMasks(toRecord(maskTensors), weights, meta, join(dir, meta.files.masks!.path)) : undefined;
    if (plainMasks) masks = Object.fromEntries(Object.entries(plainMasks).map(([n, m]) => [n, tf.tensor(m.values, m.shape)]));
    const progress = meta.progress;
    let snapshot: TrainingSnapshot | undefined;
    if (progress && !progress.complete) {
      snapshot = resumeState(meta, weights, optimizerTensors, orderTensors, bestTensors, plainMasks, dir);
    }
    return { meta: { ...meta, space }, model, masks, ...(snapshot ? { snapshot } : {}) };
  } catch (err) {
    model.dispose();
    tf.dispose(Object.values(masks));
    throw err;
  }
}

/** Masks must be 0/1, sized like their kernels, keep exactly the recorded count, and zero what they prune. */
function checkMasks(masks: WeightsRecord, weights: WeightsRecord, meta: CheckpointMeta, file: string): Record<string, { shape: number[]; values: Float32Array }> {
  let kept = 0;
  for (const [name, m] of Object.entries(masks)) {
    const w = weights[name];
    if (!w || !name.endsWith('/kernel') || w.shape.join('x') !== m.shape.join('x')) fail(file, `mask ${name} has no kernel of shape [${m.shape}] to mask`);
    for (let i = 0; i < m.values.length; i++) {
      const v = m.values[i];
      if (v !== 0 && v !== 1) fail(file, `mask ${name} holds ${v} at ${i}, expected 0 or 1`);
      if (v === 0 && w.values[i] !== 0) fail(file, `weight ${name}[${i}] is ${w.values[i]} where its mask prunes it; the masks and weights are not from one training`);
      kept += v;
    }
  }
  // Kernels without a mask are dense: all of their weights count.
  for (const [name, w] of Object.entries(weights)) if (name.endsWith('/kernel') && !masks[name]) kept += w.values.length;
  const recorded = meta.sparse?.nonzeroWeights;
  if (recorded !== undefined && kept !== recorded) fail(file, `the masks keep ${kept} kernel weights, checkpoint.json records ${recorded}; the checkpoint is damaged: restore it from a copy or train again`);
  return masks as Record<string, { shape: number[]; values: Float32Array }>;
}

function resumeState(
  meta: CheckpointMeta, weights: WeightsRecord, optimizerTensors: Map<string, PlainTensor> | undefined, orderTensors: Map<string, PlainTensor> | undefined,
  bestTensors: Map<string, PlainTensor> | undefined, masks: TrainingSnapshot['masks'], dir: string,
): TrainingSnapshot {
  const where = join(dir, META_FILE);
  const { progress, trainer, recipe } = meta;
  if (!progress || !trainer || !recipe || !Array.isArray(meta.history) || meta.trainExamples === undefined || meta.validationExamples === undefined) {
    return fail(where, 'a training in progress without its recipe, position, rng state, history or data sizes; restore the folder from a copy or train again');
  }
  if (!(recipe.batchSize >= 1) || stepsPerEpochOf(meta.trainExamples, recipe.batchSize) !== progress.stepsPerEpoch) {
    fail(where, `the recipe's batch size ${recipe.batchSize} gives ${stepsPerEpochOf(meta.trainExamples, recipe.batchSize)} steps per epoch over ${meta.trainExamples} examples, the saved position has ${progress.stepsPerEpoch}; the recipe is not the one trained with`);
  }
  if (!optimizerTensors) return fail(where, 'lists no optimizer file for a training in progress; restore the folder from a copy or train again');
  const order = orderTensors?.get('order');
  if (!order) return fail(where, 'lists no batch-order file for a training in progress; restore the folder from a copy or train again');
  if (order.values.length !== meta.trainExamples) fail(join(dir, meta.files['batch-order']!.path), `${order.values.length} examples in the batch order, checkpoint.json records ${meta.trainExamples} training examples`);
  const optimizer: OptimizerState = { name: recipe.optimizer.name, step: trainer.optimizerStep, first: {}, second: {} };
  for (const [name, t] of optimizerTensors) {
    const [slot, param] = [name.slice(0, name.indexOf(':')), name.slice(name.indexOf(':') + 1)];
    const size = weights[param]?.values.length;
    if ((slot !== 'first' && slot !== 'second') || size === undefined || size !== t.values.length) {
      fail(join(dir, meta.files.optimizer!.path), `slot ${name} fits no parameter of space ${meta.space.name} at widths ${meta.widths.join(',')}`);
    }
    optimizer[slot as 'first' | 'second'][param] = t.values as Float32Array;
  }
  const expectsSecond = recipe.optimizer.name === 'adam';
  if ((Object.keys(optimizer.second).length > 0) !== expectsSecond) {
    fail(join(dir, meta.files.optimizer!.path), `holds ${expectsSecond ? 'no second moments' : 'second moments'}, but the recipe's optimizer is ${recipe.optimizer.name}; the optimizer state is not this recipe's`);
  }
  if (meta.best && !bestTensors) fail(where, 'records a best epoch but lists no best file; restore the folder from a copy or train again');
  return {
    trainer: {
      epochsDone: progress.epochsDone, stepInEpoch: progress.stepInEpoch, globalStep: progress.globalStep, stepsPerEpoch: progress.stepsPerEpoch,
      batchOrder: order.values as Int32Array, batchRng: trainer.batchRng, ...(trainer.augmentRng ? { augmentRng: trainer.augmentRng } : {}),
      partialEpoch: trainer.partialEpoch, history: meta.history, optimizer,
    },
    weights,
    ...(meta.best && bestTensors ? { best: { ...meta.best, weights: toRecord(bestTensors) } } : {}),
    ...(masks ? { masks } : {}),
    trainExamples: meta.trainExamples,
    validationExamples: meta.validationExamples,
    ...(meta.dataSha256 ? { dataSha256: meta.dataSha256 } : {}),
  };
}

/** Frees a loaded checkpoint's model and masks (tensors the caller no longer needs). */
export function releaseCheckpoint(loaded: LoadedCheckpoint): void {
  loaded.model.dispose();
  tf.dispose(Object.values(loaded.masks));
}
