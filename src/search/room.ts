/**
 * How much room the user's shape left: the accuracy model's estimate (`width-model.ts`, fitted to
 * every proxy result with the final validations joined) of how much better the search's winner is
 * than the start scaled uniformly onto the budget, with its posterior uncertainty, in the plain
 * words a user reads. The estimate pools every trial, so it is steadier than the difference of two
 * final trainings, each as noisy as one proxy; it is what the search believes, not a held-out
 * measurement (the table benchmark measures how far to trust it).
 */
import { createRng } from '../core/rng.js';
import type { SearchSpace } from '../space/types.js';
import { withFinals } from './model-sampler.js';
import type { FrozenTrial } from './types.js';
import { WidthFeatures, AccuracyModel } from './width-model.js';

export interface RoomReading {
  /** The start scaled uniformly onto the budget. */
  from: number[];
  /** The search's winner. */
  to: number[];
  /** Estimated accuracy of `to` minus that of `from`, in points. */
  gainPoints: number;
  /** Posterior standard deviation of that difference, in points. */
  sdPoints: number;
  /** `reshape` when the gain is more than twice its sd above zero, `keep` when it is below one sd (or the winner is the start), `unclear` between. */
  verdict: 'keep' | 'reshape' | 'unclear';
  /** One sentence for the user. */
  text: string;
}

/** Posterior draws behind the gain's mean and sd: enough for a steady second digit. */
const DRAWS = 400;

/**
 * The room between the uniformly scaled start and the winner, or undefined when fewer than two
 * trials succeeded (no model to read). Deterministic: the draws' rng is fixed.
 */
export function readRoom(
  space: SearchSpace, history: readonly FrozenTrial[], finals: readonly { widths: readonly number[]; validationAccuracy: number }[],
  from: readonly number[], to: readonly number[],
): RoomReading | undefined {
  const observations = withFinals(history, finals).filter((t) => Number.isFinite(t.metrics?.validationAccuracy));
  if (observations.length < 2) return undefined;
  const model = AccuracyModel.fit(new WidthFeatures(space), observations.map((t) => ({ widths: t.widths, accuracy: t.metrics!.validationAccuracy })));
  const difference = model.difference(from, to, createRng('room'), DRAWS);
  const gainPoints = 100 * difference.mean;
  const sdPoints = 100 * difference.sd;
  const same = from.join(',') === to.join(',');
  // The model reads mostly proxy trainings, whose differences can be larger than a full training's:
  // the final validations' own difference is given beside it.
  const finalOf = (w: readonly number[]) => finals.find((f) => f.widths.join(',') === w.join(','))?.validationAccuracy;
  const finalTo = finalOf(to), finalFrom = finalOf(from);
  const finalsText = !same && finalTo !== undefined && finalFrom !== undefined ? `; the final trainings' validation: ${signedPoints(100 * (finalTo - finalFrom))} points, one training each` : '';
  const amount = `${signedPoints(gainPoints)} ± ${sdPoints.toFixed(2)} points by the model of the proxy trainings${finalsText}`;
  const verdict = same || gainPoints < sdPoints ? 'keep' : gainPoints > 2 * sdPoints ? 'reshape' : 'unclear';
  const text = same
    ? 'the best network found is your shape scaled onto the budget: keep it'
    : verdict === 'reshape'
      ? `reshaping pays at the same MACs: the winner beats your shape scaled onto the budget by ${amount}`
      : verdict === 'keep'
        ? `your shape is within noise of the best found (${amount} for the winner): keep it`
        : `the winner may be better than your shape scaled onto the budget (${amount}), but not by more than twice the uncertainty: more trials would tell`;
  return { from: [...from], to: [...to], gainPoints, sdPoints, verdict, text };
}

const signedPoints = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
