/**
 * Uniform width scaling, the baseline every width search answers to: the start's widths times one
 * multiplier, each rounded down to its group's grid (and clamped to its range), with the largest
 * multiplier whose network fits the budget.
 *
 * Exact, not bisected: a group's snapped width only changes where `multiplier * start` crosses a
 * grid point, so the feasible multipliers are decided at those breakpoints alone. Cost grows with
 * every width, so the answer is the largest breakpoint whose network fits.
 */
import type { WidthVector } from '../core/types.js';
import type { SearchSpace } from '../space/types.js';
import { isFeasible, snapToGrid, type Budget } from './budget.js';

export interface UniformScaling {
  /** The largest feasible multiplier (the breakpoint where the returned widths are reached). */
  multiplier: number;
  widths: WidthVector;
}

/** The start's widths at `multiplier`, each rounded down to its grid. */
export function scaledOnGrid(space: SearchSpace, start: WidthVector, multiplier: number): WidthVector {
  // The tiny slack keeps a breakpoint (w * m landing exactly on a grid point) on its own cell.
  return space.groups.map((g, i) => snapToGrid(g, start[i] * multiplier * (1 + 1e-12), 'down'));
}

/** Null when even the groups' minimum widths exceed the budget. */
export function uniformScaling(space: SearchSpace, start: WidthVector, budget: Budget): UniformScaling | null {
  const breakpoints = new Set<number>();
  space.groups.forEach((g, i) => {
    for (let w = g.min; w <= g.max; w += g.step) breakpoints.add(w / start[i]);
  });
  const sorted = [...breakpoints].sort((a, b) => b - a);
  for (const m of sorted) {
    const widths = scaledOnGrid(space, start, m);
    if (isFeasible(space, widths, budget)) return { multiplier: m, widths };
  }
  return null;
}
