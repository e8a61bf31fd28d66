/**
 * What a table of trained networks says once its noise is taken out, for judging searches on it:
 * - the denoised truth of every network: an additive fit of the mean accuracy (one effect per
 *   position and choice, least squares) plus the share of the fit's residual that two different
 *   recorded trainings share (their residuals' covariance over the residual variance of the mean):
 *   the part of a network's own deviation that is not one training's luck;
 * - the room a start leaves: the best denoised truth among the networks within its MACs, minus its
 *   own.
 * The recorded accuracies are in points, as in the table.
 */
import type { BenchTable } from '../../src/runtime/bench-table.js';
import { cholesky, cholSolve, zeros } from '../../src/search/dense-matrix.js';

export interface TableTruth {
  /** Denoised accuracy (points) by key. */
  truth: Map<string, number>;
  /** R² of the additive fit of the means. */
  r2: number;
  /** Variance (points²) of the means' residual from the additive fit. */
  residualVariance: number;
  /** The share of that residual kept as real (shared by different trainings). */
  keptShare: number;
}

export function denoisedTruth(table: BenchTable): TableTruth {
  const rows = [...table.all()];
  const width = rows[0][0].length;
  const levels = Math.max(...rows.map(([key]) => Math.max(...key.split("").map(Number))));
  // Features: intercept, then per position one indicator per choice above the first.
  const size = 1 + width * (levels - 1);
  const features = (key: string) => {
    const x: number[] = [1];
    for (let p = 0; p < width; p++) for (let c = 2; c <= levels; c++) x.push(Number(key[p]) === c ? 1 : 0);
    return x;
  };
  const xtx = zeros(size);
  const xty = new Array<number>(size).fill(0);
  for (const [key, e] of rows) {
    const x = features(key);
    for (let i = 0; i < size; i++) {
      if (!x[i]) continue;
      xty[i] += x[i] * e.mean;
      for (let j = 0; j < size; j++) xtx[i][j] += x[i] * x[j];
    }
  }
  // A small ridge keeps choices the table never uses (indicators that are always 0) solvable.
  for (let i = 0; i < size; i++) xtx[i][i] += 1e-6;
  const beta = cholSolve(cholesky(xtx), xty);
  const fit = new Map(rows.map(([key]) => [key, features(key).reduce((s, v, i) => s + v * beta[i], 0)]));
  const meanOf = rows.reduce((s, [, e]) => s + e.mean, 0) / rows.length;
  let ssRes = 0, ssTot = 0, covSum = 0, covCount = 0;
  for (const [key, e] of rows) {
    const r = e.mean - fit.get(key)!;
    ssRes += r * r;
    ssTot += (e.mean - meanOf) ** 2;
    // Every pair of different trainings: how much of the residual they share.
    for (let a = 0; a < e.acc.length; a++) for (let b = a + 1; b < e.acc.length; b++) {
      covSum += (e.acc[a] - fit.get(key)!) * (e.acc[b] - fit.get(key)!);
      covCount++;
    }
  }
  const residualVariance = ssRes / rows.length;
  const keptShare = Math.max(0, Math.min(1, covSum / covCount / residualVariance));
  const truth = new Map(rows.map(([key, e]) => [key, fit.get(key)! + keptShare * (e.mean - fit.get(key)!)]));
  return { truth, r2: 1 - ssRes / ssTot, residualVariance, keptShare };
}

/** The best denoised truth among networks with at most `macs`, and its key. */
export function bestWithin(table: BenchTable, truth: Map<string, number>, macs: number): { key: string; truth: number } {
  let best = { key: '', truth: -Infinity };
  for (const [key, e] of table.all()) if (e.macs <= macs && truth.get(key)! > best.truth) best = { key, truth: truth.get(key)! };
  return best;
}
