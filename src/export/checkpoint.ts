/**
 * Checkpoints: a folder with `checkpoint.json` and the binary files it lists. The json holds the
 * space itself, the widths, the recipe, every data setting, the training's position and history,
 * and for every binary file its tensors, size and sha256; it also carries the sha256 of its own
 * contents. Loading verifies all of it before anything is used: a missing, truncated, edited or
 * bit-flipped file, weights that do not fit the space, state that does not fit the recipe, masks
 * that do not match the recorded nonzero count, and NaN or infinite weights are each one
 * `CheckpointError` naming the file.
 *
 * Writing is crash-safe: the binary files of a new checkpoint get new names (`weights.<generation>.bin`),
 * are flushed to the disk, and only then does an atomic rename of `checkpoint.json` switch to them;
 * the previous checkpoint's files are removed after that. A crash at any moment leaves the previous
 * checkpoint or the new one, whole.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError, WidthwiseError } from '../core/errors.js';
import type { RngState } from '../core/rng.js';
import type { DataSpec, TrainRecipe, WidthVector } from '../core/types.js';
import { validateSpace } from '../space/validate.js';
import type { SearchSpace } from '../space/types.js';
import { checkWidths } from '../space/widths.js';
import { buildModel, type WeightsRecord, type WidthModel } from '../train/model.js';
import type { OptimizerState } from '../train/optimizer.js';
import type { FinishedTraining, TrainingSnapshot } from '../train/run-training.js';
import { stepsPerEpochOf, type EpochReport } from '../train/trainer.js';
import { fsyncFolder, sha256Hex, writeFileAtomic, writeFileDurable } from '../storage/files.js';
import { packTensors, unpackTensors, type PlainTensor, type TensorEntry } from './tensor-file.js';
import * as tf from '@tensorflow/tfjs';

export { CheckpointError } from '../core/errors.js';

export const CHECKPOINT_FORMAT = 'widthwise-checkpoint/2';
const META_FILE = 'checkpoint.json';

/** The binary files a checkpoint may have; `weights` always, the others when they apply. */
export type CheckpointFileKind = 'weights' | 'optimizer' | 'masks' | 'best' | 'batch-order';
const FILE_KINDS: CheckpointFileKind[] = ['weights', 'optimizer', 'masks', 'best', 'batch-order'];
const DATA_FILE = /^(weights|optimizer|masks|best|batch-order)\.\d+\.bin$/;

/** How `checkpoint.json` lists one binary file. */
export interface CheckpointFile {
  /** File name inside the checkpoint folder. */
  path: string;
  bytes: number;
  sha256: string;
  tensors: TensorEntry[];
}

/** Where a training stands in a checkpoint that can be resumed. */
export interface CheckpointProgress {
  epochsDone: number;
  /** Steps done inside epoch `epochsDone + 1`; 0 at an epoch boundary. */
  stepInEpoch: number;
  globalStep: number;
  stepsPerEpoch: number;
  /** True for the checkpoint written when the training ended (its weights are the kept ones). */
  complete: boolean;
}

/** The contents of `checkpoint.json`. */
export interface CheckpointMeta {
  format: string;
  createdAt: string;
  /** Counts the checkpoints written to this folder; names its binary files. */
  generation: number;
  /** The validated space itself, so the checkpoint never depends on a file elsewhere. */
  space: SearchSpace;
  widths: WidthVector;
  classes: number;
  /** Element type of every weight. */
  dtype: 'float32';
  recipe?: TrainRecipe;
  /** Seeds the initial weights (the recipe's seed orders the batches, the data's splits the data). */
  seed?: number;
  /** Every setting that decides the data: dataset, folder, --max-train, validation fraction, seed. */
  data?: DataSpec;
  /** Dataset name (the same as `data.name` when that is present). */
  dataset?: string;
  trainExamples?: number;
  validationExamples?: number;
  /** Wide & sparse: the nonzero kernel weights the masks keep. */
  sparse?: { nonzeroWeights: number };
  backend?: string;
  /** Epochs completed (the same as `progress.epochsDone` when that is present). */
  epochsDone?: number;
  progress?: CheckpointProgress;
  /** The rng streams and the sums of the epoch in progress (resumable checkpoints). */
  trainer?: { batchRng: RngState; augmentRng?: RngState; partialEpoch: { lossSum: number; correct: number; seen: number }; optimizerStep: number };
  history?: EpochReport[];
  /** Keep-best: the best epoch so far and its validation accuracy (its weights: file `best`). */
  best?: { epoch: number; validationAccuracy: number };
  metrics?: Record<string, number>;
  files: Partial<Record<CheckpointFileKind, CheckpointFile>>;
  /** sha256 of this JSON written without this field (two-space indented). */
  sha256: string;
}

