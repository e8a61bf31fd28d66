/**
 * The measured seed noise the IS/DS labels are read against (`shape-label.ts`), per norm kind and
 * training length. `label-noise.json` is written by `scripts/experiment-is-ds.ts` from trainings of
 * the same networks under several seeds (its `source` names networks, data, seeds and lengths);
 * nothing in it is set by hand. A length between the stored ones takes the nearest on a log scale.
 */
import file from './label-noise.json' with { type: 'json' };
import type { NormKind } from './norm-kinds.js';
import { smooth } from './classify.js';

export interface LabelNoiseSource {
  script: string;
  dataset: string;
  /** Network name -> space and widths. */
  networks: Record<string, { space: string; widths: number[] }>;
  seeds: number[];
  lengths: number[];
  trainImages: number;
  batchSize: number;
  recordEvery: number;
  statistic: string;
}

export interface LabelNoiseFile {
  source: LabelNoiseSource;
  /** norm kind -> training length in epochs -> relative seed noise. */
  noise: Partial<Record<NormKind, Record<string, number>>>;
  /** norm kind -> length -> `network/group` -> that group's own noise (the median makes `noise`). */
  detail: Partial<Record<NormKind, Record<string, Record<string, number>>>>;
}

export const LABEL_NOISE = file as unknown as LabelNoiseFile;

export interface NoiseLookup {
  /** Relative seed noise (> 0). */
  noise: number;
  /** The stored length it was measured at. */
  epochs: number;
}

/** The noise for `norm` at the stored length nearest `epochs`; undefined where none was measured. */
export function labelNoise(norm: NormKind, epochs: number): NoiseLookup | undefined {
  const table = LABEL_NOISE.noise[norm];
  if (!table) return undefined;
  const lengths = Object.keys(table).map(Number).filter((l) => l > 0);
  if (!lengths.length) return undefined;
  const target = Math.max(epochs, 1e-3);
  const nearest = lengths.sort((a, b) => Math.abs(Math.log(a / target)) - Math.abs(Math.log(b / target)) || a - b)[0];
  return { noise: table[String(nearest)], epochs: nearest };
}

/**
 * One group's relative seed noise: at each record of the second half of training, the sample
 * standard deviation across seeds of the 3-point-smoothed series divided by its mean across seeds;
 * the median over those records. It answers "how far apart do seeds of the same network sit at the
 * same point", the scale against which an end below the peak counts as a fall. The second half is
 * where the labels compare the end with the peak; the first holds the initialisation and the fast
 * rise. `bySeed` holds one series per seed (at least two), recorded at the same points.
 */
export function seedNoise(bySeed: readonly (readonly number[])[]): number {
  if (bySeed.length < 2) throw new RangeError(`seedNoise: needs at least two seeds, got ${bySeed.length}`);
  const n = bySeed[0].length;
  if (bySeed.some((s) => s.length !== n)) throw new RangeError(`seedNoise: the seeds' series differ in length (${bySeed.map((s) => s.length).join(', ')})`);
  const smoothed = bySeed.map((s) => smooth([...s], 3));
  const spreads: number[] = [];
  for (let t = Math.floor(n / 2); t < n; t++) {
    const vals = smoothed.map((s) => s[t]);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    if (!(mean > 0)) continue;
    spreads.push(Math.sqrt(vals.reduce((a, v) => a + (v - mean) ** 2, 0) / (vals.length - 1)) / mean);
  }
  return median(spreads);
}

/** Median of a list (NaN for an empty one). */
export function median(values: readonly number[]): number {
  if (!values.length) return NaN;
  const v = [...values].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
