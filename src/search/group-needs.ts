/** How much each group of a trial needs width, read from its variance scores (or labels). */
import type { SearchSpace } from '../space/types.js';
import type { FrozenTrial } from './types.js';

/**
 * Each group's need for width in [-1, 1], from the best trial's scores: centred ranks, so only the
 * order of the scores matters, not their scale (groups tied share a rank; a group without a score
 * sits at 0 and keeps its share). Without any score (journals before group telemetry), the labels
 * stand in: DS +1, IS -1.
 */
export function groupNeeds(space: SearchSpace, trial: FrozenTrial): number[] {
  const scores = space.groups.map((g) => trial.groupScores?.[g.name] ?? NaN);
  const known = scores.map((v, i) => i).filter((i) => Number.isFinite(scores[i]));
  const needs = space.groups.map(() => 0);
  if (known.length >= 2) {
    const sorted = known.map((i) => scores[i]).sort((a, b) => a - b);
    const rank = (v: number) => (sorted.indexOf(v) + sorted.lastIndexOf(v)) / 2;
    for (const i of known) needs[i] = (2 * rank(scores[i])) / (known.length - 1) - 1;
    return needs;
  }
  return space.groups.map((g) => (trial.groupLabels?.[g.name] === 'DS' ? 1 : trial.groupLabels?.[g.name] === 'IS' ? -1 : 0));
}

