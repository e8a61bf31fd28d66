/**
 * IS / DS / undetermined from one variance series, as Chen et al. define the two patterns, with
 * thresholds set by the measured seed noise rather than fitted:
 * - IS (wide enough): the series rose and ends within the seed noise of its peak;
 * - DS (too narrow): it rose, peaked, and ends below its peak by more than twice the noise;
 * - undetermined: it did not rise by more than twice the noise, or its fall lies between one and
 *   two noise widths, where seeds of the same network can disagree.
 * A series that starts at its highest (a small fan-in's random initial spread, which training first
 * evens out) is named so in the reason and read from its lowest point on, where the training's own
 * growth starts; one that never rises again is undetermined.
 *
 * The noise `noise` is a relative spread: the typical seed-to-seed standard deviation of the
 * series' level divided by its mean, for the same network, norm kind and training length (see
 * `label-noise.ts`). Rise and fall are read on a 3-point centred moving average, the start on the
 * raw first point (the initialisation, where the recorder has it).
 */
import { smooth } from './classify.js';
import type { Label } from './classify.js';

export interface ShapeEvidence {
  /** Points in the series. */
  length: number;
  /** The first (raw) value. */
  start: number;
  /** Index and value of the smoothed series' highest point; -1 / NaN where not computed. */
  peakIndex: number;
  peak: number;
  /** The smoothed series' last value. */
  end: number;
  /** (peak - start) / start; Infinity for a start of zero. */
  rise: number;
  /** (peak - end) / peak. */
  fall: number;
  /** The relative seed noise the thresholds come from. */
  noise: number;
  /**
   * First index of the plateau the series ends on: the longest tail of the smoothed series whose
   * values all lie within `noise` x peak of its end value (after the peak where the series fell by
   * more than the noise); -1 where not computed.
   */
  plateauFrom: number;
  /** The plateau's level (mean of the smoothed tail from `plateauFrom`). */
  plateau: number;
  /** The series starts at its highest point and ends more than the noise below it: the initial spread hides any rise. */
  startsHigh: boolean;
  /**
   * Where a series that starts high is read from: its lowest smoothed point (the rise, fall and
   * peak then belong to the part from there on); absent otherwise.
   */
  troughIndex?: number;
}

export interface ShapeLabel {
  label: Label;
  /** For people, with the numbers behind the call, e.g. "rose 290%, ends 1% below its peak: IS". */
  reason: string;
  evidence: ShapeEvidence;
}

/** Series shorter than this are not called: the 3-point smoothing needs a peak with both neighbours. */
export const MIN_SHAPE_POINTS = 4;

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(v !== 0 && Math.abs(v) < 0.1 ? 1 : 0)}%` : 'inf%');

/** Why a series may start at its highest, for norms measured from the initialisation. */
export const INITIAL_SPREAD_NOTE = 'the random initial spread (about 1/(2 fan-in), large for a small fan-in), which training first evens out';

/**
 * Labels one series against a relative seed noise `noise` (> 0). `startsHighNote` says why a series
 * may start at its highest (default: the initial spread of the weights).
 */
export function shapeLabel(series: readonly number[], noise: number, startsHighNote = INITIAL_SPREAD_NOTE): ShapeLabel {
  const evidence: ShapeEvidence = { length: series.length, start: NaN, peakIndex: -1, peak: NaN, end: NaN, rise: NaN, fall: NaN, noise, plateauFrom: -1, plateau: NaN, startsHigh: false };
  if (!(noise > 0) || !Number.isFinite(noise)) throw new RangeError(`shapeLabel: noise must be a positive number, got ${noise}`);
  if (series.length < MIN_SHAPE_POINTS) return { label: 'undetermined', reason: `too short to read: ${series.length} points, need ${MIN_SHAPE_POINTS}`, evidence };
  const bad = series.findIndex((v) => !Number.isFinite(v) || v < 0);
  if (bad >= 0) return { label: 'undetermined', reason: `no reading: value ${series[bad]} at point ${bad}`, evidence };

  const s = smooth([...series], 3);
  let peakIndex = 0;
  s.forEach((v, i) => { if (v > s[peakIndex]) peakIndex = i; });
  const start = series[0], peak = s[peakIndex], end = s[s.length - 1];
  if (!(peak > 0)) return { label: 'undetermined', reason: 'flat at zero: no spread of the norms to read', evidence: { ...evidence, start, peakIndex, peak, end } };
  const rise = start > 0 ? (peak - start) / start : Infinity;
  const fall = (peak - end) / peak;
  // A fall's plateau lies after the peak; a level one may reach back before it.
  const floor = fall > noise ? peakIndex + 1 : 0;
  let plateauFrom = s.length - 1;
  while (plateauFrom > floor && Math.abs(s[plateauFrom - 1] - end) <= noise * peak) plateauFrom--;
  const tail = s.slice(plateauFrom);
  const plateau = tail.reduce((a, b) => a + b, 0) / tail.length;
  // The raw first value at or above every smoothed point and the end clearly below it: the initial
  // spread is the series' top. (A flat series that merely starts a hair higher did not rise.)
  const startsHigh = start >= peak && (start - end) / start > noise;
  const e: ShapeEvidence = { ...evidence, start, peakIndex, peak, end, rise, fall, plateauFrom, plateau, startsHigh };
  const noiseText = `seed noise ${pct(noise)}`;

  if (startsHigh) {
    // Chen et al.'s stages start from a low spread; here the start is high and training first
    // evens it out. Their growth phase then starts from the lowest point: read the curve from there.
    let trough = 0;
    s.forEach((v, i) => { if (v < s[trough]) trough = i; });
    const high = `starts at its highest (${start.toPrecision(2)}): ${startsHighNote}`;
    if (series.length - trough < MIN_SHAPE_POINTS) {
      return { label: 'undetermined', reason: `${high}; it falls ${pct((start - end) / start)} to its end and never rises again`, evidence: { ...e, troughIndex: trough } };
    }
    const after = shapeLabel(series.slice(trough), noise, startsHighNote);
    const shift = (i: number) => (i >= 0 ? i + trough : i);
    return {
      label: after.label,
      reason: `${high}; read from its low at point ${trough} of ${s.length}: ${after.reason}`,
      evidence: { ...after.evidence, length: series.length, peakIndex: shift(after.evidence.peakIndex), plateauFrom: shift(after.evidence.plateauFrom), startsHigh: true, troughIndex: trough },
    };
  }
  if (rise <= 2 * noise) return { label: 'undetermined', reason: `did not rise: peak ${pct(rise)} above the start, within twice the ${noiseText}`, evidence: e };
  if (fall <= noise) {
    const where = peakIndex === s.length - 1 ? 'still rising at the end' : `ends ${pct(fall)} below its peak`;
    return { label: 'IS', reason: `rose ${pct(rise)}, ${where} (${noiseText}): IS`, evidence: e };
  }
  if (fall > 2 * noise) return { label: 'DS', reason: `rose ${pct(rise)}, peaked at point ${peakIndex} of ${s.length}, ends ${pct(fall)} below its peak (over twice the ${noiseText}): DS`, evidence: e };
  return { label: 'undetermined', reason: `rose ${pct(rise)}, ends ${pct(fall)} below its peak: between one and two times the ${noiseText}, where seeds disagree`, evidence: e };
}
