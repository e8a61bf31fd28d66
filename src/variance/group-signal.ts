/**
 * A group's width signal: its variance series under a norm kind, a score from that series, and a
 * label for people. This is what probe, search and report read.
 *
 * The label is the paper's reading of the series' shape against the measured seed noise
 * (`shape-label.ts`, `label-noise.ts`). The score's label band (`labelFromScore`) is what the
 * search's frozen trials carry; it is not what people are shown.
 */
import type { GroupTelemetry } from '../trial/result.js';
import { NORM_KINDS, type NormKind } from './norm-kinds.js';
import { normStats } from './norms.js';
import { SCORES, type ScoreName } from './scores.js';
import type { Label } from './classify.js';
import { labelNoise } from './label-noise.js';
import { shapeLabel, type ShapeEvidence } from './shape-label.js';

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
  /** The shape label (IS / DS / undetermined) against the seed noise, and why. */
  label: Label;
  reason: string;
  /** Peak, plateau, rise, fall and the noise behind the label; absent where there is no series. */
  evidence?: ShapeEvidence;
  /** The stored training length whose noise was used. */
  noiseEpochs?: number;
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

/** The score's band label: what the search's frozen trials carry (`search/labels.ts`), not what people see. */
export function labelFromScore(value: number, band: LabelBand): { label: Label; reason: string } {
  if (!Number.isFinite(value)) return { label: 'undetermined', reason: 'no score: the norm kind is not defined here or the series is too short' };
  if (value >= band.dsFrom) return { label: 'DS', reason: `score ${value.toFixed(3)} >= ${band.dsFrom.toFixed(3)}: needs width` };
  if (value <= band.isUpTo) return { label: 'IS', reason: `score ${value.toFixed(3)} <= ${band.isUpTo.toFixed(3)}: wide enough` };
  return { label: 'undetermined', reason: `score ${value.toFixed(3)} between ${band.isUpTo.toFixed(3)} and ${band.dsFrom.toFixed(3)}, where seeds disagree` };
}

/**
 * The shape label of one variance series under `norm`, against the seed noise measured at the
 * stored training length nearest the series' last epoch.
 */
export function seriesLabel(norm: NormKind, epochs: readonly number[], variance: readonly number[]): { label: Label; reason: string; evidence?: ShapeEvidence; noiseEpochs?: number } {
  if (!variance.length) return { label: 'undetermined', reason: `no series: the ${norm} norm is not defined for this group` };
  const found = labelNoise(norm, epochs[epochs.length - 1]);
  if (!found) return { label: 'undetermined', reason: `no measured seed noise for the ${norm} norm (src/variance/label-noise.json)` };
  // The displacement starts from zero, so its spread has no initial part; its first records are a
  // few steps of tiny, uneven moves.
  const note = norm === 'displacement' ? 'the first records hold a few steps of small, uneven moves, which training then evens out' : undefined;
  const { label, reason, evidence } = shapeLabel(variance, found.noise, note);
  return { label, reason, evidence, noiseEpochs: found.epochs };
}

/** Every group's signal under one norm kind and score, labelled by its shape. */
export function groupSignals(telemetry: GroupTelemetry[], choice: SignalChoice): GroupSignal[] {
  return telemetry.map((t) => {
    const { epochs, variance } = varianceSeries(t, choice.norm);
    const value = variance.length ? SCORES[choice.score].score(epochs, variance) : NaN;
    return { group: t.group, width: t.width, norm: choice.norm, score: choice.score, epochs, variance, value, ...seriesLabel(choice.norm, epochs, variance) };
  });
}
