/**
 * Uniform width scaling, the baseline every width search answers to: the start's widths times one
 * multiplier, each rounded to the nearest width of its group's grid (and clamped to its range),
 * with the largest multiplier whose network fits the budget. Nearest, not down: rounding every
 * group down wastes budget on coarse grids (a quarter of it at half the base's MACs), which would
 * make the baseline weaker than the shape it stands for.
 *
 * Exact, not bisected: a group's rounded width only changes where `multiplier * start` crosses the
 * middle between two grid widths, so the feasible multipliers are decided at those breakpoints
 * alone. Rounded widths never shrink as the multiplier grows and cost grows with every width, so
 * the answer is the largest breakpoint whose network fits.
 */
import type { WidthVector } from '../core/shapes.js';
import type { SearchSpace } from '../space/types.js';
import { isFeasible, snapToGrid, type Budget } from './budget.js';

export interface UniformScaling {
  /** The largest feasible multiplier (the breakpoint where the returned widths are reached). */
  multiplier: number;
  widths: WidthVector;
}

/** The start's widths at `multiplier`, each rounded to the nearest width of its grid (halves up). */
export function scaledOnGrid(space: SearchSpace, start: WidthVector, multiplier: number): WidthVector {
  // The tiny slack puts a breakpoint (landing exactly on a half-way point) in the upper cell.
  return space.groups.map((g, i) => snapToGrid(g, start[i] * multiplier * (1 + 1e-12) + 1e-9, 'nearest'));
}

/** Null when even the groups' minimum widths exceed the budget. */
export function uniformScaling(space: SearchSpace, start: WidthVector, budget: Budget): UniformScaling | null {
  const breakpoints = new Set<number>();
  space.groups.forEach((g, i) => {
    for (let w = g.min; w <= g.max; w += g.step) breakpoints.add(Math.max(0, w - g.step / 2) / start[i]);
  });
  const sorted = [...breakpoints].sort((a, b) => b - a);
  for (const m of sorted) {
    const widths = scaledOnGrid(space, start, m);
    if (isFeasible(space, widths, budget)) return { multiplier: m, widths };
  }
  return null;
}
