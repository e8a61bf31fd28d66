/**
 * A model of a network's accuracy over its width vectors, learned from every finished trial: the
 * model-based sampler's memory.
 *
 * Form: accuracy = intercept + sum over groups of f_g(width_g) + r(vector) + noise.
 * - f_g is one effect per step up the group's grid ("thermometer" coding: a width at grid position
 *   p turns on the first p steps), so each coefficient is the gain of one more step of that group.
 *   Grids of more than `MAX_LEVELS` widths get `MAX_LEVELS` knots spaced evenly in log width, the
 *   position between two knots interpolated linearly (the effect of a width is then piecewise
 *   linear in its logarithm). An additive model: on Channel-Bench-Macro it explains 91-93% of the
 *   variance of 16,384 networks' accuracies (issue 25).
 * - r is what the additive part misses at one evaluated vector (interactions), and noise is one
 *   training's seed luck. Without repeated evaluations the two cannot be told apart from data; the
 *   model gives a third of the unexplained variance to r, so an evaluated vector's own result moves
 *   its estimate by a third of its residual (a lucky proxy is mostly believed to be luck).
 * - Prior: a group's gain per step is its trend t_g plus the step's own deviation; t_g ~ N(m_g, s^2)
 *   and each deviation ~ N(0, (c s)^2), so what one step of a group teaches carries over to its other
 *   steps (a group either pays for width or not). m_g = 0 unless a prior on the groups is given
 *   (the variance signal's need per group: `priorNeed` in [-1, 1] gives m_g = need * s, a group
 *   that needs width expected to gain one prior standard deviation per step). The data overrule it
 *   as they come: the prior is only the coefficients' starting point.
 * - Scales: accuracies are standardised by the trials' own mean and spread; the prior scale s and
 *   the unexplained spread are chosen by marginal likelihood (empirical Bayes) on a small grid, so
 *   nothing depends on whether accuracies are fractions or points.
 *
 * Everything is Gaussian and conjugate, computed in weight space (a few dozen coefficients), so a
 * fit takes well under a millisecond for a hundred trials.
 */
import type { Rng } from '../core/rng.js';
import type { SearchSpace } from '../space/types.js';
import { cholesky, cholLogDet, cholSolve, dot, solveUpperT, zeros, type Matrix } from './dense-matrix.js';

/** Grids longer than this are modelled on this many knots in log width. */
export const MAX_LEVELS = 6;

/** Prior standard deviation of the intercept, in standardised units (effectively flat). */
const INTERCEPT_SD = 10;
/** The share of the unexplained variance that is interaction (r), the rest being training noise. */
const INTERACTION_SHARE = 1 / 3;
/**
 * The empirical-Bayes grid (standardised units): prior sd of a group's trend (its gain per step,
 * shared by all its steps), sd of one step's own deviation from the trend as a share of that, and
 * the unexplained sd.
 */
const TREND_SD_GRID = [0.05, 0.1, 0.2, 0.4, 0.8];
const DEVIATION_SHARE_GRID = [0.25, 0.5, 1];
const NOISE_SD_GRID = [0.15, 0.3, 0.5, 0.7, 1.0];

/** How a group's widths map to model steps. */
interface GroupBasis {
  /** The knots' widths, ascending (the whole grid when it is short). */
  knots: number[];
  /** Logs of the knots, for interpolation between them. */
  logKnots: number[];
}

/** The coding of a space's width vectors into model features. */
export class WidthFeatures {
  private readonly bases: GroupBasis[];
  /** Index of each group's first step coefficient (coefficient 0 is the intercept). */
  readonly offsets: number[];
  /** Index of each group's trend coefficient (gain per step shared by all its steps). */
  readonly trends: number[];
  readonly size: number;

  constructor(readonly space: SearchSpace) {
    this.bases = space.groups.map((g) => {
      const count = Math.floor((g.max - g.min) / g.step) + 1;
      const knots = count <= MAX_LEVELS
        ? Array.from({ length: count }, (_, k) => g.min + k * g.step)
        : Array.from({ length: MAX_LEVELS }, (_, k) => Math.exp(Math.log(g.min) + (k / (MAX_LEVELS - 1)) * (Math.log(g.max) - Math.log(g.min))));
      return { knots, logKnots: knots.map(Math.log) };
    });
    this.offsets = [];
    this.trends = [];
    let n = 1;
    for (const b of this.bases) {
      this.trends.push(n);
      this.offsets.push(n + 1);
      n += b.knots.length;
    }
    this.size = n;
  }

  /** Number of step coefficients of group `i`. */
  steps(i: number): number {
    return this.bases[i].knots.length - 1;
  }

  /** Continuous position of width `w` on group `i`'s knots: 0 at the first, knots - 1 at the last. */
  position(i: number, w: number): number {
    const { knots, logKnots } = this.bases[i];
    if (w <= knots[0]) return 0;
    const last = knots.length - 1;
    if (w >= knots[last]) return last;
    const lw = Math.log(w);
    let k = 0;
    while (k < last - 1 && lw > logKnots[k + 1]) k++;
    return k + (lw - logKnots[k]) / (logKnots[k + 1] - logKnots[k]);
  }

