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

/**
 * Kendall's tau-b over the pairs where both values are finite: concordant minus discordant pairs
 * over the geometric mean of the pairs untied in each variable (ties count in neither).
 */
export function kendall(xs: number[], ys: number[]): number {
  const keep = xs.map((x, i) => i).filter((i) => Number.isFinite(xs[i]) && Number.isFinite(ys[i]));
  let concordant = 0, discordant = 0, tiedX = 0, tiedY = 0;
  for (let a = 0; a < keep.length; a++) {
    for (let b = a + 1; b < keep.length; b++) {
      const dx = Math.sign(xs[keep[a]] - xs[keep[b]]);
      const dy = Math.sign(ys[keep[a]] - ys[keep[b]]);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiedX++;
      else if (dy === 0) tiedY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const n1 = concordant + discordant + tiedY;
  const n2 = concordant + discordant + tiedX;
  return n1 > 0 && n2 > 0 ? (concordant - discordant) / Math.sqrt(n1 * n2) : NaN;
}
