import type { Argv } from 'yargs';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../data/registry.js';
import { loadCheckpoint } from '../export/checkpoint.js';
import { buildOnnxModel, DEFAULT_OPSET } from '../export/onnx.js';
import { checkParity } from '../export/parity.js';
import { printJson, startBackend } from './shared.js';

export function exportCommand(yargs: Argv): Argv {
  return yargs.command(
    'export <checkpoint>',
    'Write a checkpoint as ONNX and prove it in ONNX Runtime against tfjs on real test inputs',
    (y) =>
      y
        .positional('checkpoint', { type: 'string', demandOption: true, describe: "a folder written by 'widthwise train --save'" })
        .option('out', { type: 'string', describe: 'ONNX file (default <checkpoint>/model.onnx)' })
        .option('opset', { type: 'number', default: DEFAULT_OPSET, describe: 'ONNX opset' })
        .option('examples', { type: 'number', default: 256, describe: 'test inputs for the parity check' })
        .option('data-dir', { type: 'string', describe: 'folder of the dataset files, if the checkpoint was trained on one' })
        .option('backend', { type: 'string', default: 'auto' })
        .option('json', { type: 'boolean', default: false }),
    async (args) => {
      const backend = await startBackend(args.backend as never);
      const { meta, model, masks } = await loadCheckpoint(args.checkpoint);
      try {
        const out = args.out ?? join(args.checkpoint, 'model.onnx');
        const bytes = buildOnnxModel(model, args.opset);
        writeFileSync(out, bytes);
        const data = await loadDataset({ name: meta.dataset ?? meta.space.dataset, dataDir: args.dataDir, maxTest: args.examples });
        const n = Math.min(args.examples, data.test.count);
        const size = data.inputShape.reduce((a, b) => a * b, 1);
        const parity = await checkParity(model, bytes, data.test.x.subarray(0, n * size), n);
        const report = { onnx: out, opset: args.opset, bytes: statSync(out).size, backend, ...parity, maxAbsDiff: parity.maxAbsDiff, argmaxAgreement: parity.argmaxAgreement };
        if (args.json) printJson(report);
        else console.log(`wrote ${out} (${report.bytes.toLocaleString('en-US')} bytes, opset ${args.opset}); ONNX Runtime vs tfjs on ${n} test inputs: max |difference| ${parity.maxAbsDiff.toExponential(2)}, argmax agreement ${(100 * parity.argmaxAgreement).toFixed(1)}%`);
      } finally {
        model.dispose();
        tf.dispose(Object.values(masks));
      }
    },
  );
}