  /** The feature vector of `widths`: 1, then per group the steps turned on (fractions between knots). */
  encode(widths: readonly number[]): number[] {
    const x = new Array<number>(this.size).fill(0);
    x[0] = 1;
    this.bases.forEach((b, i) => {
      const p = this.position(i, widths[i]);
      x[this.trends[i]] = p;
      for (let k = 0; k < b.knots.length - 1; k++) x[this.offsets[i] + k] = Math.max(0, Math.min(1, p - k));
    });
    return x;
  }
}

/** One evaluated vector: its widths and its measured accuracy. */
export interface Observation {
  widths: readonly number[];
  accuracy: number;
}

/** A fitted model: posterior over the coefficients, in standardised units, and how to read it. */
export class AccuracyModel {
  private constructor(
    readonly features: WidthFeatures,
    /** Posterior mean of the coefficients (standardised units). */
    private readonly mean: number[],
    /** Cholesky factor of the posterior precision. */
    private readonly precisionChol: Matrix,
    private readonly center: number,
    private readonly scale: number,
    /** Chosen prior sd of one step's gain, and unexplained sd (standardised units). */
    readonly stepSd: number,
    readonly noiseSd: number,
    private readonly observed: Map<string, { x: number[]; sum: number; count: number }>,
    /** Log marginal likelihood of the chosen hyperparameters. */
    readonly evidence: number,
  ) {}

  /**
   * Fits the model to `observations`. `priorNeed` (optional, one value in [-1, 1] per group, 0 for
   * no opinion) shifts the prior mean of each group's step gains by need x the prior sd.
   */
  static fit(features: WidthFeatures, observations: readonly Observation[], priorNeed?: readonly number[]): AccuracyModel {
    const ys = observations.map((o) => o.accuracy);
    const center = ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : 0;
    const spread = ys.length >= 2 ? Math.sqrt(ys.reduce((a, b) => a + (b - center) ** 2, 0) / (ys.length - 1)) : 0;
    // Before two distinct results there is no spread to standardise by; any positive scale does.
    const scale = spread > 1e-12 ? spread : 1;
    const xs = observations.map((o) => features.encode(o.widths));
    const y = ys.map((v) => (v - center) / scale);
    const d = features.size;
    // X^T X and the needs' direction are shared by every hyperparameter on the grid.
    const xtx = zeros(d);
    for (const x of xs) for (let i = 0; i < d; i++) if (x[i] !== 0) for (let j = 0; j < d; j++) xtx[i][j] += x[i] * x[j];
    const needDir = new Array<number>(d).fill(0);
    const isTrend = new Array<boolean>(d).fill(false);
    features.space.groups.forEach((_, g) => {
      isTrend[features.trends[g]] = true;
      if (priorNeed) needDir[features.trends[g]] = Math.max(-1, Math.min(1, priorNeed[g] || 0));
    });

    let best: { evidence: number; mean: number[]; chol: Matrix; stepSd: number; noiseSd: number } | undefined;
    for (const stepSd of TREND_SD_GRID) for (const share of DEVIATION_SHARE_GRID) {
      const priorVar = Array.from({ length: d }, (_, i) => (i === 0 ? INTERCEPT_SD ** 2 : isTrend[i] ? stepSd ** 2 : (share * stepSd) ** 2));
      const priorMean = needDir.map((v) => v * stepSd);
      const resid = y.map((v, n) => v - dot(xs[n], priorMean));
      const u = new Array<number>(d).fill(0);
      for (let n = 0; n < xs.length; n++) for (let i = 0; i < d; i++) u[i] += xs[n][i] * resid[n];
      for (const noiseSd of NOISE_SD_GRID) {
        const nv = noiseSd ** 2;
        const a = xtx.map((row, i) => row.map((v, j) => v / nv + (i === j ? 1 / priorVar[i] : 0)));
        const chol = cholesky(a);
        const au = cholSolve(chol, u);
        // log N(y; X m, X S X^T + nv I), in weight space (see the module comment).
        const quad = resid.reduce((s, r) => s + r * r, 0) / nv - dot(u, au) / (nv * nv);
        const logDetK = xs.length * Math.log(nv) + priorVar.reduce((s, v) => s + Math.log(v), 0) + cholLogDet(chol);
        const evidence = -0.5 * (quad + logDetK + xs.length * Math.log(2 * Math.PI));
        if (!best || evidence > best.evidence) {
          const mean = priorMean.map((m, i) => m + au[i] / nv);
          best = { evidence, mean, chol, stepSd, noiseSd };
        }
      }
    }
    const observed = new Map<string, { x: number[]; sum: number; count: number }>();
    observations.forEach((o, n) => {
      const k = o.widths.join(',');
      const seen = observed.get(k);
      if (seen) {
        seen.sum += y[n];
        seen.count++;
      } else observed.set(k, { x: xs[n], sum: y[n], count: 1 });
    });
    const b = best!;
    return new AccuracyModel(features, b.mean, b.chol, center, scale, b.stepSd, b.noiseSd, observed, b.evidence);
  }

