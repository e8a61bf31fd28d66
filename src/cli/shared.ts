/** Helpers shared by the CLI commands: width options, backend start-up, output. */
import { UsageError } from '../core/errors.js';
import type { WidthVector } from '../core/shapes.js';
import type { BackendChoice } from '../engine/backend.js';
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

export const BACKEND_CHOICES = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'] as const;

/** The line that says which backend a run uses, e.g. `backend: wasm (1 thread)`. */
export function backendLine(info: { name: string; threads?: number }): string {
  return `backend: ${info.name}${info.threads ? ` (${info.threads} thread${info.threads > 1 ? 's' : ''})` : ''}\n`;
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

/** Writes a value as pretty JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
