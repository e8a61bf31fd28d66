/**
 * The model-based sampler (the default): learns the accuracy of width vectors from every finished
 * trial (`width-model.ts`) and proposes, each round, one vector per worker by Thompson sampling:
 * each proposal is the best candidate under one draw of the model from its posterior, so groups
 * the model is unsure about get tried and groups it is sure about get exploited, in proportion to
 * how likely each vector is to be the best. Candidates are feasible vectors that use most of the
 * budget (`candidates.ts`).
 *
 * - Round 0 holds the start scaled uniformly onto the budget (the answer a search must beat, so the
 *   model knows it from the start); the first `spread` trials are spread over the band (each the
 *   candidate farthest from those chosen so far), so the model learns the whole band before it
 *   narrows down, instead of walking out from a start that may be mis-shaped (the held-out table
 *   benchmark: results/experiments/table-benchmark.md). After it, each round's first proposal is
 *   the candidate the posterior mean ranks best (so what the model believes is measured before it
 *   is recommended), the others Thompson draws.
 * - The variance signal is a prior: each group's need (the centred ranks of its scores, averaged
 *   over the trials so far, as streamline reads them) shifts the prior mean of that group's gain per
 *   step by `prior` x need prior standard deviations. The evidence overrules it as trials come in.
 *   `prior: 0` turns it off; a search's default is off (`--prior`), since on the search benchmark
 *   the prior did not help (results/experiments/benchmark.md).
 * - The recommendation is the evaluated vector the model believes best (its additive prediction
 *   moved by part of its own residual), not the single luckiest proxy. The final check keeps uniform
 *   scaling unless the model, weighing the final trainings with every proxy, believes the winner
 *   better by `confidence` posterior sds: on a balanced start there is little to gain, and a lucky
 *   winner must not cost the user accuracy.
 * - Stateless between rounds: everything is refitted from the frozen history and each round's rng
 *   derives from (study seed, sampler, round), so a resumed study proposes what the interrupted one
 *   would have.
 */
import { createRng, type Rng } from '../core/rng.js';
import type { SearchSpace } from '../space/types.js';
import { isFeasible, type Budget } from './budget.js';
import { enumerateCandidates, fillToBudget, movedAndFilled, randomGridVector, reachableMacs } from './candidates.js';
import { spaceCost } from '../cost/cost.js';
import { uniformScaling } from './uniform-scaling.js';
import { WidthFeatures, AccuracyModel } from './width-model.js';
import type { FrozenTrial, Proposal, Recommender, Sampler, SamplerContext } from './types.js';
import { groupNeeds } from './group-needs.js';

export interface ModelOptions {
  /** Candidates use at least this share of the reachable MACs (default 0.85). */
  fill: number;
  /** Weight of the variance signal's prior, in prior standard deviations per step (0: off, the default, as the CLI's `--prior off`; 1: `--prior on`). */
  prior: number;
  /** Random candidates per proposal when the space is too large to enumerate (default 300). */
  pool: number;
  /** Spread of the Thompson draws relative to the posterior's (default 1; 0: always the posterior mean's best). */
  explore: number;
  /** A vector is evaluated at most this many times (default 2; 1: never again). */
  maxEvaluations: number;
  /**
   * The first this many trials (the start's included) are spread over the candidates instead of
   * drawn from the model: each the farthest, in model steps, from everything chosen so far among a
   * random pool, so the model first sees the whole band rather than the start's neighbourhood (0: off).
   */
  spread: number;
  /**
   * 1: after the opening, each round's first proposal is the candidate the model's posterior mean
   * ranks best (anywhere in the band), so what the model currently believes is always measured
   * and can be recommended; the others are Thompson draws (0: all are draws).
   */
  exploit: number;
  /**
   * The final check keeps the last final (uniform scaling) unless the model believes another better
   * by this many posterior sds of their difference (0: whichever it estimates higher).
   */
  confidence: number;
  /** Proposals stay within this many model steps (grid steps on short grids, knots on long ones; summed over groups) of the model's best evaluated vector: a trust region, where the model is trusted near what was measured; 0: anywhere (default 2). */
  radius: number;
}

/**
 * The model sampler as studies journaled before journal version 3 ran it (issue 25's design, prior
 * on unless the study said otherwise): their resume must propose what the interrupted study would
 * have, so the pipeline gives them these defaults (`samplerDefaultsFor`).
 */
export const ISSUE_25_MODEL: Partial<ModelOptions> = { prior: 1, spread: 0, confidence: 0, exploit: 0 };

