/**
 * Where the model-based sampler looks: feasible width vectors that use most of the budget. Vectors
 * that leave a quarter of the MACs unspent rarely win (issue 25: random search restricted to
 * vectors using 80% of the budget beats plain random search on Channel-Bench-Macro), so the
 * candidates are the feasible vectors with at least `fill` of the most MACs any feasible vector
 * reaches (the budget, or the widest network when the budget is above it).
 *
 * Small spaces (Channel-Bench-Macro's 4^7) are enumerated once per space and budget. Larger ones
 * (cnn-mnist's 16 x 32^3 grid) are sampled: random grid vectors filled up to the budget along their
 * own proportions, and moves of one or two groups from given vectors, filled the same way.
 */
import { canonicalJson } from '../core/canonical-json.js';
import type { Rng } from '../core/rng.js';
import { spaceCost } from '../cost/cost.js';
import type { SearchSpace } from '../space/types.js';
import { isFeasible, projectToBudget, snapToGrid, type Budget } from './budget.js';

/** Spaces with at most this many grid vectors are enumerated. */
export const ENUMERATION_LIMIT = 50_000;

const gridSize = (space: SearchSpace) => space.groups.reduce((n, g) => n * (Math.floor((g.max - g.min) / g.step) + 1), 1);

/** The most MACs a feasible vector can use: the widest network's when it fits, else the budget's. */
export function reachableMacs(space: SearchSpace, budget: Budget): number {
  const widest = space.groups.map((g) => g.min + Math.floor((g.max - g.min) / g.step) * g.step);
  return isFeasible(space, widest, budget) ? spaceCost(space, widest).macs : budget.macs;
}

const enumerated = new Map<string, number[][]>();

/**
 * Every feasible vector of an enumerable space using at least `fill` of the reachable MACs, cached
 * by (space, budget, fill); undefined when the space is too large to enumerate.
 */
export function enumerateCandidates(space: SearchSpace, budget: Budget, fill: number): number[][] | undefined {
  if (gridSize(space) > ENUMERATION_LIMIT) return undefined;
  const key = canonicalJson({ groups: space.groups, layers: space.layers, input: space.input, classes: space.classes, budget, fill });
  const cached = enumerated.get(key);
  if (cached) return cached;
  const counts = space.groups.map((g) => Math.floor((g.max - g.min) / g.step) + 1);
  const all: { widths: number[]; macs: number }[] = [];
  const idx = counts.map(() => 0);
  for (;;) {
    const widths = space.groups.map((g, i) => g.min + idx[i] * g.step);
    const c = spaceCost(space, widths);
    if (c.macs <= budget.macs && (budget.params === undefined || c.params <= budget.params)) all.push({ widths, macs: c.macs });
    let i = 0;
    while (i < idx.length && ++idx[i] === counts[i]) idx[i++] = 0;
    if (i === idx.length) break;
  }
  const top = Math.max(...all.map((a) => a.macs));
  const chosen = all.filter((a) => a.macs >= fill * top).map((a) => a.widths);
  enumerated.set(key, chosen);
  return chosen;
}

/**
 * `widths` grown along its own proportions until the budget is used: the largest common factor
 * whose rounded-down vector fits, then the budget's projection spends what is left on the groups
 * furthest below that factor.
 */
export function fillToBudget(space: SearchSpace, widths: readonly number[], budget: Budget): number[] {
  const base = isFeasible(space, [...widths], budget) ? [...widths] : projectToBudget(space, [...widths], budget);
  const at = (f: number) => space.groups.map((g, i) => snapToGrid(g, base[i] * f, 'down'));
  let lo = 1;
  let hi = Math.max(...space.groups.map((g, i) => g.max / base[i]));
  if (hi <= 1) return base;
  if (isFeasible(space, at(hi), budget)) return at(hi);
  for (let iter = 0; iter < 24; iter++) {
    const mid = (lo + hi) / 2;
    if (isFeasible(space, at(mid), budget)) lo = mid;
    else hi = mid;
  }
  return projectToBudget(space, base.map((w) => w * hi), budget);
}

/** A uniform grid vector (not yet checked against the budget). */
export function randomGridVector(space: SearchSpace, rng: Rng): number[] {
  return space.groups.map((g) => g.min + g.step * rng.int(Math.floor((g.max - g.min) / g.step) + 1));
}

/** `widths` with one or two groups moved by one to three grid steps, clamped to their ranges (evolution's mutation). */
export function mutated(space: SearchSpace, widths: readonly number[], rng: Rng): number[] {
  const child = [...widths];
  const moves = 1 + rng.int(2);
  for (let m = 0; m < moves; m++) {
    const j = rng.int(space.groups.length);
    const g = space.groups[j];
    const steps = (1 + rng.int(3)) * (rng.next() < 0.5 ? -1 : 1);
    child[j] = Math.min(g.max, Math.max(g.min, child[j] + steps * g.step));
  }
  return child;
}

/**
 * `widths` mutated; filled to the budget when the move left it below `floor` MACs (kept as moved
 * otherwise, so moves stay moves under a budget that the widest network fits).
 */
export function movedAndFilled(space: SearchSpace, widths: readonly number[], budget: Budget, rng: Rng, floor = Infinity): number[] {
  const child = mutated(space, widths, rng);
  return isFeasible(space, child, budget) && spaceCost(space, child).macs >= floor ? child : fillToBudget(space, child, budget);
}
