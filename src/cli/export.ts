/** `widthwise export`: options in, the ONNX file and its parity check out. */
import type { Argv } from 'yargs';
import type { OptionTable } from '../core/option-table.js';
import { DEFAULT_OPSET } from '../export/opset.js';
import { COMMANDS } from './command-list.js';
import { withOptions } from './options/declare.js';
import { BACKEND_CHOICES } from '../core/backend-choice.js';
import { printJson, startBackend } from './shared.js';

export const EXPORT_OPTIONS = {
  out: { type: 'string', writes: 'file', describe: 'ONNX file (default <checkpoint>/model.onnx)' },
  opset: { type: 'number', integer: true, min: 1, default: DEFAULT_OPSET, describe: 'ONNX opset' },
  examples: { type: 'number', integer: true, min: 1, default: 256, describe: 'test inputs for the parity check' },
  'data-dir': { type: 'string', describe: 'folder of the dataset files, if the checkpoint was trained on one' },
  backend: { type: 'string', choices: BACKEND_CHOICES, default: 'auto', describe: 'tfjs backend of the parity check' },
  json: { type: 'boolean', default: false, describe: 'print the result as JSON on stdout' },
} as const satisfies OptionTable;

export function exportCommand(yargs: Argv): Argv {
  return yargs.command(
    COMMANDS.export.command,
    COMMANDS.export.describe,
    (y) =>
      withOptions(y.positional('checkpoint', { type: 'string', demandOption: true, describe: "a folder written by 'widthwise train --save'" }), EXPORT_OPTIONS),
    async (args) => {
      const backend = await startBackend(args.backend as never);
      const { exportCheckpoint } = await import('../pipeline/export-checkpoint.js');
      const e = await exportCheckpoint(args.checkpoint, { out: args.out, opset: args.opset, examples: args.examples, dataDir: args.dataDir });
      const report = { onnx: e.path, opset: e.opset, bytes: e.bytes, backend, examples: e.examples, maxAbsDiff: e.maxAbsDiff, argmaxAgreement: e.argmaxAgreement };
      if (args.json) printJson(report);
      else console.log(`wrote ${e.path} (${e.bytes.toLocaleString('en-US')} bytes, opset ${e.opset}); ONNX Runtime vs tfjs on ${e.examples} test inputs: max |difference| ${e.maxAbsDiff.toExponential(2)}, argmax agreement ${(100 * e.argmaxAgreement).toFixed(1)}%`);
    },
  );
}
