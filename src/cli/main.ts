/**
 * The `widthwise` command line: the only place that picks concrete implementations and talks to
 * the console. Errors of widthwise's own kinds become one line on stderr and exit code 1; with
 * --verbose the stack is printed too.
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { WidthwiseError } from '../core/errors.js';
import { inspectCommand } from './inspect.js';
import { trainCommand } from './train.js';
import { probeCommand } from './probe.js';
import { reportCommand, searchCommand } from './search.js';
import { baselineCommand } from './baseline.js';
import { exportCommand } from './export.js';

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
  await cli
    .demandCommand(1, 'name a command: search, inspect, train, probe, report, baseline, export')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(120, process.stdout.columns ?? 120))
    .fail((msg, err) => {
      if (err) reportError(err, verbose);
      else process.stderr.write(`${msg}\n\nrun 'widthwise --help' for usage\n`);
      process.exit(1);
    })
    .parseAsync()
    .catch((err: unknown) => {
      reportError(err, verbose);
      process.exitCode = 1;
    });
}

await main(hideBin(process.argv));
