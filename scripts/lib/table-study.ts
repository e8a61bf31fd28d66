/**
 * One search answered from a table of trained networks, as `widthwise search --table FILE --holdout
 * K` runs it, without a run folder: the real `Study` (in a memory journal) over the table evaluator
 * with run K held out, then the pipeline's final check (`final-trainings.ts`' tasks, read by the same
 * evaluator; `recommendation.ts` with the sampler's own weighing where it has one). Thousands of
 * these take seconds, so the table benchmark runs what users run, not a copy of its loop.
 */
import { defaultRecipe } from '../../src/core/recipe.js';
import { finalTrainingTask, type FinalModel } from '../../src/pipeline/final-trainings.js';
import { recommendModel } from '../../src/pipeline/recommendation.js';
import type { BenchTable } from '../../src/runtime/bench-table.js';
import { TableEvaluator } from '../../src/runtime/table-evaluator.js';
import type { Budget } from '../../src/search/budget.js';
import type { SamplerName } from '../../src/search/samplers.js';
import { Study, type StudyConfig } from '../../src/search/study.js';
import { isRecommender } from '../../src/search/types.js';
import { uniformScaling } from '../../src/search/uniform-scaling.js';
import type { SearchSpace } from '../../src/space/types.js';
import { MemoryJournal } from '../../src/storage/journal.js';

export interface HeldOutStudyRequest {
  space: SearchSpace;
  table: BenchTable;
  sampler: SamplerName;
  samplerOptions?: Record<string, number>;
  budget: Budget;
  start: number[];
  seed: number;
  trials: number;
  roundSize: number;
  /** The recorded training nothing reads (the benchmark rotates it: seed mod 3). */
  holdout: number;
}

export interface HeldOutStudyOutcome {
  /** Proxy trials run (fewer than asked only when the sampler stopped). */
  trials: number;
  winner: number[];
  recommended: number[];
  keptUniform: boolean;
}

const RECIPE = defaultRecipe({ epochs: 1 });

export async function runHeldOutStudy(r: HeldOutStudyRequest): Promise<HeldOutStudyOutcome> {
  const evaluator = new TableEvaluator(r.table, { concurrency: r.roundSize, holdout: r.holdout, salt: r.seed });
  const config: StudyConfig = {
    space: r.space, sampler: r.sampler, samplerOptions: r.samplerOptions, trials: r.trials, budget: r.budget, seed: r.seed,
    start: r.start, data: { name: 'cifar10' }, proxyRecipe: RECIPE, normKind: 'outgoing', roundSize: r.roundSize,
  };
  const study = new Study(config, evaluator, new MemoryJournal());
  study.create();
  await study.run();
  const winner = study.winner();
  if (!winner) throw new Error(`study ${r.sampler} seed ${r.seed}: no trial succeeded`);
  // The final check of the pipeline: winner and uniform scaling, each the next evaluation of its widths.
  const final = async (model: FinalModel) => {
    const evaluation = study.history.filter((t) => t.widths.join(',') === model.widths.join(',')).length;
    const result = await evaluator.evaluate(finalTrainingTask(r.space, model, { studySeed: r.seed, data: config.data, recipe: RECIPE, evaluation }));
    if (result.status !== 'ok') throw new Error(`final of ${model.widths}: ${result.reason}`);
    return { widths: model.widths, validationAccuracy: result.metrics!.validationAccuracy };
  };
  const uniformWidths = uniformScaling(r.space, r.start, r.budget)?.widths;
  const w = await final({ which: 'winner', widths: [...winner.widths] });
  const u = uniformWidths ? await final({ which: 'uniform', widths: uniformWidths }) : undefined;
  const sampler = study.sampler;
  const choose = isRecommender(sampler) ? (finals: readonly { widths: readonly number[]; validationAccuracy: number }[]) => sampler.chooseFinal(study.history, finals) : undefined;
  const recommendation = recommendModel(w, u, choose)!;
  return { trials: study.history.length, winner: [...winner.widths], recommended: recommendation.widths, keptUniform: recommendation.which === 'uniform' };
}
