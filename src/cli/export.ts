/** `widthwise export`: options in, the ONNX file and its parity check out. */
import type { Argv } from 'yargs';
import { UsageError } from '../core/errors.js';
import { DEFAULT_OPSET } from '../export/opset.js';
import { COMMANDS } from './command-list.js';
import { ensureWritableFileFolder, printJson, startBackend } from './shared.js';

export function exportCommand(yargs: Argv): Argv {
  return yargs.command(
    COMMANDS.export.command,
    COMMANDS.export.describe,
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
      const { exportCheckpoint } = await import('../pipeline/export-checkpoint.js');
      const e = await exportCheckpoint(args.checkpoint, { out: args.out, opset: args.opset, examples: args.examples, dataDir: args.dataDir });
      const report = { onnx: e.path, opset: e.opset, bytes: e.bytes, backend, examples: e.examples, maxAbsDiff: e.maxAbsDiff, argmaxAgreement: e.argmaxAgreement };
      if (args.json) printJson(report);
      else console.log(`wrote ${e.path} (${e.bytes.toLocaleString('en-US')} bytes, opset ${e.opset}); ONNX Runtime vs tfjs on ${e.examples} test inputs: max |difference| ${e.maxAbsDiff.toExponential(2)}, argmax agreement ${(100 * e.argmaxAgreement).toFixed(1)}%`);
    },
  );
}
