/** The search's view of trials: frozen records only (samplers never see live objects). */
import type { WidthVector } from '../core/shapes.js';
import type { TrialMetrics } from '../trial/result.js';

import type { Label } from '../variance/classify.js';
import type { Rng } from '../core/rng.js';
import type { SearchSpace } from '../space/types.js';
import type { Budget } from './budget.js';

/** A group's label; the variance module owns the word. */
export type LayerLabel = Label;

/** A finished (or failed) trial as the samplers see it. */
export interface FrozenTrial {
  readonly trialId: number;
  readonly widths: readonly number[];
  readonly status: 'ok' | 'failed';
  readonly metrics?: Readonly<TrialMetrics>;
  /** IS / DS / undetermined per width group, from the trial's telemetry. */
  readonly groupLabels?: Readonly<Record<string, LayerLabel>>;
  /** How much each group needs width under the study's signal (higher = more); NaN where undefined. */
  readonly groupScores?: Readonly<Record<string, number>>;
  /** The sampler round that proposed it. */
  readonly round: number;
  /** Why it was proposed (the sampler's note, e.g. streamline's move). */
  readonly note?: string;
}

/** What a sampler asks for: widths (projected onto the budget by the study) and a note. */
export interface Proposal {
  widths: WidthVector;
  round: number;
  /** Why it was proposed, for the journal and the report (e.g. `DS x1.25, IS x0.85`). */
  note?: string;
  /**
   * Evaluate these widths again even though a trial already did (with its own seed): a sampler
   * confirming a promising vector whose results may have been luck. Without it, repeats are dropped.
   */
  repeat?: boolean;
}

/** The objective: validation accuracy, ties to fewer params. Returns > 0 when `a` is better. */
export function compareTrials(a: FrozenTrial, b: FrozenTrial): number {
  if (a.status !== 'ok' || !a.metrics) return b.status === 'ok' ? -1 : 0;
  if (b.status !== 'ok' || !b.metrics) return 1;
  const d = a.metrics.validationAccuracy - b.metrics.validationAccuracy;
  if (d !== 0) return d;
  return b.metrics.params - a.metrics.params;
}

/** The best trial of a history, or undefined when none succeeded. */
export function bestTrial(history: readonly FrozenTrial[]): FrozenTrial | undefined {
  let best: FrozenTrial | undefined;
  for (const t of history) if (t.status === 'ok' && (!best || compareTrials(t, best) > 0)) best = t;
  return best;
}

export interface SamplerContext {
  space: SearchSpace;
  budget: Budget;
  /** A fresh rng per round, so a resumed study proposes what the interrupted one did. */
  rngForRound: (round: number) => Rng;
  /** Proposals per round (the number of workers). */
  roundSize: number;
  /** Where `streamline` starts (base widths or --widths), already feasible. */
  start: WidthVector;
}

export interface Sampler {
  readonly name: string;
  /** The next round's proposals; an empty list means the sampler has nothing more to try. */
  ask(history: readonly FrozenTrial[]): Proposal[];
  /** After an empty `ask`: why, in words for the user. */
  readonly stopReason?: string;
}

/**
 * What a sampler with a model of the accuracies also does: recommend from everything it knows
 * rather than the luckiest proxy. Samplers without one are judged by their best proxy result and
 * the better final validation (`isRecommender` tells them apart).
 */
export interface Recommender {
  /** The trial it recommends as the search's winner. */
  recommend(history: readonly FrozenTrial[]): FrozenTrial | undefined;
  /** Which final training to recommend (an index into `finals`), weighing their validation results against the proxy results. */
  chooseFinal(history: readonly FrozenTrial[], finals: readonly { widths: readonly number[]; validationAccuracy: number }[]): number;
  /** What it learned: each group's mean gain per step wider and its sd, best first. */
  learned(history: readonly FrozenTrial[]): { group: string; gainPerStep: number; sd: number }[];
}

export function isRecommender(sampler: Sampler): sampler is Sampler & Recommender {
  const s = sampler as Partial<Recommender>;
  return typeof s.recommend === 'function' && typeof s.chooseFinal === 'function' && typeof s.learned === 'function';
}

