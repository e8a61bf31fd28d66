/**
 * An evaluator that trains nothing: it answers each trial from a table of networks that were
 * really trained (Channel-Bench-Macro's format, see `bench-table.ts`), in microseconds, so a
 * sampler can be run many times against real accuracies. No tfjs, no weights, no checkpoints.
 *
 * Which recorded accuracy answers what (n recorded trainings per network, n >= 2):
 * - a proxy trial (trial id >= 0) reads `acc[i]`, `i` drawn from 0..n-2 by the trial's seed: the
 *   noise of one real training; the k-th repeat of the same widths in a study (`task.evaluation`)
 *   reads the draw's k-th successor among 0..n-2, so repeats read other trainings while any is left;
 * - a final "training" (trial id < 0, see `pipeline/final-trainings`' `finalTrialId`) reads the
 *   last one, `acc[n-1]`, as its validation accuracy.
 * So a final's validation accuracy is never the number a proxy trial of the same network read,
 * whatever the seeds and without knowing which proxy trials ran (the rule needs no state, and a
 * resumed run gives the same answers). Every trial's test accuracy is the table's mean of all n:
 * the number the recommendation is judged by, which it never reads.
 */
import { createRng } from '../core/rng.js';
import { spaceCost } from '../cost/cost.js';
import type { SearchSpace } from '../space/types.js';
import type { Evaluator } from '../trial/evaluator.js';
import type { TrialResult } from '../trial/result.js';
import type { TrialTask } from '../trial/task.js';
import { TableError, type BenchTable, type TableEntry } from './bench-table.js';

/** The backend name a table's answers carry (`TrialResult.backend`). */
export const TABLE_BACKEND = 'table';

/**
 * The index of the recorded accuracy a proxy trial with `seed` reads among `runs` recorded
 * trainings: uniform over 0..runs-2 (the last is kept for the finals). Throws below two runs.
 */
export function proxyAccuracyIndex(seed: number, runs: number, evaluation = 0): number {
  if (runs < 2) throw new TableError(`a network with ${runs} recorded training cannot answer both a proxy and a final: at least 2 are needed`);
  // Hashing the seed (rather than seed mod n) keeps the draw uniform whatever pattern the seeds
  // follow; a repeated evaluation of the same widths steps on to the next recorded training, so
  // repeats read different trainings while any is left.
  return (createRng(`table-proxy:${seed}`).int(runs - 1) + evaluation) % (runs - 1);
}

/** The index of the recorded accuracy a final training reads as its validation accuracy: the last. */
export function finalAccuracyIndex(runs: number): number {
  if (runs < 2) throw new TableError(`a network with ${runs} recorded training cannot answer both a proxy and a final: at least 2 are needed`);
  return runs - 1;
}

/**
 * Throws `TableError` unless `table` can answer trials of `space`: one key digit per group, every
 * network with at least two recorded accuracies, and the params and MACs of a sample of entries
 * (the first, and the last, in the file's order) equal to the space's exact cost, so a table of
 * another network is refused before any trial.
 */
export function checkTableForSpace(table: BenchTable, space: SearchSpace): void {
  table.checkFits(space);
  const entries = [...table.all()];
  for (const [key, entry] of entries) {
    if (entry.acc.length < 2) throw new TableError(`${table.path}: network ${key} has ${entry.acc.length} recorded accuracy; answering proxies and finals with different trainings needs at least 2`);
  }
  for (const [key, entry] of [entries[0], entries[entries.length - 1]]) checkCost(table, space, widthsOfKey(space, key), entry);
}

/** The widths of a table key in `space` (digit k: the k-th width of the group's grid). */
export function widthsOfKey(space: SearchSpace, key: string): number[] {
  return space.groups.map((g, i) => g.min + (Number(key[i]) - 1) * g.step);
}

function checkCost(table: BenchTable, space: SearchSpace, widths: readonly number[], entry: TableEntry): { params: number; macs: number } {
  const cost = spaceCost(space, [...widths]);
  if (cost.params !== entry.params || cost.macs !== entry.macs) {
    throw new TableError(
      `${table.path}: widths ${widths.join(',')} (key ${table.keyOf(space, widths)}) have ${entry.params} params and ${entry.macs} MACs in the table but ${cost.params} and ${cost.macs} in space ${space.name}: the table is not this space's network`,
    );
  }
  return cost;
}

/** Answers trials from a table; `concurrency` is only how many proposals a round holds. */
export class TableEvaluator implements Evaluator {
  readonly concurrency: number;

  constructor(private readonly table: BenchTable, options: { concurrency?: number } = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
  }

  /**
   * The table's answer for `task` (see the module's rule). A network the table lacks, widths off
   * the table's grid, or a table whose cost disagrees with the space come back as a failed result
   * that says so. The task's data, recipe, backend and `saveTo` are ignored: nothing is trained.
   */
  async evaluate(task: TrialTask): Promise<TrialResult> {
    const started = performance.now();
    try {
      if (task.sparseNonzero !== undefined) throw new TableError(`${this.table.path}: a sparse network (${task.sparseNonzero} nonzero kernel weights) cannot be answered: the table holds dense networks only`);
      const entry = this.table.lookup(task.space, task.widths);
      const cost = checkCost(this.table, task.space, task.widths, entry);
      const runs = entry.acc.length;
      const index = task.trialId < 0 ? finalAccuracyIndex(runs) : proxyAccuracyIndex(task.seed, runs, task.evaluation ?? 0);
      return {
        trialId: task.trialId, status: 'ok', widths: [...task.widths], backend: TABLE_BACKEND,
        // The table holds percentages; widthwise's accuracies are fractions.
        metrics: { validationAccuracy: entry.acc[index] / 100, testAccuracy: entry.mean / 100, trainLoss: NaN, params: cost.params, macs: cost.macs },
        seconds: (performance.now() - started) / 1000,
      };
    } catch (err) {
      // The contract: a trial that cannot be answered comes back failed, saying why; never a throw.
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      return { trialId: task.trialId, status: 'failed', reason, widths: [...task.widths], backend: TABLE_BACKEND, seconds: (performance.now() - started) / 1000 };
    }
  }

  async close(): Promise<void> {}
}
