/**
 * Scores: one number per group from its variance series, read as "how much this group needs
 * width" (higher = needs more). Each score's sign is fixed by the reading it encodes, before any
 * data: Chen et al.'s narrow layers (DS) rise, peak and fall; their wide layers (IS) rise and stay.
 *
 * A series is the normalised variance of the per-channel norms at each record, in time order; the
 * first record is the initialisation (epoch 0) where the recorder has it.
 */
import { smooth } from './classify.js';

export type ScoreName = 'drop' | 'late-slope' | 'growth' | 'level';

export interface ScoreInfo {
  name: ScoreName;
  description: string;
  /** `epochs` and `values` are equally long; returns NaN where the series is too short or empty. */
  score(epochs: number[], values: number[]): number;
}

/** Least-squares slope of ys against xs. */
export function leastSquaresSlope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n, my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den > 0 ? num / den : NaN;
}

/** Drops non-positive and non-finite values (a log scale needs positive ones) with their epochs. */
function positive(epochs: number[], values: number[]): { x: number[]; y: number[] } {
  const keep = values.map((v, i) => i).filter((i) => Number.isFinite(values[i]) && values[i] > 0);
  return { x: keep.map((i) => epochs[i]), y: keep.map((i) => values[i]) };
}

export const SCORES: Record<ScoreName, ScoreInfo> = {
  drop: {
    name: 'drop',
    description: 'fall from the peak to the end, relative to the peak (3-point smoothing): the DS shape',
    score: (_epochs, values) => {
      if (values.length < 3 || values.some((v) => !Number.isFinite(v))) return NaN;
      const s = smooth(values, 3);
      const peak = Math.max(...s);
      return peak > 0 ? (peak - s[s.length - 1]) / peak : NaN;
    },
  },
  'late-slope': {
    name: 'late-slope',
    description: 'minus the slope of log variance per epoch over the second half of training: still falling = needs width',
    score: (epochs, values) => {
      const { x, y } = positive(epochs, values);
      if (x.length < 3) return NaN;
      const last = x[x.length - 1];
      const half = x.map((e, i) => i).filter((i) => x[i] >= last / 2);
      const use = half.length >= 2 ? half : [x.length - 2, x.length - 1];
      return -leastSquaresSlope(use.map((i) => x[i]), use.map((i) => Math.log(y[i])));
    },
  },
  growth: {
    name: 'growth',
    description: 'minus log(final / first value): how far training moved the spread from its initial level, read as wide enough when it grew',
    score: (epochs, values) => {
      const { y } = positive(epochs, values);
      if (y.length < 2) return NaN;
      return -Math.log(y[y.length - 1] / y[0]);
    },
  },
  level: {
    name: 'level',
    description: 'log of the final variance: a large spread of channel norms left at the end',
    score: (epochs, values) => {
      const { y } = positive(epochs, values);
      return y.length ? Math.log(y[y.length - 1]) : NaN;
    },
  },
};

export const SCORE_NAMES = Object.keys(SCORES) as ScoreName[];

export function isScoreName(name: string): name is ScoreName {
  return Object.prototype.hasOwnProperty.call(SCORES, name);
}
