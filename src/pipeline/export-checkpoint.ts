/**
 * A checkpoint as ONNX, proven in ONNX Runtime against tfjs on real test inputs: what `widthwise
 * export` does, and what a search does with its winner. Loads tfjs: callers that must start fast
 * import this module on demand.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { DataSpec } from '../core/dataset.js';
import { loadDataset } from '../data/registry.js';
import { dataSpecFor } from '../data/synthetic.js';
import { loadCheckpoint } from '../export/checkpoint.js';
import { buildOnnxModel } from '../export/onnx.js';
import { DEFAULT_OPSET } from '../export/opset.js';
import { checkParity, type ParityReport } from '../export/parity.js';
import { writeFileAtomic } from '../storage/files.js';

export interface ExportRequest {
  /** The ONNX file (default `<checkpoint>/model.onnx`). */
  out?: string;
  opset?: number;
  /** Test inputs of the parity check (default 256, fewer if the test split is smaller). */
  examples?: number;
  /** The data of the parity inputs (default: the checkpoint's dataset in `dataDir`). */
  data?: DataSpec;
  dataDir?: string;
}

export interface CheckpointExport extends ParityReport {
  /** The ONNX file written. */
  path: string;
  opset: number;
  bytes: number;
}

/**
 * Writes the checkpoint in `dir` as ONNX and checks it; throws `CheckpointError` for a checkpoint
 * that cannot be read and `ExportError` when ONNX Runtime and tfjs disagree.
 */
export async function exportCheckpoint(dir: string, request: ExportRequest = {}): Promise<CheckpointExport> {
  const { meta, model, masks } = await loadCheckpoint(dir);
  try {
    const path = request.out ?? join(dir, 'model.onnx');
    const opset = request.opset ?? DEFAULT_OPSET;
    const examples = request.examples ?? 256;
    const bytes = buildOnnxModel(model, opset);
    const data = request.data ?? { ...meta.data, name: meta.data?.name ?? meta.dataset ?? meta.space.dataset, dataDir: request.dataDir ?? meta.data?.dataDir };
    const test = (await loadDataset(dataSpecFor({ ...data, maxTrain: undefined, maxTest: examples }, meta.space))).test;
    const n = Math.min(examples, test.count);
    const size = test.x.length / test.count;
    const parity = await checkParity(model, bytes, test.x.subarray(0, n * size), n);
    // Only a model that passed its parity check is written, and atomically: no partial or wrong file is left.
    writeFileAtomic(path, Buffer.from(bytes));
    return { path, opset, bytes: bytes.length, ...parity };
  } finally {
    model.dispose();
    tf.dispose(Object.values(masks));
  }
}