export const DEFAULT_MODEL: ModelOptions = { fill: 0.85, prior: 0, pool: 300, explore: 1, radius: 2, maxEvaluations: 2, spread: 6, confidence: 2, exploit: 1 };

const key = (w: readonly number[]) => w.join(',');

/** The round after the latest one in `history` (0 for an empty history). */
const nextRound = (history: readonly FrozenTrial[]) => (history.length ? Math.max(...history.map((t) => t.round)) + 1 : 0);

/**
 * Each group's prior need in [-1, 1]: the mean over successful trials with scores (or labels) of
 * the centred ranks `groupNeeds` gives; zeros where no trial has any.
 */
export function priorNeeds(space: SearchSpace, history: readonly FrozenTrial[]): number[] {
  const sums = space.groups.map(() => 0);
  let n = 0;
  for (const t of history) {
    if (t.status !== 'ok' || (!t.groupScores && !t.groupLabels)) continue;
    const needs = groupNeeds(space, t);
    if (needs.every((v) => v === 0)) continue;
    needs.forEach((v, i) => (sums[i] += v));
    n++;
  }
  return sums.map((s) => (n ? s / n : 0));
}

export class ModelSampler implements Sampler, Recommender {
  readonly name = 'model';
  stopReason?: string;
  private readonly options: ModelOptions;
  private readonly features: WidthFeatures;

  constructor(private readonly ctx: SamplerContext, options: Partial<ModelOptions> = {}) {
    this.options = { ...DEFAULT_MODEL, ...options };
    this.features = new WidthFeatures(ctx.space);
  }

  /** The model fitted to the successful trials of `history`, with the signal's prior when on. */
  fit(history: readonly FrozenTrial[]): AccuracyModel {
    const ok = history.filter((t) => t.status === 'ok' && Number.isFinite(t.metrics?.validationAccuracy));
    const needs = this.options.prior > 0 ? priorNeeds(this.ctx.space, ok).map((v) => v * this.options.prior) : undefined;
    return AccuracyModel.fit(this.features, ok.map((t) => ({ widths: t.widths, accuracy: t.metrics!.validationAccuracy })), needs);
  }

  /**
   * Which of the final trainings (the winner's, uniform scaling's) to recommend, from everything
   * known: the final validations join the proxy results as one more evaluation of each network,
   * shifted by their mean difference to those networks' proxy results (final trainings are longer,
   * so only the difference between them carries over), and the model re-estimates both. A final
   * result that disagrees with many proxy results is weighed against them rather than obeyed.
   * Returns the index into `finals`.
   */
  chooseFinal(history: readonly FrozenTrial[], finals: readonly { widths: readonly number[]; validationAccuracy: number }[]): number {
    const model = this.fit(withFinals(history, finals));
    let best = 0;
    finals.forEach((f, i) => { if (model.estimate(f.widths) > model.estimate(finals[best].widths)) best = i; });
    // The last final is the safe answer (uniform scaling): another replaces it only when the model
    // believes it better by `confidence` posterior sds of the difference.
    const safe = finals.length - 1;
    if (this.options.confidence <= 0 || best === safe) return best;
    const d = model.difference(finals[safe].widths, finals[best].widths, createRng('choose-final'));
    return d.mean > this.options.confidence * d.sd ? best : safe;
  }

  /** What the model learned: each group's mean gain per step wider and its sd, best first. */
  learned(history: readonly FrozenTrial[]): { group: string; gainPerStep: number; sd: number }[] {
    const gains = this.fit(history).groupGains();
    return this.ctx.space.groups.map((g, i) => ({ group: g.name, ...gains[i] })).sort((a, b) => b.gainPerStep - a.gainPerStep);
  }

  /** The evaluated trial the model believes best; undefined when none succeeded. */
  recommend(history: readonly FrozenTrial[]): FrozenTrial | undefined {
    return bestEstimated(this.fit(history), history);
  }