  /** Predicted accuracy of `widths` from the additive part alone (the accuracy's own units). */
  predict(widths: readonly number[]): number {
    return this.center + this.scale * dot(this.features.encode(widths), this.mean);
  }

  /**
   * The model's estimate of an evaluated vector's true accuracy: the additive prediction moved by
   * the interaction's share of its residual. For a vector never evaluated, `predict`.
   */
  estimate(widths: readonly number[]): number {
    const o = this.observed.get(widths.join(','));
    if (!o) return this.predict(widths);
    const fitted = dot(o.x, this.mean);
    return this.center + this.scale * (fitted + this.residualShare(o.count) * (o.sum / o.count - fitted));
  }

  /** How many times `widths` was evaluated. */
  evaluations(widths: readonly number[]): number {
    return this.observed.get(widths.join(','))?.count ?? 0;
  }

  /**
   * The share of an evaluated vector's mean residual that is its own (interaction) rather than
   * noise, after `count` evaluations: tau^2 / (tau^2 + sigma^2 / count).
   */
  private residualShare(count: number): number {
    const tau2 = INTERACTION_SHARE;
    const sigma2 = 1 - INTERACTION_SHARE;
    return tau2 / (tau2 + sigma2 / count);
  }

  /**
   * A draw of an evaluated vector's own residual (interaction) from its posterior, standardised
   * units; 0 for a vector never evaluated (whose residual is unknown and not drawn: drawing it
   * would favour whichever unseen vector got the luckiest draw).
   */
  private residualDraw(key: string, coef: readonly number[], rng: Rng, temperature: number): number {
    const o = this.observed.get(key);
    if (!o) return 0;
    const share = this.residualShare(o.count);
    const fitted = dot(o.x, coef);
    const sd = Math.sqrt(share * (1 - INTERACTION_SHARE) / o.count) * this.noiseSd;
    return share * (o.sum / o.count - fitted) + temperature * sd * rng.normal();
  }

  /** Posterior standard deviation of the additive prediction at `widths` (accuracy units). */
  predictionSd(widths: readonly number[]): number {
    const x = this.features.encode(widths);
    return this.scale * Math.sqrt(dot(x, cholSolve(this.precisionChol, x)));
  }

  /** Posterior mean of each group's gain per step (trend plus the step's own deviation; accuracy units), one list per group. */
  stepGains(): number[][] {
    const f = this.features;
    return f.space.groups.map((_, g) => Array.from({ length: f.steps(g) }, (_, k) => this.scale * (this.mean[f.trends[g]] + this.mean[f.offsets[g] + k])));
  }

  /**
   * Each group's mean gain per step (trend plus mean deviation; accuracy units) and its posterior
   * sd: how much one more step of that group is believed to pay.
   */
  groupGains(): { gainPerStep: number; sd: number }[] {
    const f = this.features;
    return f.space.groups.map((_, g) => {
      const n = f.steps(g);
      // The mean step gain is a linear function c^T coef of the coefficients: its variance is c^T P^-1 c.
      const c = new Array<number>(f.size).fill(0);
      c[f.trends[g]] = 1;
      for (let k = 0; k < n; k++) c[f.offsets[g] + k] = 1 / n;
      return { gainPerStep: this.scale * dot(c, this.mean), sd: this.scale * Math.sqrt(dot(c, cholSolve(this.precisionChol, c))) };
    });
  }

  /**
   * One draw of the coefficients from the posterior (Thompson sampling), as a function of widths
   * giving accuracy in the accuracy's own units. `temperature` scales the draw's spread (1: the
   * posterior's own; 0: its mean). An evaluated vector's value includes a draw of its own residual,
   * so a vector whose few evaluations were lucky can win a draw and be evaluated again.
   */
  sample(rng: Rng, temperature = 1): (widths: readonly number[]) => number {
    const z = this.mean.map(() => temperature * rng.normal());
    // precision = L L^T, so L^-T z has covariance (L L^T)^-1.
    const shift = solveUpperT(this.precisionChol, z);
    const coef = this.mean.map((m, i) => m + shift[i]);
    const residuals = new Map<string, number>();
    for (const k of this.observed.keys()) residuals.set(k, this.residualDraw(k, coef, rng, temperature));
    return (widths) => this.center + this.scale * (dot(this.features.encode(widths), coef) + (residuals.get(widths.join(',')) ?? 0));
  }

  /**
   * The posterior of `accuracy(to) - accuracy(from)` (accuracy units): mean and sd over `draws`
   * draws of the model (each with its residual draws, as `sample`).
   */
  difference(from: readonly number[], to: readonly number[], rng: Rng, draws = 400): { mean: number; sd: number } {
    const d = Array.from({ length: draws }, () => { const f = this.sample(rng); return f(to) - f(from); });
    const mean = d.reduce((a, b) => a + b, 0) / draws;
    return { mean, sd: Math.sqrt(d.reduce((a, v) => a + (v - mean) ** 2, 0) / (draws - 1)) };
  }
}
