/**
 * Every command's name, usage and one-line description, without its implementation: the top-level
 * `--help` lists them without loading any command module (some load tfjs), and the command that
 * runs is loaded alone. Every command's module reads its usage and description from here, so they
 * cannot drift.
 */
export interface CommandInfo {
  /** The first word on the command line. */
  name: string;
  /** Usage as yargs takes it, e.g. `inspect <space>`. */
  command: string;
  describe: string;
}

export const COMMANDS = {
  inspect: { name: 'inspect', command: 'inspect <space>', describe: 'Params and MACs of a space at some widths, per layer and in total' },
  train: { name: 'train', command: 'train [space]', describe: 'Train a space at some widths and report test accuracy' },
  probe: { name: 'probe', command: 'probe <space>', describe: 'Train once; label each layer IS (wide enough) or DS (too narrow)' },
  search: { name: 'search', command: 'search', describe: 'Search the widths of a space under a MACs budget, then train base and winner fully' },
  report: { name: 'report', command: 'report <run-dir>', describe: 'Rebuild summary.json, report.html and the figures of a search run from its journal' },
  baseline: { name: 'baseline', command: 'baseline <space>', describe: 'Wide & sparse baseline: dense nets at several scales against sparse ones with the base weight count' },
  dashboard: { name: 'dashboard', command: 'dashboard [folder]', describe: 'Serve a live page of the runs in a folder (default results/) on 127.0.0.1' },
  export: { name: 'export', command: 'export <checkpoint>', describe: 'Write a checkpoint as ONNX and prove it in ONNX Runtime against tfjs on real test inputs' },
  worker: { name: 'worker', command: 'worker', describe: "Train the trials of a search started with --queue, from its Redis queue, on this machine" },
} as const satisfies Record<string, CommandInfo>;

export type CommandName = keyof typeof COMMANDS;
