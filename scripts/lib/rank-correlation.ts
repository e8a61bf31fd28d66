/** Spearman's rank correlation (average ranks for ties) and a least-squares residual. */
import { mean } from '../../src/core/stats.js';

/** Ranks from 1, ties sharing their average rank. */
export function ranks(xs: number[]): number[] {
  const order = xs.map((x, i) => i).sort((a, b) => xs[a] - xs[b]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && xs[order[j + 1]] === xs[order[i]]) j++;
    for (let k = i; k <= j; k++) out[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

export function pearson(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 3) return NaN;
  const mx = mean(xs), my = mean(ys);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/** Spearman's rho over the pairs where both values are finite. */
export function spearman(xs: number[], ys: number[]): number {
  const keep = xs.map((x, i) => i).filter((i) => Number.isFinite(xs[i]) && Number.isFinite(ys[i]));
  return pearson(ranks(keep.map((i) => xs[i])), ranks(keep.map((i) => ys[i])));
}

/** ys minus their least-squares fit on xs: what xs does not explain. */
export function residuals(xs: number[], ys: number[]): number[] {
  const n = xs.length;
  const mx = mean(xs), my = mean(ys);
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  return ys.map((y, i) => y - my - b * (xs[i] - mx));
}
