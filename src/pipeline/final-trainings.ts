/**
 * The final trainings of a search: the base widths, the winner, the start scaled uniformly onto the
 * budget and, when asked, the wide & sparse network with the winner's nonzero kernel weights, each
 * trained with one recipe on all the training data and saved as a checkpoint.
 */
import type { DataSpec } from '../core/dataset.js';
import { defaultRecipe, type TrainRecipe } from '../core/recipe.js';
import type { WidthVector } from '../core/shapes.js';
import { spaceKernelWeights } from '../cost/cost.js';
import { baseWidths, parseWidths, scaledWidths } from '../space/widths.js';
import type { Budget } from '../search/budget.js';
import { uniformScaling } from '../search/uniform-scaling.js';
import type { SearchSpace } from '../space/types.js';
import type { TrialTask } from '../trial/task.js';
import { FINAL_MODELS, type FinalModelName } from './run-events.js';
import type { SearchOptions } from './search-options.js';

/** One model to train fully. */
export interface FinalModel {
  which: FinalModelName;
  widths: WidthVector;
  /** Wide & sparse: the nonzero kernel weights to keep. */
  sparseNonzero?: number;
}

/**
 * The weight seed of a final training: the study seed itself, for every final model, so base,
 * winner and wide & sparse start from the same seed stream and differ only by their widths.
 */
export function finalTrainingSeed(studySeed: number): number {
  return studySeed;
}

/**
 * The trial id of a final training: negative (-1 base, -2 winner, -3 wide & sparse, -4 uniform),
 * so it can never be taken for a proxy trial's id, which counts up from 0. The table evaluator
 * (runtime/table-evaluator.ts) tells a final from a proxy by this sign.
 */
export function finalTrialId(which: FinalModelName): number {
  return -1 - FINAL_MODELS.indexOf(which);
}

/** The recipe of the final trainings: the proxy recipe's settings, `finalEpochs`, best validation epoch kept. */
export function finalRecipe(o: SearchOptions): TrainRecipe {
  return defaultRecipe({ epochs: o.finalEpochs, batchSize: o.batchSize, seed: o.seed, keepBest: true, ...(o.lr !== undefined ? { lr: o.lr } : {}) });
}

/**
 * The models a search trains fully once its winner is known: the base widths, the winner, the
 * start scaled uniformly onto the budget (the baseline a search must beat), and when asked the wide
 * & sparse network. Networks that are the same are trained once (see `distinctTrainings`).
 */
export function finalModels(space: SearchSpace, winner: WidthVector, o: SearchOptions, budget: Budget): FinalModel[] {
  const start = o.widths ? parseWidths(space, o.widths) : baseWidths(space);
  const uniform = uniformScaling(space, start, budget);
  return [
    { which: 'base', widths: baseWidths(space) },
    { which: 'winner', widths: [...winner] },
    ...(uniform ? [{ which: 'uniform' as const, widths: uniform.widths }] : []),
    ...(o.compareWideSparse
      ? [{ which: 'wide-sparse' as const, widths: scaledWidths(space, o.wideSparseScale ?? 2), sparseNonzero: spaceKernelWeights(space, [...winner]) }]
      : []),
  ];
}

/**
 * Final models grouped by the network they train (same widths, same sparsity): one training per
 * group, its result recorded under every name of the group. The winner's group comes first, so its
 * checkpoint lands in `winner/`, which the export reads.
 */
export function distinctTrainings(models: FinalModel[]): FinalModel[][] {
  const groups = new Map<string, FinalModel[]>();
  for (const m of models) {
    const key = `${m.widths.join(',')}|${m.sparseNonzero ?? 'dense'}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  return [...groups.values()].map((g) => [...g].sort((a, b) => Number(b.which === 'winner') - Number(a.which === 'winner')));
}

/**
 * The task of one final training on `data`, seeded by `finalTrainingSeed`, saved to `saveTo` if
 * given; `evaluation` counts the proxy evaluations of the same widths before it (a table answers a
 * final from a recorded training they did not read; a real training ignores it).
 */
export function finalTrainingTask(
  space: SearchSpace, model: FinalModel, request: { studySeed: number; data: DataSpec; recipe: TrainRecipe; backend?: string; saveTo?: string; evaluation?: number },
): TrialTask {
  return {
    trialId: finalTrialId(model.which), space, widths: model.widths, seed: finalTrainingSeed(request.studySeed), backend: request.backend,
    data: request.data, recipe: request.recipe,
    ...(request.saveTo !== undefined ? { saveTo: request.saveTo } : {}),
    ...(request.evaluation ? { evaluation: request.evaluation } : {}),
    ...(model.sparseNonzero !== undefined ? { sparseNonzero: model.sparseNonzero } : {}),
  };
}
