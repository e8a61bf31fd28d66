/**
 * Command-line options of the scripts, on `node:util`'s parseArgs: unknown flags and missing values
 * are errors, `--help` prints the usage.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type ParsedValues<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'];

/** Parses `process.argv` against `options`; with `--help`, prints `usage` and exits. */
export function scriptArgs<const O extends Options>(options: O, usage: string): ParsedValues<O> {
  if (process.argv.slice(2).includes('--help')) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return parseArgs({ options, strict: true, allowPositionals: false }).values;
}

/** A numeric option's value; throws naming the flag when it is not a finite number. */
export function numberArg(value: unknown, name: string): number {
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name}: expected a number, found ${JSON.stringify(value)}`);
  return n;
}
