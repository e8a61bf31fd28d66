/**
 * Per-channel weight norms and their spread. Kernels are in tfjs layout: conv [kh, kw, cin, cout],
 * dense [in, out]; the output channel is the last axis, the input channel the one before it.
 */

/**
 * The two norm kinds. `outgoing`: the L2 norm of each output channel's weights (all axes but the
 * output channel). `paired`: that norm times the L2 norm of the channel's column in the next
 * weighted layer (the weights that read it), defined only where that reader is unique.
 */
/** The per-layer series recorded in `LayerTelemetry` (`outgoing`, `paired`). */
export type LayerNormKind = 'outgoing' | 'paired';

/**
 * The default is `outgoing`: it is defined for every weighted layer, including layers whose output
 * feeds a residual stream (several readers) and the last hidden layer, so every group gets a
 * label; `paired` (Chen et al.'s code) is recorded alongside wherever it is defined.
 */
export const DEFAULT_NORM_KIND: LayerNormKind = 'outgoing';

/** L2 norm of each output channel (last axis). */
export function outputChannelNorms(values: ArrayLike<number>, shape: number[]): Float64Array {
  const channels = shape[shape.length - 1];
  const sums = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) sums[i % channels] += values[i] * values[i];
  return sums.map(Math.sqrt);
}

/**
 * L2 norm of each input channel's weights (axis -2). For a dense layer reading a flattened HxWxC
 * map, pass `channels` = C: row r then belongs to channel r % C (NHWC flattening).
 */
export function inputChannelNorms(values: ArrayLike<number>, shape: number[], channels?: number): Float64Array {
  const out = shape[shape.length - 1];
  const inAxis = shape[shape.length - 2];
  const groups = channels ?? inAxis;
  if (inAxis % groups !== 0) throw new Error(`input axis of ${inAxis} is not a multiple of ${groups} channels`);
  const sums = new Float64Array(groups);
  for (let i = 0; i < values.length; i++) {
    const row = Math.floor(i / out) % inAxis;
    sums[row % groups] += values[i] * values[i];
  }
  return sums.map(Math.sqrt);
}

/** Elementwise product of a layer's outgoing norms and its reader's incoming norms. */
export function pairedNorms(outgoing: Float64Array, incoming: Float64Array): Float64Array {
  if (outgoing.length !== incoming.length) throw new Error(`paired norms: ${outgoing.length} outgoing channels but ${incoming.length} incoming`);
  return outgoing.map((v, i) => v * incoming[i]);
}

export interface NormStats {
  /** Sample variance (n - 1) of the norms divided by their mean; 0 for fewer than 2 channels. */
  variance: number;
  mean: number;
  min: number;
  max: number;
  /** Fewer than two channels: the variance is not defined and reported as 0. */
  singleChannel: boolean;
}

export function normStats(norms: ArrayLike<number>): NormStats {
  const n = norms.length;
  let sum = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < n; i++) {
    sum += norms[i];
    min = Math.min(min, norms[i]);
    max = Math.max(max, norms[i]);
  }
  const mean = n ? sum / n : 0;
  if (n < 2 || mean === 0) return { variance: 0, mean, min: n ? min : 0, max: n ? max : 0, singleChannel: n < 2 };
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (norms[i] / mean - 1) ** 2;
  return { variance: sq / (n - 1), mean, min, max, singleChannel: false };
}
