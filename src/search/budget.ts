/**
 * The budget gate: a width vector is feasible when its MACs (and, if set, params) are within the
 * budget and every width is on its group's grid. `projectToBudget` maps any proposal to a
 * feasible vector near it, or throws `BudgetError` when none exists.
 *
 * Projection: clamp every width to its group's range and grid; if over budget, shrink all widths
 * by one common factor (found by bisection, so the proportions of the proposal are kept) and round
 * each down to its grid; then spend what is left of the budget by growing, one grid step at a time,
 * the groups the proposal wanted wider than they ended up, largest relative shortfall first. MACs
 * and params only grow with any width, which makes each step safe to check.
 */
import { BudgetError } from '../core/errors.js';
import type { WidthVector } from '../core/shapes.js';
import { spaceCost } from '../cost/cost.js';
import type { SearchSpace, WidthGroup } from '../space/types.js';

export interface Budget {
  macs: number;
  /** Optional cap on parameters. */
  params?: number;
}

/** Nearest grid width of `group` at or below `w` (at least min), or nearest overall with `mode`. */
export function snapToGrid(group: WidthGroup, w: number, mode: 'down' | 'nearest' = 'nearest'): number {
  const k = (w - group.min) / group.step;
  const cells = Math.floor((group.max - group.min) / group.step);
  const idx = Math.max(0, Math.min(cells, mode === 'down' ? Math.floor(k + 1e-9) : Math.round(k)));
  return group.min + idx * group.step;
}

export function isFeasible(space: SearchSpace, widths: WidthVector, budget: Budget): boolean {
  const c = spaceCost(space, widths);
  return c.macs <= budget.macs && (budget.params === undefined || c.params <= budget.params);
}

/** Throws `BudgetError` when even the narrowest network of the space is over the budget. */
export function checkBudget(space: SearchSpace, budget: Budget): void {
  const narrowest = space.groups.map((g) => g.min);
  const c = spaceCost(space, narrowest);
  if (c.macs > budget.macs || (budget.params !== undefined && c.params > budget.params)) {
    throw new BudgetError(
      `${space.name}: no width vector fits the budget (${budget.macs.toLocaleString('en-US')} MACs${budget.params !== undefined ? `, ${budget.params.toLocaleString('en-US')} params` : ''}); ` +
        `the narrowest network allowed by the groups' minimums needs ${c.macs.toLocaleString('en-US')} MACs and ${c.params.toLocaleString('en-US')} params: raise the budget or lower the groups' min`,
    );
  }
}

/** A feasible width vector close to `proposal` (see the module comment). */
export function projectToBudget(space: SearchSpace, proposal: number[], budget: Budget): WidthVector {
  checkBudget(space, budget);
  const groups = space.groups;
  let widths = groups.map((g, i) => snapToGrid(g, proposal[i]));
  if (!isFeasible(space, widths, budget)) {
    let lo = 0;
    let hi = 1;
    const at = (f: number) => groups.map((g, i) => snapToGrid(g, widths[i] * f, 'down'));
    for (let iter = 0; iter < 40; iter++) {
      const mid = (lo + hi) / 2;
      if (isFeasible(space, at(mid), budget)) lo = mid;
      else hi = mid;
    }
    widths = at(lo);
  }
  // Spend the slack on the groups furthest below what the proposal asked for.
  for (;;) {
    const order = groups
      .map((g, i) => ({ i, short: proposal[i] / widths[i] }))
      .filter(({ i }) => widths[i] + groups[i].step <= groups[i].max && widths[i] < proposal[i])
      .sort((a, b) => b.short - a.short || a.i - b.i);
    const grown = order.find(({ i }) => {
      const next = widths.slice();
      next[i] += groups[i].step;
      return isFeasible(space, next, budget);
    });
    if (!grown) break;
    widths[grown.i] += groups[grown.i].step;
  }
  return widths;
}
