/**
 * The `widthwise` command line: the only place that picks concrete implementations and talks to
 * the console. Errors of widthwise's own kinds become one line on stderr; with --verbose the stack
 * is printed too. Exit codes: 0 done, 1 failed, 2 bad input (a bad option or combination). Each command declares
 * its options in one table (`core/option-table`, `cli/options/declare`): its help and its checks.
 * Only the modules of the commands named on the command line are loaded (the others are listed from `command-list`), so `--help` and `inspect` never load tfjs.
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { readFileSync } from 'node:fs';
import { BudgetError, SpaceError, UsageError, WidthwiseError } from '../core/errors.js';
import { COMMANDS, type CommandName } from './command-list.js';
import { recordGivenFlags } from './shared.js';

type Register = (y: Argv) => Argv;

/** Each command's module, imported on demand. */
const LOADERS: Record<CommandName, () => Promise<Register>> = {
  inspect: async () => (await import('./inspect.js')).inspectCommand,
  train: async () => (await import('./train.js')).trainCommand,
  probe: async () => (await import('./probe.js')).probeCommand,
  search: async () => (await import('./search.js')).searchCommand,
  report: async () => (await import('./search.js')).reportCommand,
  baseline: async () => (await import('./baseline.js')).baselineCommand,
  export: async () => (await import('./export.js')).exportCommand,
  dashboard: async () => (await import('./dashboard.js')).dashboardCommand,
  worker: async () => (await import('./worker.js')).workerCommand,
};

/** Exit codes, the same in every command. */
export const EXIT_DONE = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * Refuses an option given twice, in every command: the user meant one value, and which one is a
 * guess (`duplicate-arguments-array: false` would silently keep the last). The parser is told to
 * collect repeats into an array, which no option of widthwise is, so this middleware sees them.
 */
function refuseRepeatedOptions(args: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(args)) {
    if (key !== '_' && key.includes('-') === false && Array.isArray(value)) {
      const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      throw new UsageError(`--${flag}: given ${value.length} times (${value.join(', ')}); give it once`);
    }
  }
}

/**
 * Bad input, found before any work: a flag (UsageError), a space file or width vector that does not
 * fit its schema or groups (SpaceError), a budget no network meets (BudgetError).
 */
const exitCodeOf = (err: unknown) => (err instanceof UsageError || err instanceof SpaceError || err instanceof BudgetError ? EXIT_BAD_INPUT : EXIT_FAILED);

function reportError(err: unknown, verbose: boolean): void {
  if (err instanceof WidthwiseError) {
    process.stderr.write(`${err.name}: ${err.message}\n`);
    if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
  } else {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    else process.stderr.write('(run again with --verbose for the stack trace)\n');
  }
}

/**
 * The commands whose modules a command line needs: every word of it that names one. Usually that
 * is the command alone; an option value that happens to be a command name only costs a load.
 */
function namedCommands(argv: string[]): Set<CommandName> {
  return new Set(argv.filter((word): word is CommandName => Object.hasOwn(COMMANDS, word)));
}

export async function main(argv: string[]): Promise<void> {
  const verbose = argv.includes('--verbose');
  let cli: Argv = yargs(argv)
    .scriptName('widthwise')
    .parserConfiguration({ 'duplicate-arguments-array': true })
    .usage('$0 <command> [options]\n\nSearch the width of every layer of a network under a compute budget.')
    .option('verbose', { type: 'boolean', default: false, describe: 'print stack traces of errors' });
  const named = namedCommands(argv);
  for (const name of Object.keys(COMMANDS) as CommandName[]) {
    cli = named.has(name) ? (await LOADERS[name]())(cli) : cli.command(COMMANDS[name].command, COMMANDS[name].describe);
  }
  cli = cli
    .demandCommand(1, 'name a command: search, inspect, train, probe, report, baseline, export, worker, dashboard')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version('version', 'print the version of widthwise', packageVersion)
    .middleware([refuseRepeatedOptions, recordGivenFlags as never], true)
    .wrap(Math.min(120, process.stdout.columns ?? 120))
    .fail((msg, err) => {
      if (err) reportError(err, verbose);
      else process.stderr.write(`${msg}\n\nrun 'widthwise --help' for usage\n`);
      process.exit(err ? exitCodeOf(err) : EXIT_BAD_INPUT);
    });
  try {
    // yargs throws some errors (a middleware's) synchronously and rejects with others.
    await cli.parseAsync();
  } catch (err) {
    reportError(err, verbose);
    process.exitCode = exitCodeOf(err);
  }
}

await main(hideBin(process.argv));
