/**
 * IS / DS / undetermined from one variance series (one value per record, in time order).
 *
 * The series is smoothed (centred moving average) to tame noise. Then:
 * - fewer than `minLength` points, or a non-finite value: undetermined, with the reason;
 * - no real rise (the smoothed peak is less than `minRise` above the first value, relative to the
 *   peak), which covers flat and all-zero series: undetermined;
 * - the smoothed series falls from its peak to its end by at least `dsDrop` of the peak, and the
 *   peak lies before the last `tailFraction` of the series: DS (rose, peaked, fell);
 * - otherwise IS (rose and stayed, or is still rising).
 * Confidence grows with how far the drop ratio is from `dsDrop`, and is halved for series shorter
 * than twice `minLength`.
 */

export type Label = 'IS' | 'DS' | 'undetermined';

export interface ClassifierParams {
  /** Shortest series that can be called. */
  minLength: number;
  /** Width of the centred moving average (1 = none). */
  smoothWindow: number;
  /** A peak must exceed the first value by this fraction of the peak to count as a rise. */
  minRise: number;
  /** Drop ratio (peak - final) / peak from which a series is DS. */
  dsDrop: number;
  /** The last part of the series, for the tail slope and for "the peak is not at the end". */
  tailFraction: number;
}

export const DEFAULT_CLASSIFIER_PARAMS: ClassifierParams = {
  minLength: 4,
  smoothWindow: 3,
  minRise: 0.1,
  dsDrop: 0.15,
  tailFraction: 0.25,
};

export interface Evidence {
  length: number;
  /** Index of the smoothed peak (-1 when not computed). */
  peakIndex: number;
  peakValue: number;
  finalValue: number;
  /** (peak - final) / peak of the smoothed series. */
  dropRatio: number;
  /** Least-squares slope over the tail, per point, relative to the peak. */
  tailSlope: number;
  /** 0..1. */
  confidence: number;
}

export interface Classification {
  label: Label;
  reason: string;
  evidence: Evidence;
}

export function smooth(series: number[], window: number): number[] {
  const half = Math.floor(window / 2);
  return series.map((_, i) => {
    const lo = Math.max(0, i - half);
    const hi = Math.min(series.length - 1, i + half);
    let s = 0;
    for (let j = lo; j <= hi; j++) s += series[j];
    return s / (hi - lo + 1);
  });
}

function slope(values: number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = values.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  values.forEach((v, i) => {
    num += (i - mx) * (v - my);
    den += (i - mx) ** 2;
  });
  return num / den;
}

export function classifySeries(series: number[], params: Partial<ClassifierParams> = {}): Classification {
  const p = { ...DEFAULT_CLASSIFIER_PARAMS, ...params };
  const empty: Evidence = { length: series.length, peakIndex: -1, peakValue: NaN, finalValue: NaN, dropRatio: NaN, tailSlope: NaN, confidence: 0 };
  if (series.length < p.minLength) {
    return { label: 'undetermined', reason: `too short: ${series.length} points, need ${p.minLength}`, evidence: empty };
  }
  const bad = series.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) return { label: 'undetermined', reason: `non-finite value ${series[bad]} at point ${bad}`, evidence: empty };

  const s = smooth(series, p.smoothWindow);
  let peakIndex = 0;
  s.forEach((v, i) => { if (v > s[peakIndex]) peakIndex = i; });
  const peakValue = s[peakIndex];
  const finalValue = s[s.length - 1];
  const tailStart = Math.min(s.length - 2, Math.floor(s.length * (1 - p.tailFraction)));
  const tailSlope = peakValue > 0 ? slope(s.slice(tailStart)) / peakValue : 0;
  const dropRatio = peakValue > 0 ? (peakValue - finalValue) / peakValue : 0;
  const rise = peakValue > 0 ? (peakValue - s[0]) / peakValue : 0;
  const lengthFactor = series.length >= 2 * p.minLength ? 1 : 0.5;
  const evidence: Evidence = { length: series.length, peakIndex, peakValue, finalValue, dropRatio, tailSlope, confidence: 0 };

  if (!(peakValue > 0) || rise < p.minRise) {
    return { label: 'undetermined', reason: `no rise: the peak is ${(rise * 100).toFixed(1)}% above the start, need ${p.minRise * 100}%`, evidence };
  }
  const confidence = Math.min(1, Math.abs(dropRatio - p.dsDrop) / p.dsDrop) * lengthFactor;
  evidence.confidence = confidence;
  if (dropRatio >= p.dsDrop && peakIndex < tailStart) {
    return { label: 'DS', reason: `rose, peaked at point ${peakIndex}, fell ${(dropRatio * 100).toFixed(1)}% by the end`, evidence };
  }
  return {
    label: 'IS',
    reason: dropRatio >= p.dsDrop ? 'still moving in the last part; the fall comes too late to call DS' : `rose and stayed within ${(dropRatio * 100).toFixed(1)}% of its peak`,
    evidence,
  };
}

/** Classifies the first `k` points only (an early call, as the search makes). */
export function classifyPrefix(series: number[], k: number, params: Partial<ClassifierParams> = {}): Classification {
  return classifySeries(series.slice(0, Math.max(0, k)), params);
}
