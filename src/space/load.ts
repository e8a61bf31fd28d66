import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpaceError } from '../core/errors.js';
import { resolveNetwork } from './network.js';
import type { SearchSpace } from './types.js';
import { validateSpace } from './validate.js';
import { baseWidths } from './widths.js';

/** The folder of spaces shipped with the package. */
export const SHIPPED_SPACES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../search-spaces');

/** Names of the shipped spaces (file names without `.json`). */
export function shippedSpaceNames(): string[] {
  return readdirSync(SHIPPED_SPACES_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Finds the file for `ref`: a path to a JSON file, or the name of a shipped space. */
export function spaceFile(ref: string): string {
  if (existsSync(ref)) return ref;
  const shipped = join(SHIPPED_SPACES_DIR, ref.endsWith('.json') ? ref : `${ref}.json`);
  if (existsSync(shipped)) return shipped;
  throw new SpaceError(
    `${ref}: no such file, and not a shipped space (expected a path to a .json file or one of: ${shippedSpaceNames().join(', ')})`,
  );
}

/** Parses and validates a space document from text; `file` names it in messages. */
export function parseSpace(text: string, file: string): SearchSpace {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SpaceError(`${file}: expected valid JSON, found a syntax error: ${(err as Error).message}`);
  }
  const space = validateSpace(doc, file);
  // Structural checks (residual adds, shapes) on the base network.
  resolveNetwork(space, baseWidths(space));
  return space;
}

/** Reads, validates and returns the space at `ref` (a path or a shipped name). */
export function loadSpace(ref: string): SearchSpace {
  const file = spaceFile(ref);
  return parseSpace(readFileSync(file, 'utf8'), file);
}
