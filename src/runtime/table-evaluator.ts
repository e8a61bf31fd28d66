/**
 * An evaluator that trains nothing: it answers each trial from a table of networks that were
 * really trained (Channel-Bench-Macro's format, see `bench-table.ts`), in microseconds, so a
 * sampler can be run many times against real accuracies. No tfjs, no weights, no checkpoints.
 *
 * Which recorded accuracy answers what (n recorded trainings per network, n >= 2). A network's
 * evaluations step through the runs it may read in an order that starts at a draw hashed from its
 * widths and the reading's salt (a search passes its study seed), so the k-th evaluation of the
 * same widths reads another run than the earlier ones while any is left:
 * - with a held-out run K (`holdout`, the honest protocol): proxies, repeats and finals read only
 *   the other runs; a final reads the evaluation after the proxies of its widths (the search passes
 *   how many there were), so the final check reads a run the proxy did not, where one is left; every
 *   trial's test accuracy is run K, which nothing the search reads ever contains;
 * - without one: proxies and repeats read runs 0..n-2, a final the last, and the test accuracy is
 *   the mean of all n, which includes what the search read (the summary says it is not held out).
 */
import { createRng } from '../core/rng.js';
import { spaceCost } from '../cost/cost.js';
import type { SearchSpace } from '../space/types.js';
import type { Evaluator } from '../trial/evaluator.js';
import { failedResult, type TrialResult } from '../trial/result.js';
import type { TrialTask } from '../trial/task.js';
import { TableError, type BenchTable, type TableEntry } from './bench-table.js';

/** The backend name a table's answers carry (`TrialResult.backend`). */
export const TABLE_BACKEND = 'table';

/** How a table is read: which run (if any) is held out, and the salt of each network's draw. */
export interface TableReading {
  /** The recorded training (0-based) that nothing reads but the test accuracy. */
  holdout?: number;
  /** Mixed into each network's draw (a search passes its study seed), so studies see different orders. */
  salt?: number;
}

/** What one task reads: the index of its validation accuracy, and its test accuracy (a fraction). */
export interface TableAnswer {
  index: number;
  testAccuracy: number;
}

/**
 * The recorded training a task reads (see the module's rule): `final` tells a final training from a
 * proxy, `evaluation` how many evaluations of the same widths came before. Throws `TableError`
 * when the network has too few recorded trainings for the rule.
 */
export function tableAnswer(entry: TableEntry, key: string, reading: TableReading, final: boolean, evaluation = 0): TableAnswer {
  const runs = entry.acc.length;
  const { holdout } = reading;
  if (holdout !== undefined) {
    if (!Number.isInteger(holdout) || holdout < 0 || holdout >= runs) throw new TableError(`held-out run ${holdout} does not exist: network ${key} has ${runs} recorded trainings (0..${runs - 1})`);
    if (runs < 2) throw new TableError(`network ${key} has ${runs} recorded training: holding one out leaves none to read`);
    const visible = [...entry.acc.keys()].filter((i) => i !== holdout);
    return { index: visible[(networkDraw(key, reading, visible.length) + evaluation) % visible.length], testAccuracy: entry.acc[holdout] / 100 };
  }
  if (runs < 2) throw new TableError(`a network with ${runs} recorded training cannot answer both a proxy and a final: at least 2 are needed`);
  const mean = entry.mean / 100;
  return final ? { index: runs - 1, testAccuracy: mean } : { index: (networkDraw(key, reading, runs - 1) + evaluation) % (runs - 1), testAccuracy: mean };
}

/**
 * Where a network's walk through its `count` readable runs starts: hashed from its key and the salt
 * (not from a trial's seed), so every evaluation of the same widths in a study, a final's included,
 * continues the same walk and never reads a run an earlier one read while another is left.
 */
function networkDraw(key: string, reading: TableReading, count: number): number {
  return createRng(`table-run:${reading.salt ?? 0}:${key}`).int(count);
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

/** Throws `TableError` unless every network of `table` has a recorded training `holdout` and another to read. */
export function checkHoldout(table: BenchTable, holdout: number): void {
  for (const [key, entry] of table.all()) {
    if (holdout >= entry.acc.length) throw new TableError(`${table.path}: cannot hold out run ${holdout}: network ${key} has ${entry.acc.length} recorded trainings (runs 0..${entry.acc.length - 1})`);
  }
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

  private readonly reading: TableReading;

  constructor(private readonly table: BenchTable, options: { concurrency?: number } & TableReading = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.reading = { holdout: options.holdout, salt: options.salt };
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
      const { index, testAccuracy } = tableAnswer(entry, this.table.keyOf(task.space, task.widths), this.reading, task.trialId < 0, task.evaluation ?? 0);
      return {
        trialId: task.trialId, status: 'ok', widths: [...task.widths], backend: TABLE_BACKEND,
        // The table holds percentages; widthwise's accuracies are fractions.
        metrics: { validationAccuracy: entry.acc[index] / 100, testAccuracy, trainLoss: NaN, params: cost.params, macs: cost.macs },
        seconds: (performance.now() - started) / 1000,
      };
    } catch (err) {
      // The contract: a trial that cannot be answered comes back failed, saying why; never a throw.
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      return failedResult(task, reason, started, TABLE_BACKEND);
    }
  }

  async close(): Promise<void> {}
}
