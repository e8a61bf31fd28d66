/**
 * Writing checkpoints crash-safely: the binary files of a new checkpoint get new names
 * (`weights.<generation>.bin`), are flushed to the disk, and only then does an atomic rename of
 * `checkpoint.json` switch to them; the previous checkpoint's files are removed after that. A crash
 * at any moment leaves the previous checkpoint or the new one, whole.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { WeightsRecord, WidthModel } from '../train/model.js';
import type { FinishedTraining, TrainingSnapshot } from '../train/run-training.js';
import { createFolder, fsyncFolder, sha256Hex, writeFileAtomic, writeFileDurable } from '../storage/files.js';
import { CHECKPOINT_FORMAT, DATA_FILE, FILE_KINDS, META_FILE, metaHash, type CheckpointFileKind, type CheckpointInfo, type CheckpointMeta } from './checkpoint-format.js';
import { packTensors, type PlainTensor } from './tensor-file.js';

type Parts = Partial<Record<CheckpointFileKind, [string, PlainTensor][]>>;

const weightsTensors = (w: WeightsRecord): [string, PlainTensor][] => Object.entries(w).map(([name, t]) => [name, { dtype: 'float32', shape: t.shape, values: Float32Array.from(t.values) }]);

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
  createFolder(dir);
  const generation = previousGeneration(dir) + 1;
  const files: Partial<CheckpointMeta['files']> = {};
  let meta: CheckpointMeta;
  try {
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
    const body: Omit<CheckpointMeta, 'sha256'> = { format: CHECKPOINT_FORMAT, createdAt: new Date().toISOString(), generation, dtype: 'float32', ...fields, space, files: files as CheckpointMeta['files'] };
    meta = { ...body, sha256: metaHash(body) };
    writeFileAtomic(join(dir, META_FILE), JSON.stringify(meta, null, 2));
  } catch (err) {
    // A generation that cannot be completed (a full disk) gives back the space its files took;
    // checkpoint.json still names the previous one, whole.
    for (const file of Object.values(files)) if (file) rmSync(join(dir, file.path), { force: true });
    throw err;
  }
  // Only now is the previous checkpoint unreferenced; its files (and any a crash left) go.
  removeUnreferencedFiles(dir, meta);
  return meta;
}

/**
 * Removes the files of `dir` that its checkpoint `meta` does not list: a previous generation's,
 * and temporary files, that a crash between the switch and the clean-up left behind.
 */
export function removeUnreferencedFiles(dir: string, meta: Pick<CheckpointMeta, 'files'>): void {
  const kept = new Set(Object.values(meta.files).map((f) => f!.path));
  for (const name of readdirSync(dir)) {
    if ((DATA_FILE.test(name) && !kept.has(name)) || name.startsWith(`${META_FILE}.tmp-`)) rmSync(join(dir, name), { force: true });
  }
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
    ...(snapshot.dataSha256 ? { dataSha256: snapshot.dataSha256 } : {}),
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
    ...(finished.dataSha256 ? { dataSha256: finished.dataSha256 } : {}),
    epochsDone,
    progress: { epochsDone, stepInEpoch: 0, globalStep: finished.globalStep, stepsPerEpoch, complete: true },
    history: finished.history,
    ...(finished.best ? { best: finished.best } : {}),
  }, {
    weights: weightsTensors(model.getWeights()),
    ...(finished.masks ? { masks: weightsTensors(finished.masks) } : {}),
  });
}

