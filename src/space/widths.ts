import { SpaceError, UsageError } from '../core/errors.js';
import type { WidthVector } from '../core/shapes.js';
import type { SearchSpace } from './types.js';
import { widthProblem } from './validate.js';

/** The base (hand-designed) widths of a space, one per group in group order. */
export function baseWidths(space: SearchSpace): WidthVector {
  return space.groups.map((g) => g.base);
}

/**
 * Every base width times `scale`, rounded to the nearest integer and at least 1. Scaled widths
 * may leave the groups' search ranges on purpose (wide & sparse families go past them).
 */
export function scaledWidths(space: SearchSpace, scale: number): WidthVector {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new UsageError(`--scale: expected a positive number, found ${scale}`);
  return space.groups.map((g) => Math.max(1, Math.round(g.base * scale)));
}

/** Throws `SpaceError` naming the first group whose width is off its range or grid. */
export function checkWidths(space: SearchSpace, widths: WidthVector): void {
  if (widths.length !== space.groups.length) {
    throw new SpaceError(
      `${space.name}: expected ${space.groups.length} widths, one per group (${space.groups.map((g) => g.name).join(', ')}), found ${widths.length}`,
    );
  }
  space.groups.forEach((g, i) => {
    const problem = widthProblem(g, widths[i]);
    if (problem) throw new SpaceError(`${space.name}: width ${i + 1} (group "${g.name}"): expected ${problem}, found ${widths[i]}`);
  });
}

/** Parses `--widths a,b,c` (one per group, in group order) and checks it against the groups. */
export function parseWidths(space: SearchSpace, text: string): WidthVector {
  const parts = text.split(',').map((s) => s.trim());
  const widths = parts.map((p) => Number(p));
  const bad = parts.findIndex((p, i) => p === '' || !Number.isInteger(widths[i]));
  if (bad >= 0) throw new UsageError(`--widths: expected comma-separated integers, found "${parts[bad]}" at position ${bad + 1}`);
  checkWidths(space, widths);
  return widths;
}
