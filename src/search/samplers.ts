/**
 * Samplers propose width vectors in rounds; the study projects every proposal onto the budget,
 * drops repeats, runs the round on all workers and tells the samplers the frozen results.
 *
 * - `streamline` (default): the paper's idea, on a continuous score. From the start widths (under a
 *   budget below the start's cost: the start scaled uniformly onto the budget), each round takes
 *   the best trial so far and moves width by its groups' need scores (see `groupNeeds`): the
 *   neediest group is widened, the least needy narrowed, the others in between, one candidate per
 *   worker with growing step multipliers, each projected back onto the budget. A round that does
 *   not improve halves the steps. It stops after `maxRounds`, after `patience` rounds without a
 *   better trial, or when every candidate repeats one already run; never because no group is DS.
 * - `random`: uniform over the feasible grid, rejecting vectors over the budget (projection as a
 *   fallback), or with `fill` > 0 uniform over the feasible vectors that use at least that share of
 *   the reachable MACs (the band the model sampler searches: a fair baseline for it). Uniform scaling
 *   of the start is measured by the final check, as for every sampler.
 * - `evolution`: regularized evolution (Real et al.): an aging population of the last `population`
 *   trials, tournament selection, mutation of one or two groups by a few grid steps; a child that
 *   repeats a trial already run is mutated again, so every study runs all its trials.
 */
import type { Rng } from '../core/rng.js';
import type { WidthVector } from '../core/shapes.js';
import type { SearchSpace } from '../space/types.js';
import { isFeasible, projectToBudget, type Budget } from './budget.js';
import { bestTrial, compareTrials, type FrozenTrial, type Proposal, type Sampler, type SamplerContext } from './types.js';
import { groupNeeds } from './group-needs.js';
import { ModelSampler } from './model-sampler.js';
import { enumerateCandidates, mutated } from './candidates.js';

export { groupNeeds };

export type { Sampler, SamplerContext };

export interface StreamlineOptions {
  /** At step 1, the neediest group is multiplied by this and the least needy divided by it (default 1.25). */
  widen: number;
  /** Round limit, not counting the start round (default 6). */
  maxRounds: number;
  /** Stop after this many rounds in a row without a better trial (default 2). */
  patience: number;
}

export const DEFAULT_STREAMLINE: StreamlineOptions = { widen: 1.25, maxRounds: 6, patience: 2 };

const key = (w: readonly number[]) => w.join(',');

export class StreamlineSampler implements Sampler {
  readonly name = 'streamline';
  stopReason?: string;
  private readonly options: StreamlineOptions;

  constructor(private readonly ctx: SamplerContext, options: Partial<StreamlineOptions> = {}) {
    this.options = { ...DEFAULT_STREAMLINE, ...options };
  }

  ask(history: readonly FrozenTrial[]): Proposal[] {
    if (history.length === 0) return [{ widths: [...this.ctx.start], round: 0, note: 'start' }];
    const stop = (reason: string): Proposal[] => {
      this.stopReason = reason;
      return [];
    };
    const best = bestTrial(history);
    if (!best) return stop('no trial succeeded');
    const round = nextRound(history);
    if (round > this.options.maxRounds) return stop(`${this.options.maxRounds} rounds done (the round limit)`);
    // Rounds since the best trial's that did not beat it: each halves the steps; `patience` of
    // them end the search. Derived from the history alone, so a resumed study takes the same steps.
    const idle = round - 1 - best.round;
    if (idle >= this.options.patience) return stop(`${idle} rounds without a better trial than trial ${best.trialId} (patience ${this.options.patience})`);
    const needs = groupNeeds(this.ctx.space, best);
    if (needs.every((n) => n === 0)) return stop(`the best trial (${best.trialId}) has no group scores or labels to steer by`);
    const scale = 0.5 ** idle;
    const seen = new Set(history.map((t) => key(t.widths)));
    const proposals: Proposal[] = [];
    const names = this.ctx.space.groups.map((g) => g.name);
    const most = names[needs.indexOf(Math.max(...needs))], least = names[needs.indexOf(Math.min(...needs))];
    // Step multipliers per worker: 1, 2, 0.5, 3, 0.25, ... of the current scale.
    const multipliers = [1, 2, 0.5, 3, 0.25, 4, 1.5, 0.75];
    for (let i = 0; proposals.length < this.ctx.roundSize && i < multipliers.length * 2; i++) {
      const m = multipliers[i % multipliers.length] * scale * (i >= multipliers.length ? 1.5 : 1);
      const up = this.options.widen ** m;
      const widths = projectToBudget(this.ctx.space, best.widths.map((w, j) => w * up ** needs[j]), this.ctx.budget);
      if (seen.has(key(widths))) continue;
      seen.add(key(widths));
      // The note gives the factors the two extreme groups really got, after the budget's projection.
      const factor = (name: string) => { const j = names.indexOf(name); return (widths[j] / best.widths[j]).toFixed(2); };
      proposals.push({ widths, round, note: `step ${m.toFixed(2)} from trial ${best.trialId}: ${most} x${factor(most)}, ${least} x${factor(least)} (most / least need)` });
    }
    if (!proposals.length) return stop('every candidate of this round repeats a trial already run');
    return proposals;
  }
}

