/** The search's view of trials: frozen records only (samplers never see live objects). */
import type { WidthVector } from '../core/shapes.js';
import type { TrialMetrics } from '../trial/result.js';

import type { Label } from '../variance/classify.js';

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