  ask(history: readonly FrozenTrial[]): Proposal[] {
    const { space, budget, roundSize } = this.ctx;
    const round = nextRound(history);
    const rng = this.ctx.rngForRound(round);
    const model = this.fit(history);
    const evaluated = new Map<string, readonly number[]>();
    for (const t of history) if (t.status === 'ok') evaluated.set(key(t.widths), t.widths);
    // Not proposable: what this round already proposes, what failed, what was evaluated enough.
    const blocked = new Set(history.filter((t) => t.status !== 'ok').map((t) => key(t.widths)));
    for (const [k, w] of evaluated) if (model.evaluations(w) >= this.options.maxEvaluations) blocked.add(k);
    const proposals: Proposal[] = [];
    const take = (widths: number[], note: string) => {
      const repeat = evaluated.has(key(widths));
      blocked.add(key(widths));
      proposals.push({ widths, round, note: repeat ? `again (evaluated ${model.evaluations(widths)}x): ${note}` : note, ...(repeat ? { repeat } : {}) });
    };
    const uniform = uniformScaling(space, this.ctx.start, budget)?.widths ?? this.ctx.start;
    if (round === 0 && !evaluated.has(key(uniform))) take([...uniform], 'the start scaled uniformly onto the budget');
    const incumbent = bestEstimated(model, history);
    const center = incumbent?.widths ?? uniform;
    const enumerated = enumerateCandidates(space, budget, this.options.fill);
    // Candidates: the enumerated ones (within the trust radius of the incumbent when set), and every
    // vector evaluated so far, which a draw may pick again to confirm it.
    const near = enumerated && this.options.radius > 0 ? enumerated.filter((w) => this.distance(w, center) <= this.options.radius) : enumerated;
    const again = [...evaluated.values()].map((w) => [...w]);
    // The opening design: spread over the band while fewer than `spread` trials are known.
    const known = history.filter((t) => t.status === 'ok').length;
    while (proposals.length < roundSize && known + proposals.length < this.options.spread) {
      const chosen = [...evaluated.values(), ...proposals.map((p) => p.widths)];
      const pick = this.farthest(enumerated, chosen, blocked, rng);
      if (!pick) break;
      take(pick, `spread over the band (${known + proposals.length + 1} of the ${this.options.spread} opening trials): the candidate farthest from those chosen so far`);
    }
    if (this.options.exploit > 0 && incumbent && proposals.length < roundSize && known + proposals.length >= this.options.spread) {
      const believed = model.sample(rng, 0);
      const pick = enumerated ? bestUnblocked([...enumerated, ...again], believed, blocked) : this.searchLarge(believed, rng, blocked, center, again);
      if (pick) take(pick, `the model's best belief: ${this.explain(model, pick, incumbent, history.length)}`);
    }
    for (let attempt = 0; proposals.length < roundSize && attempt < roundSize * 3; attempt++) {
      const draw = model.sample(rng, this.options.explore);
      const pick = near
        ? bestUnblocked([...near, ...again], draw, blocked) ?? bestUnblocked(enumerated!, draw, blocked)
        : this.searchLarge(draw, rng, blocked, center, again);
      if (!pick) break;
      take(pick, this.explain(model, pick, incumbent, history.length));
    }
    if (!proposals.length) this.stopReason = 'every candidate under the budget has been tried';
    return proposals;
  }

  /**
   * Among a random pool of candidates (the enumerated ones, or random vectors filled to the budget),
   * the unblocked one whose nearest chosen vector is farthest away (maximin distance in model steps).
   */
  private farthest(enumerated: number[][] | undefined, chosen: readonly (readonly number[])[], blocked: Set<string>, rng: Rng): number[] | undefined {
    const { space, budget } = this.ctx;
    const floor = this.options.fill * reachableMacs(space, budget);
    const pool = Array.from({ length: 64 }, () => {
      if (enumerated?.length) return enumerated[rng.int(enumerated.length)];
      const w = randomGridVector(space, rng);
      return isFeasible(space, w, budget) && spaceCost(space, w).macs >= floor ? w : fillToBudget(space, w, budget);
    }).filter((w) => !blocked.has(key(w)));
    let best: readonly number[] | undefined;
    let bestDistance = -1;
    for (const w of pool) {
      const d = chosen.length ? Math.min(...chosen.map((c) => this.distance(w, c))) : 0;
      if (d > bestDistance) [best, bestDistance] = [w, d];
    }
    return best ? [...best] : undefined;
  }

  /** Distance between two vectors in model steps (grid steps on short grids, knots on long ones), summed over groups. */
  private distance(a: readonly number[], b: readonly number[]): number {
    return a.reduce((d, w, i) => d + Math.abs(this.features.position(i, w) - this.features.position(i, b[i])), 0);
  }

