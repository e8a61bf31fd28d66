/**
 * The `widthwise` command line: the only place that picks concrete implementations and talks to
 * the console. Errors of widthwise's own kinds become one line on stderr; with --verbose the stack
 * is printed too. Exit codes: 0 done, 1 failed, 2 bad input (a bad option or combination).
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { readFileSync } from 'node:fs';
import { UsageError, WidthwiseError } from '../core/errors.js';
import { inspectCommand } from './inspect.js';
import { trainCommand } from './train.js';
import { probeCommand } from './probe.js';
import { reportCommand, searchCommand } from './search.js';
import { baselineCommand } from './baseline.js';
import { exportCommand } from './export.js';
import { recordGivenFlags } from './shared.js';

/** Exit codes, the same in every command. */
export const EXIT_DONE = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * Refuses an option given twice (yargs would make it an array, which no option of widthwise is):
 * the user meant one value, and which one is a guess.
 */
function refuseRepeatedOptions(args: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(args)) {
    if (key !== '_' && key.includes('-') === false && Array.isArray(value)) {
      const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      throw new UsageError(`--${flag}: given ${value.length} times (${value.join(', ')}); give it once`);
    }
  }
}

const exitCodeOf = (err: unknown) => (err instanceof UsageError ? EXIT_BAD_INPUT : EXIT_FAILED);

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

export async function main(argv: string[]): Promise<void> {
  const verbose = argv.includes('--verbose');
  let cli: Argv = yargs(argv)
    .scriptName('widthwise')
    .usage('$0 <command> [options]\n\nSearch the width of every layer of a network under a compute budget.')
    .option('verbose', { type: 'boolean', default: false, describe: 'print stack traces of errors' });
  cli = inspectCommand(cli);
  cli = trainCommand(cli);
  cli = probeCommand(cli);
  cli = searchCommand(cli);
  cli = reportCommand(cli);
  cli = baselineCommand(cli);
  cli = exportCommand(cli);
  cli = cli
    .demandCommand(1, 'name a command: search, inspect, train, probe, report, baseline, export')
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
