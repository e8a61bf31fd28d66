/**
 * Checkpoints: a folder with `checkpoint.json` (the space, widths, classes, recipe, metrics and the
 * weight manifest) and `weights.bin` (the raw weights), written and read through a tfjs IO handler
 * on plain files, so no tfjs-node is needed. Loading checks the weights against the space.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WidthwiseError } from '../core/errors.js';
import type { TrainRecipe, WidthVector } from '../core/types.js';
import { validateSpace } from '../space/validate.js';
import type { SearchSpace } from '../space/types.js';
import { checkWidths } from '../space/widths.js';
import { buildModel, type WidthModel } from '../train/model.js';
import { writeFileAtomic } from '../storage/files.js';

/** A checkpoint that is missing, corrupt, or does not fit its own space. */
export class CheckpointError extends WidthwiseError {}

export const CHECKPOINT_FORMAT = 'widthwise-checkpoint/1';

export interface CheckpointMeta {
  format: string;
  space: SearchSpace;
  widths: WidthVector;
  classes: number;
  recipe?: TrainRecipe;
  metrics?: Record<string, number>;
  backend?: string;
  /** Epochs trained so far (for --resume). */
  epochsDone?: number;
  /** Dataset name it was trained on. */
  dataset?: string;
  /** Names of weights that are 0/1 sparsity masks. */
  masks?: string[];
  createdAt: string;
}

/** A tfjs IO handler over `checkpoint.json` + `weights.bin` in `dir`. */
export function fileHandler(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts) => {
      mkdirSync(dir, { recursive: true });
      const data = artifacts.weightData as ArrayBuffer;
      writeFileAtomic(join(dir, 'weights.bin'), Buffer.from(data));
      writeFileAtomic(join(dir, 'checkpoint.json'), JSON.stringify({ ...(artifacts.modelTopology as object), weightSpecs: artifacts.weightSpecs, weightsBytes: data.byteLength }, null, 2));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.byteLength } };
    },
    load: async () => {
      const metaPath = join(dir, 'checkpoint.json');
      const binPath = join(dir, 'weights.bin');
      for (const p of [metaPath, binPath]) if (!existsSync(p)) throw new CheckpointError(`${p}: file not found (expected a checkpoint folder written by 'widthwise train --save')`);
      let meta: Record<string, unknown>;
      try {
        meta = JSON.parse(readFileSync(metaPath, 'utf8'));
      } catch (err) {
        throw new CheckpointError(`${metaPath}: not valid JSON (${(err as Error).message})`);
      }
      const bin = readFileSync(binPath);
      if (bin.length !== meta.weightsBytes) throw new CheckpointError(`${binPath}: ${bin.length} bytes, expected ${meta.weightsBytes} (truncated or replaced)`);
      const { weightSpecs, weightsBytes: _bytes, ...topology } = meta;
      return { modelTopology: topology, weightSpecs: weightSpecs as tf.io.WeightsManifestEntry[], weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) };
    },
  };
}

/** Saves `model` (and optional masks) with its metadata to `dir`. */
export async function saveCheckpoint(dir: string, model: WidthModel, meta: Omit<CheckpointMeta, 'format' | 'createdAt' | 'masks'>, masks: Record<string, tf.Tensor> = {}): Promise<void> {
  const named: tf.NamedTensorMap = {};
  const weights = model.getWeights();
  for (const [name, w] of Object.entries(weights)) named[name] = tf.tensor(w.values as Float32Array, w.shape);
  for (const [name, m] of Object.entries(masks)) named[`mask:${name}`] = m;
  try {
    const { data, specs } = await tf.io.encodeWeights(named);
    const topology: CheckpointMeta = { ...meta, format: CHECKPOINT_FORMAT, masks: Object.keys(masks), createdAt: new Date().toISOString() };
    await fileHandler(dir).save!({ modelTopology: topology as never, weightSpecs: specs, weightData: data });
  } finally {
    for (const [name, t] of Object.entries(named)) if (!name.startsWith('mask:')) t.dispose();
  }
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  model: WidthModel;
  masks: Record<string, tf.Tensor>;
}

/** Reads a checkpoint and rebuilds its model; throws `CheckpointError` when anything does not fit. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const artifacts = await fileHandler(dir).load!();
  const meta = artifacts.modelTopology as unknown as CheckpointMeta;
  const where = join(dir, 'checkpoint.json');
  if (meta.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${where}: format ${JSON.stringify(meta.format)}, expected ${CHECKPOINT_FORMAT}`);
  let space: SearchSpace;
  try {
    space = validateSpace(meta.space, `${where} (space)`);
    checkWidths(space, meta.widths);
  } catch (err) {
    // Scaled widths may leave the groups' ranges on purpose: only the count must match.
    if (!(err instanceof WidthwiseError) || !Array.isArray(meta.widths) || meta.widths.length !== (meta.space?.groups?.length ?? -1)) {
      throw new CheckpointError(`${where}: ${(err as Error).message}`);
    }
    space = meta.space;
  }
  let decoded: tf.NamedTensorMap;
  try {
    decoded = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  } catch (err) {
    throw new CheckpointError(`${join(dir, 'weights.bin')}: cannot decode the weights (${(err as Error).message})`);
  }
  const model = buildModel(space, meta.widths, 0, meta.classes);
  try {
    const record = Object.fromEntries(Object.entries(decoded).filter(([n]) => !n.startsWith('mask:')).map(([n, t]) => [n, { shape: t.shape, values: t.dataSync() as Float32Array }]));
    const expected = Object.keys(model.getWeights());
    const missing = expected.filter((n) => !(n in record));
    const extra = Object.keys(record).filter((n) => !expected.includes(n));
    if (missing.length || extra.length) {
      throw new CheckpointError(`${dir}: the weights do not match space ${space.name} at widths ${meta.widths.join(',')}: ${missing.length ? `missing ${missing.slice(0, 3).join(', ')}` : ''}${extra.length ? ` unexpected ${extra.slice(0, 3).join(', ')}` : ''}`);
    }
    try {
      model.setWeights(record);
    } catch (err) {
      throw new CheckpointError(`${dir}: the weights do not match space ${space.name} at widths ${meta.widths.join(',')}: ${(err as Error).message}`);
    }
  } catch (err) {
    model.dispose();
    tf.dispose(Object.values(decoded));
    throw err;
  }
  const masks = Object.fromEntries(Object.entries(decoded).filter(([n]) => n.startsWith('mask:')).map(([n, t]) => [n.slice(5), t]));
  tf.dispose(Object.entries(decoded).filter(([n]) => !n.startsWith('mask:')).map(([, t]) => t));
  return { meta: { ...meta, space }, model, masks };
}