/** A uniform grid sample of the space (not yet checked against the budget). */
function uniformGrid(space: SearchSpace, rng: Rng): WidthVector {
  return space.groups.map((g) => g.min + g.step * rng.int(Math.floor((g.max - g.min) / g.step) + 1));
}

/** Uniform over the feasible grid by rejection; projection after 200 misses. */
function uniformFeasible(ctx: SamplerContext, rng: Rng): WidthVector {
  for (let i = 0; i < 200; i++) {
    const w = uniformGrid(ctx.space, rng);
    if (isFeasible(ctx.space, w, ctx.budget)) return w;
  }
  return projectToBudget(ctx.space, uniformGrid(ctx.space, rng), ctx.budget);
}

/** The round after the latest one in `history` (0 for an empty history). */
function nextRound(history: readonly FrozenTrial[]): number {
  return history.length ? Math.max(...history.map((t) => t.round)) + 1 : 0;
}

/** Tries `make` until it gives a vector not in `seen` (at most 50 times; the last try otherwise), and marks it seen. */
function unseen(seen: Set<string>, make: () => WidthVector): WidthVector {
  let w = make();
  for (let i = 0; i < 50 && seen.has(key(w)); i++) w = make();
  seen.add(key(w));
  return w;
}

export interface RandomOptions {
  /** 0: uniform over the feasible grid (default); > 0: over feasible vectors using at least this share of the reachable MACs. */
  fill: number;
}

export class RandomSampler implements Sampler {
  readonly name = 'random';
  private readonly options: RandomOptions;
  constructor(private readonly ctx: SamplerContext, options: Partial<RandomOptions> = {}) {
    this.options = { fill: 0, ...options };
  }

  ask(history: readonly FrozenTrial[]): Proposal[] {
    const round = nextRound(history);
    const rng = this.ctx.rngForRound(round);
    const proposals: Proposal[] = [];
    const seen = new Set([...history, ...proposals].map((t) => key(t.widths)));
    const band = this.options.fill > 0 ? enumerateCandidates(this.ctx.space, this.ctx.budget, this.options.fill) : undefined;
    const draw = band?.length ? () => [...band[rng.int(band.length)]] : () => uniformFeasible(this.ctx, rng);
    while (proposals.length < this.ctx.roundSize) proposals.push({ widths: unseen(seen, draw), round, note: band ? `uniform over the ${band.length} networks using ${Math.round(100 * this.options.fill)}% of the budget or more` : 'uniform' });
    return proposals;
  }
}

export interface EvolutionOptions {
  population: number;
  tournament: number;
}

export class EvolutionSampler implements Sampler {
  readonly name = 'evolution';
  private readonly options: EvolutionOptions;
  constructor(private readonly ctx: SamplerContext, options: Partial<EvolutionOptions> = {}) {
    this.options = { population: 8, tournament: 3, ...options };
  }

  ask(history: readonly FrozenTrial[]): Proposal[] {
    const round = nextRound(history);
    const alive = history.filter((t) => t.status === 'ok').slice(-this.options.population);
    const { space } = this.ctx;
    const rng = this.ctx.rngForRound(round);
    const proposals: Proposal[] = [];
    const seen = new Set([...history, ...proposals].map((t) => key(t.widths)));
    while (proposals.length < this.ctx.roundSize) {
      if (alive.length < this.options.population) {
        proposals.push({ widths: unseen(seen, () => uniformFeasible(this.ctx, rng)), round, note: 'initial population' });
        continue;
      }
      let parent = alive[rng.int(alive.length)];
      for (let i = 1; i < this.options.tournament; i++) {
        const c = alive[rng.int(alive.length)];
        if (compareTrials(c, parent) > 0) parent = c;
      }
      const from = parent;
      proposals.push({ widths: unseen(seen, () => projectToBudget(space, mutated(space, from.widths, rng), this.ctx.budget)), round, note: `mutation of trial ${parent.trialId}` });
    }
    return proposals;
  }
}

export const SAMPLER_NAMES = ['model', 'streamline', 'random', 'evolution'] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** The sampler registry. */
export function createSampler(name: SamplerName, ctx: SamplerContext, options: Record<string, number> = {}): Sampler {
  switch (name) {
    case 'model':
      return new ModelSampler(ctx, options);
    case 'streamline':
      return new StreamlineSampler(ctx, options);
    case 'random':
      return new RandomSampler(ctx, options);
    case 'evolution':
      return new EvolutionSampler(ctx, options);
  }
}