  /** A large space's best unseen candidate under `draw`: random filled vectors, then a local climb. */
  private searchLarge(draw: (w: readonly number[]) => number, rng: Rng, seen: Set<string>, center: readonly number[], again: number[][]): number[] | undefined {
    const { space, budget } = this.ctx;
    const floor = this.options.fill * reachableMacs(space, budget);
    const pool: number[][] = [];
    if (this.options.radius <= 0) for (let i = 0; i < this.options.pool; i++) {
      const w = randomGridVector(space, rng);
      pool.push(isFeasible(space, w, budget) && spaceCost(space, w).macs >= floor ? w : fillToBudget(space, w, budget));
    }
    for (let i = 0; i < this.options.pool / (this.options.radius > 0 ? 1 : 4); i++) pool.push(movedAndFilled(space, center, budget, rng, floor));
    const inside = (w: readonly number[]) => spaceCost(space, [...w]).macs >= floor && (this.options.radius <= 0 || this.distance(w, center) <= this.options.radius);
    const usable = pool.filter((w) => !seen.has(key(w)) && inside(w));
    let best = bestUnblocked([...(usable.length ? usable : pool), ...again], draw, seen);
    // Climb: moves of one or two groups from the best so far, kept when the draw prefers them.
    for (let step = 0; best && step < 3; step++) {
      const moves = Array.from({ length: 40 }, () => movedAndFilled(space, best!, budget, rng, floor)).filter(inside);
      const better = bestUnblocked([best, ...moves], draw, seen);
      if (!better || key(better) === key(best)) break;
      best = better;
    }
    return best;
  }

  /** The progress line's reason: how the proposal differs from the incumbent, and the model's gains. */
  private explain(model: AccuracyModel, widths: readonly number[], incumbent: FrozenTrial | undefined, trials: number): string {
    const names = this.ctx.space.groups.map((g) => g.name);
    if (!incumbent) return 'model draw before any result (the prior alone)';
    const predicted = `predicted ${pts(model.predict(widths))} ± ${pts(model.predictionSd(widths))}`;
    const changes = widths.map((w, i) => (w === incumbent.widths[i] ? '' : `${names[i]} ${incumbent.widths[i]}->${w}`)).filter(Boolean);
    const gains = model.stepGains().map((g, i) => ({ name: names[i], gain: g.reduce((a, b) => a + b, 0) / Math.max(1, g.length) }));
    gains.sort((a, b) => b.gain - a.gain);
    const signed = (v: number) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)}`;
    return `model draw from ${trials} trials vs trial ${incumbent.trialId} (its best estimate): ${changes.join(', ') || 'same widths'}; ${predicted}; per step wider, ${gains[0].name} pays most (${signed(gains[0].gain)} pts), ${gains[gains.length - 1].name} least (${signed(gains[gains.length - 1].gain)} pts)`;
  }
}

/**
 * The successful trials of `history` with the final validations joined as one more evaluation of
 * each network, shifted by their mean difference to those networks' proxy results (final trainings
 * are longer, so only the difference between them carries over).
 */
export function withFinals(history: readonly FrozenTrial[], finals: readonly { widths: readonly number[]; validationAccuracy: number }[]): FrozenTrial[] {
  const ok = history.filter((t) => t.status === 'ok' && t.metrics);
  const proxyMean = (w: readonly number[]) => {
    const own = ok.filter((t) => key(t.widths) === key(w)).map((t) => t.metrics!.validationAccuracy);
    return own.length ? own.reduce((a, b) => a + b, 0) / own.length : undefined;
  };
  const shifts = finals.map((f) => { const p = proxyMean(f.widths); return p === undefined ? undefined : f.validationAccuracy - p; }).filter((v): v is number => v !== undefined);
  const offset = shifts.length ? shifts.reduce((a, b) => a + b, 0) / shifts.length : 0;
  const extra = finals.map((f, i) => Object.freeze({ trialId: -1 - i, widths: f.widths, status: 'ok' as const, round: -1, metrics: { validationAccuracy: f.validationAccuracy - offset, testAccuracy: NaN, trainLoss: NaN, params: 0, macs: 0 } }));
  return [...ok, ...extra];
}

/** An accuracy (a fraction) in points. */
const pts = (v: number) => `${(100 * v).toFixed(2)}%`;

/** The successful trial of `history` with the highest estimate under `model`. */
function bestEstimated(model: AccuracyModel, history: readonly FrozenTrial[]): FrozenTrial | undefined {
  let best: FrozenTrial | undefined;
  let bestValue = -Infinity;
  for (const t of history) {
    if (t.status !== 'ok' || !Number.isFinite(t.metrics?.validationAccuracy)) continue;
    const v = model.estimate(t.widths);
    if (v > bestValue) [best, bestValue] = [t, v];
  }
  return best;
}

/** The candidate with the highest value under `draw` that is not blocked. */
function bestUnblocked(candidates: readonly number[][], draw: (w: readonly number[]) => number, blocked: Set<string>): number[] | undefined {
  let best: number[] | undefined;
  let bestValue = -Infinity;
  for (const c of candidates) {
    if (blocked.has(key(c))) continue;
    const v = draw(c);
    if (v > bestValue) [best, bestValue] = [c, v];
  }
  return best ? [...best] : undefined;
}
