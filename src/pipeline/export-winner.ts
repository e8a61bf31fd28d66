/**
 * The winner's checkpoint as ONNX, checked in ONNX Runtime against tfjs on real test inputs. Loads
 * tfjs: the search pipeline imports this module only when it gets to the export.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { DataSpec } from '../core/dataset.js';
import { loadDataset } from '../data/registry.js';
import { loadCheckpoint } from '../export/checkpoint.js';
import { buildOnnxModel } from '../export/onnx.js';
import { checkParity } from '../export/parity.js';
import type { OnnxSummary } from '../report/search-summary.js';
import { writeFileAtomic } from '../storage/files.js';

/** Test inputs of the parity check. */
const PARITY_EXAMPLES = 256;

/**
 * Writes `<runDir>/winner.onnx` from the checkpoint in `<runDir>/winner` and returns its parity
 * check on up to 256 test inputs of `data`. Throws `ExportError` when ONNX Runtime disagrees.
 */
export async function exportWinner(runDir: string, data: DataSpec): Promise<OnnxSummary> {
  const { model, masks } = await loadCheckpoint(join(runDir, 'winner'));
  try {
    const bytes = buildOnnxModel(model);
    const path = join(runDir, 'winner.onnx');
    writeFileAtomic(path, Buffer.from(bytes));
    const test = (await loadDataset({ ...data, maxTrain: undefined, maxTest: PARITY_EXAMPLES })).test;
    const parity = await checkParity(model, bytes, test.x, test.count);
    return { path, bytes: bytes.length, ...parity };
  } finally {
    model.dispose();
    tf.dispose(Object.values(masks));
  }
}
