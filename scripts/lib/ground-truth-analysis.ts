/**
 * From ground-truth runs to per-group gains. Gains are paired by seed: (variant - base) per seed,
 * then the mean and its standard error over seeds.
 */
import { mean, sampleStd as sd } from '../../src/core/stats.js';
import { BASE_VECTORS, SPACES, type Variant } from './ground-truth-set.js';

export interface GroundTruthRun {
  vector: string;
  widths: number[];
  variant: Variant;
  seed: number;
  testAccuracy: number;
}

export interface GroupTruth {
  vector: string;
  split: 'selection' | 'held-out';
  family: string;
  group: string;
  groupIndex: number;
  width: number;
  baseAccuracy: number;
  /** Sample standard deviation of the base accuracy over seeds. */
  baseSpread: number;
  widenedTo: number | null;
  /** Mean paired accuracy change from widening (fraction, not points); null when not measured. */
  widenGain: number | null;
  widenSe: number | null;
  narrowedTo: number | null;
  /** Mean paired accuracy lost by narrowing (positive = narrowing hurts). */
  narrowLoss: number | null;
  narrowSe: number | null;
  /** Average of the widening gain and the narrowing loss: the local slope of accuracy in log width. */
  widthNeed: number | null;
  /** Widening gains at least this much (0.3 points), fixed before any run: the group is too narrow. */
  tooNarrow: boolean | null;
  seeds: number;
}

/** A widening gain of at least 0.3 accuracy points counts as "too narrow" (set before the runs). */
export const TOO_NARROW_GAIN = 0.003;


export function measuredGains(runs: GroundTruthRun[]): GroupTruth[] {
  const out: GroupTruth[] = [];
  for (const vector of BASE_VECTORS) {
    const mine = runs.filter((r) => r.vector === vector.id);
    const base = new Map(mine.filter((r) => r.variant.kind === 'base').map((r) => [r.seed, r.testAccuracy]));
    if (!base.size) continue;
    const paired = (kind: 'widen' | 'narrow', g: number) => {
      const rs = mine.filter((r) => r.variant.kind === kind && r.variant.group === g && base.has(r.seed));
      const diffs = rs.map((r) => (kind === 'widen' ? r.testAccuracy - base.get(r.seed)! : base.get(r.seed)! - r.testAccuracy));
      return { to: rs[0]?.widths[g] ?? null, mean: diffs.length ? mean(diffs) : null, se: diffs.length ? sd(diffs) / Math.sqrt(diffs.length) : null, n: diffs.length };
    };
    vector.widths.forEach((width, g) => {
      const w = paired('widen', g), n = paired('narrow', g);
      const parts = [w.mean, n.mean].filter((x): x is number => x !== null);
      out.push({
        vector: vector.id, split: vector.split, family: vector.family, group: SPACES[vector.family].groups[g].name, groupIndex: g, width,
        baseAccuracy: mean([...base.values()]), baseSpread: sd([...base.values()]),
        widenedTo: w.to, widenGain: w.mean, widenSe: w.se, narrowedTo: n.to, narrowLoss: n.mean, narrowSe: n.se,
        widthNeed: parts.length ? mean(parts) : null,
        tooNarrow: w.mean === null ? null : w.mean >= TOO_NARROW_GAIN,
        seeds: Math.min(w.n, n.n || w.n),
      });
    });
  }
  return out;
}
