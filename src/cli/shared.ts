/** Helpers shared by the CLI commands: width options, backend start-up, output. */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { WidthVector } from '../core/shapes.js';
import type { BackendChoice } from '../core/backend-choice.js';
import { baseWidths, parseWidths, scaledWidths, type SearchSpace } from '../space/index.js';

export interface WidthArgs {
  widths?: string;
  scale?: number;
}

/** The width vector a command was asked for: `--widths`, `--scale`, or the base widths. */
export function widthsFromArgs(space: SearchSpace, args: WidthArgs): WidthVector {
  if (args.widths !== undefined && args.scale !== undefined) throw new UsageError('give either --widths or --scale, not both');
  if (args.widths !== undefined) return parseWidths(space, String(args.widths));
  if (args.scale !== undefined) return scaledWidths(space, args.scale);
  return baseWidths(space);
}

/** The line that says which backend a run uses, e.g. `backend: wasm (1 thread)`. */
export function backendLine(info: { name: string; threads?: number; simd?: string }): string {
  const details = [info.threads ? `${info.threads} thread${info.threads > 1 ? 's' : ''}` : '', info.simd ? `kernels: ${info.simd}` : ''].filter(Boolean);
  return `backend: ${info.name}${details.length ? ` (${details.join(', ')})` : ''}\n`;
}

/**
 * Starts the backend and says on stderr which one this run uses. tfjs is imported here, on first
 * use, so commands that do not train never load it.
 */
export async function startBackend(choice: BackendChoice, quiet = false): Promise<string> {
  const { initBackend } = await import('../engine/backend.js');
  const info = await initBackend(choice);
  if (!quiet) process.stderr.write(backendLine(info));
  return info.name;
}

const GIVEN = Symbol('flags given on the command line');

/**
 * A yargs middleware that records which options the command line gave (as opposed to defaults),
 * for `givenFlags`. yargs knows which values are defaults; the parsed arguments do not say.
 */
export function recordGivenFlags(args: Record<string | symbol, unknown>, cli: { parsed?: { defaulted?: Record<string, boolean> } | false }): void {
  const defaulted = (cli.parsed && cli.parsed.defaulted) || {};
  const given = new Set(Object.keys(args).filter((k) => k !== '_' && k !== '$0' && args[k] !== undefined && !defaulted[k]));
  Object.defineProperty(args, GIVEN, { value: given, enumerable: false });
}

/** The options (kebab-case and camelCase names) the command line gave, not filled by defaults. */
export function givenFlags(args: object): Set<string> {
  return (args as Record<symbol, Set<string>>)[GIVEN] ?? new Set();
}

/** Makes sure the folder that will hold file `path` (the value of `flag`) exists and can be written. */
export function ensureWritableFileFolder(flag: string, path: string): void {
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new UsageError(`--${flag} ${path}: cannot write a file there (${(err as NodeJS.ErrnoException).code ?? (err as Error).message} at ${dir}); give a path in a writable folder`);
  }
}

/** Writes a value as pretty JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
