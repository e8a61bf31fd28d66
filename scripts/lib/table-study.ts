/**
 * A search answered from a Channel-Bench-Macro table, in memory, for benchmarks that run thousands
 * of studies: the study's loop (rounds of one proposal per worker, the budget gate, no repeats, the
 * trial seed from (study seed, trial number)), a table answer per trial (one recorded training's
 * accuracy, chosen by the trial's seed), then the final check of the pipeline: the sampler's
 * winner against uniform scaling on another recorded accuracy each, the better one recommended and
 * judged by the mean of the recorded accuracies.
 *
 * Mirrors src/search/study.ts and src/pipeline/recommendation.ts without a journal (no files, no
 * fsync), so a study of 100 trials takes milliseconds. The recorded accuracies are in points.
 */
import { createRng, deriveSeed } from '../../src/core/rng.js';
import { isFeasible, projectToBudget, type Budget } from '../../src/search/budget.js';
import { createSampler, type SamplerName } from '../../src/search/samplers.js';
import { bestTrial, type FrozenTrial } from '../../src/search/types.js';
import { uniformScaling } from '../../src/search/uniform-scaling.js';
import type { BenchTable } from '../../src/runtime/bench-table.js';
import { finalAccuracyIndex, proxyAccuracyIndex } from '../../src/runtime/table-evaluator.js';
import type { SearchSpace } from '../../src/space/types.js';

/** Synthetic per-group scores for a trial (the signal-quality experiment); undefined: none. */
export type ScoreSource = (widths: readonly number[], seed: number) => Record<string, number> | undefined;

export interface TableStudyRequest {
  space: SearchSpace;
  table: BenchTable;
  sampler: SamplerName;
  samplerOptions?: Record<string, number>;
  budget: Budget;
  start: number[];
  seed: number;
  trials: number;
  roundSize: number;
  /** Read the recommendation after these many trials (each <= trials). */
  checkpoints: number[];
  scores?: ScoreSource;
  /** Final check by the sampler's own weighing of final against proxy results (`Sampler.chooseFinal`). */
  useModelCheck?: boolean;
  chooseFinal?: (finals: { widths: number[]; validationAccuracy: number }[]) => number;
}

export interface TableStudyOutcome {
  trials: number;
  winner: number[];
  recommended: number[];
  /** Mean recorded accuracy (points) of the recommended network. */
  recommendedMean: number;
  /** Mean recorded accuracy (points) of the sampler's winner, before the final check. */
  winnerMean: number;
  /** The best mean recorded accuracy (points) among the vectors evaluated so far (an oracle's pick). */
  bestEvaluatedMean: number;
  keptUniform: boolean;
}

export function runTableStudy(r: TableStudyRequest): TableStudyOutcome[] {
  const ctx = {
    space: r.space, budget: r.budget, roundSize: r.roundSize, start: r.start,
    rngForRound: (round: number) => createRng(`${r.seed}:${r.sampler}:${round}`),
  };
  const sampler = createSampler(r.sampler, ctx, r.samplerOptions);
  const history: FrozenTrial[] = [];
  const used = new Map<string, number[]>();
  let nextId = 0;
  const outcomes: TableStudyOutcome[] = [];
  const uniform = uniformScaling(r.space, r.start, r.budget)!.widths;
  const checkpoints = [...r.checkpoints].sort((a, b) => a - b);
  const record = (label: number) => {
    const winner = (sampler.recommend ? sampler.recommend(history) : bestTrial(history))!;
    const bestEvaluatedMean = Math.max(...history.map((t) => r.table.lookup(r.space, t.widths).mean));
    const chooseFinal = r.useModelCheck && sampler.chooseFinal ? (finals: { widths: number[]; validationAccuracy: number }[]) => sampler.chooseFinal!(history, finals) : undefined;
    outcomes.push({ trials: label, bestEvaluatedMean, ...finalCheck({ ...r, chooseFinal }, [...winner.widths], uniform) });
  };
  while (history.length < r.trials) {
    const proposals = sampler.ask(history);
    const seen = new Set(history.map((t) => t.widths.join(',')));
    const batch: { id: number; widths: number[]; round: number; note?: string }[] = [];
    for (const p of proposals) {
      const widths = isFeasible(r.space, p.widths, r.budget) ? p.widths : projectToBudget(r.space, p.widths, r.budget);
      if (seen.has(widths.join(',')) && !(p.repeat && batch.every((t) => t.widths.join(',') !== widths.join(',')))) continue;
      seen.add(widths.join(','));
      if (history.length + batch.length >= r.trials) break;
      batch.push({ id: nextId++, widths: [...widths], round: p.round, note: p.note });
    }
    if (!batch.length) break;
    for (const t of batch) {
      const seed = deriveSeed(r.seed, t.id);
      const entry = r.table.lookup(r.space, t.widths);
      const k = t.widths.join(',');
      const before = used.get(k) ?? [];
      // The table evaluator's own rule (src/runtime/table-evaluator.ts), repeats included.
      const index = proxyAccuracyIndex(seed, entry.acc.length, before.length);
      used.set(k, [...before, index]);
      const groupScores = r.scores?.(t.widths, seed);
      history.push(Object.freeze({
        trialId: t.id, widths: Object.freeze([...t.widths]), status: 'ok' as const, round: t.round, note: t.note,
        metrics: { validationAccuracy: entry.acc[index] / 100, testAccuracy: entry.mean / 100, trainLoss: 0, params: entry.params, macs: entry.macs },
        ...(groupScores ? { groupScores } : {}),
      }));
      while (checkpoints.length && history.length === checkpoints[0]) {
        record(checkpoints.shift()!);
      }
    }
  }
  // A sampler that stopped early is judged at every checkpoint it did not reach by what it had.
  while (checkpoints.length) record(checkpoints.shift()!);
  return outcomes;
}

/**
 * The pipeline's final check (src/pipeline/recommendation.ts): winner and uniform each validated on
 * a recorded training other than the one their proxy read, the better recommended (the winner on a
 * tie, or when it is the uniform network), judged by the mean.
 */
function finalCheck(r: TableStudyRequest, winner: number[], uniform: number[]) {
  // The table evaluator's rule for final trainings: the recorded training no proxy reads.
  const validation = (widths: number[]) => { const e = r.table.lookup(r.space, widths); return e.acc[finalAccuracyIndex(e.acc.length)] / 100; };
  const w = r.table.lookup(r.space, winner);
  const same = winner.join(',') === uniform.join(',');
  const vu = validation(uniform), vw = validation(winner);
  const keptUniform = !same && (r.chooseFinal
    ? r.chooseFinal([{ widths: winner, validationAccuracy: vw }, { widths: uniform, validationAccuracy: vu }]) === 1
    : vu > vw);
  const recommended = keptUniform ? uniform : winner;
  return { winner, recommended, recommendedMean: keptUniform ? r.table.lookup(r.space, uniform).mean : w.mean, winnerMean: w.mean, keptUniform };
}