/** What a caller says about a checkpoint; the rest of `CheckpointMeta` is filled in on writing. */
export type CheckpointInfo = Omit<CheckpointMeta, 'format' | 'createdAt' | 'generation' | 'dtype' | 'files' | 'sha256' | 'progress' | 'trainer' | 'history' | 'best'>;

type Parts = Partial<Record<CheckpointFileKind, [string, PlainTensor][]>>;

const weightsTensors = (w: WeightsRecord): [string, PlainTensor][] => Object.entries(w).map(([name, t]) => [name, { dtype: 'float32', shape: t.shape, values: Float32Array.from(t.values) }]);

function metaHash(meta: Omit<CheckpointMeta, 'sha256'>): string {
  return sha256Hex(JSON.stringify(meta, null, 2));
}

function previousGeneration(dir: string): number {
  try {
    const g = JSON.parse(readFileSync(join(dir, META_FILE), 'utf8')).generation;
    return Number.isInteger(g) && g >= 0 ? g : 0;
  } catch {
    return 0;
  }
}

/**
 * Writes a checkpoint to `dir` crash-safely (see the module comment) and removes the previous
 * one's files once the new `checkpoint.json` is in place.
 */
function writeCheckpoint(dir: string, fields: Omit<CheckpointMeta, 'format' | 'createdAt' | 'generation' | 'dtype' | 'files' | 'sha256'>, parts: Parts): CheckpointMeta {
  mkdirSync(dir, { recursive: true });
  const generation = previousGeneration(dir) + 1;
  const files: CheckpointMeta['files'] = {};
  for (const kind of FILE_KINDS) {
    const tensors = parts[kind];
    if (!tensors) continue;
    const { bytes, entries } = packTensors(tensors);
    const path = `${kind}.${generation}.bin`;
    writeFileDurable(join(dir, path), bytes);
    files[kind] = { path, bytes: bytes.length, sha256: sha256Hex(bytes), tensors: entries };
  }
  fsyncFolder(dir);
  // The checkpoint carries its own copy of the space, not the path it was once read from.
  const { file: _path, ...space } = fields.space;
  const body: Omit<CheckpointMeta, 'sha256'> = { format: CHECKPOINT_FORMAT, createdAt: new Date().toISOString(), generation, dtype: 'float32', ...fields, space, files };
  const meta: CheckpointMeta = { ...body, sha256: metaHash(body) };
  writeFileAtomic(join(dir, META_FILE), JSON.stringify(meta, null, 2));
  // Only now is the previous checkpoint unreferenced; its files (and any a crash left) go.
  const kept = new Set(Object.values(files).map((f) => f.path));
  for (const name of readdirSync(dir)) {
    if ((DATA_FILE.test(name) && !kept.has(name)) || name.startsWith(`${META_FILE}.tmp-`)) rmSync(join(dir, name), { force: true });
  }
  return meta;
}

/**
 * Saves a trained model (and optional sparsity masks) as a finished checkpoint in `dir`. The
 * model's weights and BN statistics are stored; a checkpoint written this way can be exported
 * but not resumed.
 */
export async function saveCheckpoint(dir: string, model: WidthModel, info: CheckpointInfo, masks: Record<string, tf.Tensor> = {}): Promise<void> {
  const plainMasks = Object.fromEntries(Object.entries(masks).map(([n, t]) => [n, { shape: t.shape, values: t.dataSync() as Float32Array }]));
  writeCheckpoint(dir, info, {
    weights: weightsTensors(model.getWeights()),
    ...(Object.keys(plainMasks).length ? { masks: weightsTensors(plainMasks) } : {}),
  });
}

