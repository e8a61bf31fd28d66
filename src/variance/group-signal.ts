/**
 * A group's width signal: its variance series under a norm kind, a score from that series, and a
 * label for people. This is what probe, search and report read.
 */
import type { GroupTelemetry } from '../trial/result.js';
import { NORM_KINDS, type NormKind } from './norm-kinds.js';
import { normStats } from './norms.js';
import { SCORES, type ScoreName } from './scores.js';
import type { Label } from './classify.js';

export interface SignalChoice {
  norm: NormKind;
  score: ScoreName;
}

/**
 * Labels from a score: DS where it is at least `dsFrom`, IS where it is at most `isUpTo`,
 * undetermined between (the band where seeds disagree).
 */
export interface LabelBand {
  isUpTo: number;
  dsFrom: number;
}

export interface GroupSignal {
  group: string;
  width: number;
  norm: NormKind;
  score: ScoreName;
  epochs: number[];
  /** Normalised variance of the channel norms per record; empty where the norm kind is undefined. */
  variance: number[];
  /** Higher = needs width more; NaN where undefined. */
  value: number;
  label: Label;
  reason: string;
}

/** The normalised variance series of one group under one norm kind (empty where undefined). */
export function varianceSeries(t: GroupTelemetry, norm: NormKind): { epochs: number[]; variance: number[] } {
  const epochs: number[] = [], variance: number[] = [];
  for (const p of t.points) {
    const norms = NORM_KINDS[norm].norms(p);
    if (!norms) return { epochs: [], variance: [] };
    const s = normStats(norms);
    // The displacement is zero everywhere at initialisation: no spread to speak of yet.
    if (s.mean === 0) continue;
    epochs.push(p.epoch);
    variance.push(s.variance);
  }
  return { epochs, variance };
}

export function labelFromScore(value: number, band: LabelBand): { label: Label; reason: string } {
  if (!Number.isFinite(value)) return { label: 'undetermined', reason: 'no score: the norm kind is not defined here or the series is too short' };
  if (value >= band.dsFrom) return { label: 'DS', reason: `score ${value.toFixed(3)} >= ${band.dsFrom.toFixed(3)}: needs width` };
  if (value <= band.isUpTo) return { label: 'IS', reason: `score ${value.toFixed(3)} <= ${band.isUpTo.toFixed(3)}: wide enough` };
  return { label: 'undetermined', reason: `score ${value.toFixed(3)} between ${band.isUpTo.toFixed(3)} and ${band.dsFrom.toFixed(3)}, where seeds disagree` };
}

/** Every group's signal under one norm kind and score. */
export function groupSignals(telemetry: GroupTelemetry[], choice: SignalChoice, band: LabelBand): GroupSignal[] {
  return telemetry.map((t) => {
    const { epochs, variance } = varianceSeries(t, choice.norm);
    const value = variance.length ? SCORES[choice.score].score(epochs, variance) : NaN;
    return { group: t.group, width: t.width, norm: choice.norm, score: choice.score, epochs, variance, value, ...labelFromScore(value, band) };
  });
}
