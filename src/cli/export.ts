import type { Argv } from 'yargs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../core/errors.js';
import { loadDataset } from '../data/registry.js';
import { loadCheckpoint } from '../export/checkpoint.js';
import { buildOnnxModel, DEFAULT_OPSET } from '../export/onnx.js';
import { checkParity } from '../export/parity.js';
import { writeFileAtomic } from '../storage/files.js';
import { ensureWritableFileFolder, printJson, startBackend } from './shared.js';

export function exportCommand(yargs: Argv): Argv {
  return yargs.command(
    'export <checkpoint>',
    'Write a checkpoint as ONNX and prove it in ONNX Runtime against tfjs on real test inputs',
    (y) =>
      y
        .positional('checkpoint', { type: 'string', demandOption: true, describe: "a folder written by 'widthwise train --save'" })
        .option('out', { type: 'string', describe: 'ONNX file (default <checkpoint>/model.onnx)' })
        .option('opset', { type: 'number', default: DEFAULT_OPSET, describe: 'ONNX opset' })
        .option('examples', { type: 'number', default: 256, describe: 'test inputs for the parity check (at least 1)' })
        .option('data-dir', { type: 'string', describe: 'folder of the dataset files, if the checkpoint was trained on one' })
        .option('backend', { type: 'string', default: 'auto' })
        .option('json', { type: 'boolean', default: false }),
    async (args) => {
      if (!(Number.isInteger(args.examples) && args.examples >= 1)) throw new UsageError(`--examples: expected a positive integer, found ${args.examples}`);
      if (!Number.isInteger(args.opset)) throw new UsageError(`--opset: expected an integer, found ${args.opset}`);
      if (args.out !== undefined) ensureWritableFileFolder('out', args.out);
      const backend = await startBackend(args.backend as never);
      const { meta, model, masks } = await loadCheckpoint(args.checkpoint);
      try {
        const out = args.out ?? join(args.checkpoint, 'model.onnx');
        const bytes = buildOnnxModel(model, args.opset);
        const data = await loadDataset({ ...meta.data, name: meta.data?.name ?? meta.dataset ?? meta.space.dataset, dataDir: args.dataDir ?? meta.data?.dataDir, maxTest: args.examples });
        const n = Math.min(args.examples, data.test.count);
        const size = data.inputShape.reduce((a, b) => a * b, 1);
        const parity = await checkParity(model, bytes, data.test.x.subarray(0, n * size), n);
        // Only a model that passed its parity check is written, and atomically: no partial or wrong file is left.
        writeFileAtomic(out, bytes);
        const report = { onnx: out, opset: args.opset, bytes: bytes.length, backend, ...parity };
        if (args.json) printJson(report);
        else console.log(`wrote ${out} (${report.bytes.toLocaleString('en-US')} bytes, opset ${args.opset}); ONNX Runtime vs tfjs on ${n} test inputs: max |difference| ${parity.maxAbsDiff.toExponential(2)}, argmax agreement ${(100 * parity.argmaxAgreement).toFixed(1)}%`);
      } finally {
        model.dispose();
        tf.dispose(Object.values(masks));
      }
    },
  );
}