/**
 * Saves the whole state of a training in progress to `dir`: resuming from it (`loadCheckpoint`
 * then `runTraining` with `resume`) continues the very same training.
 */
export function saveTrainingCheckpoint(dir: string, info: CheckpointInfo, snapshot: TrainingSnapshot): CheckpointMeta {
  const t = snapshot.trainer;
  const optimizer: [string, PlainTensor][] = [
    ...Object.entries(t.optimizer.first).map(([n, v]): [string, PlainTensor] => [`first:${n}`, { dtype: 'float32', shape: [v.length], values: v }]),
    ...Object.entries(t.optimizer.second).map(([n, v]): [string, PlainTensor] => [`second:${n}`, { dtype: 'float32', shape: [v.length], values: v }]),
  ];
  return writeCheckpoint(dir, {
    ...info,
    trainExamples: snapshot.trainExamples,
    validationExamples: snapshot.validationExamples,
    epochsDone: t.epochsDone,
    progress: { epochsDone: t.epochsDone, stepInEpoch: t.stepInEpoch, globalStep: t.globalStep, stepsPerEpoch: t.stepsPerEpoch, complete: false },
    trainer: { batchRng: t.batchRng, ...(t.augmentRng ? { augmentRng: t.augmentRng } : {}), partialEpoch: t.partialEpoch, optimizerStep: t.optimizer.step },
    history: t.history,
    ...(snapshot.best ? { best: { epoch: snapshot.best.epoch, validationAccuracy: snapshot.best.validationAccuracy } } : {}),
  }, {
    weights: weightsTensors(snapshot.weights),
    optimizer,
    'batch-order': [['order', { dtype: 'int32', shape: [t.batchOrder.length], values: t.batchOrder }]],
    ...(snapshot.masks ? { masks: weightsTensors(snapshot.masks) } : {}),
    ...(snapshot.best ? { best: weightsTensors(snapshot.best.weights) } : {}),
  });
}

/**
 * Saves the end of a training: the kept weights, the metrics, the history and the masks. Its
 * `progress.complete` is true, so a `--resume` of it has nothing left to train.
 */
export function saveFinishedCheckpoint(dir: string, info: CheckpointInfo, model: WidthModel, finished: FinishedTraining): CheckpointMeta {
  const epochsDone = finished.history.length;
  const stepsPerEpoch = epochsDone > 0 ? finished.globalStep / epochsDone : 0;
  return writeCheckpoint(dir, {
    ...info,
    trainExamples: finished.trainExamples,
    validationExamples: finished.validationExamples,
    epochsDone,
    progress: { epochsDone, stepInEpoch: 0, globalStep: finished.globalStep, stepsPerEpoch, complete: true },
    history: finished.history,
    ...(finished.best ? { best: finished.best } : {}),
  }, {
    weights: weightsTensors(model.getWeights()),
    ...(finished.masks ? { masks: weightsTensors(finished.masks) } : {}),
  });
}

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
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(where, 'utf8'));
  } catch (err) {
    return fail(where, `not valid JSON (${(err as Error).message}); the file is truncated or damaged: restore the folder from a copy or train again`);
  }
  if (meta === null || typeof meta !== 'object') fail(where, 'expected a JSON object; restore the folder from a copy or train again');
  if (meta.format !== CHECKPOINT_FORMAT) {
    fail(where, `format ${JSON.stringify(meta.format)}, expected ${CHECKPOINT_FORMAT}${meta.format === 'widthwise-checkpoint/1' ? ' (written by an older widthwise, without optimizer state or checksums): train again with --save' : ''}`);
  }
  const { sha256, ...body } = meta;
  if (sha256 !== metaHash(body)) fail(where, 'its contents do not match their sha256 (the file was edited or damaged after it was written); restore the folder from a copy or train again');
  if (meta.dtype !== 'float32') fail(where, `dtype ${JSON.stringify(meta.dtype)}, expected float32`);
  if (!meta.files?.weights) fail(where, 'lists no weights file; restore the folder from a copy or train again');
  return meta;
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
  };
}
