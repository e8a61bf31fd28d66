/**
 * The final trainings of a search: the base widths, the winner and, when asked, the wide & sparse
 * network with the winner's nonzero kernel weights, each trained with one recipe on all the
 * training data and saved as a checkpoint.
 */
import type { DataSpec } from '../core/dataset.js';
import { defaultRecipe, type TrainRecipe } from '../core/recipe.js';
import type { WidthVector } from '../core/shapes.js';
import { spaceKernelWeights } from '../cost/cost.js';
import { baseWidths, scaledWidths } from '../space/widths.js';
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
 * The trial id of a final training: negative (-1 base, -2 winner, -3 wide & sparse), so it can
 * never be taken for a proxy trial's id, which counts up from 0.
 */
export function finalTrialId(which: FinalModelName): number {
  return -1 - FINAL_MODELS.indexOf(which);
}

/** The recipe of the final trainings: the proxy recipe's settings, `finalEpochs`, best validation epoch kept. */
export function finalRecipe(o: SearchOptions): TrainRecipe {
  return defaultRecipe({ epochs: o.finalEpochs, batchSize: o.batchSize, seed: o.seed, keepBest: true, ...(o.lr !== undefined ? { lr: o.lr } : {}) });
}

/** The models a search trains fully once its winner is known, in `FINAL_MODELS` order. */
export function finalModels(space: SearchSpace, winner: WidthVector, o: SearchOptions): FinalModel[] {
  return [
    { which: 'base', widths: baseWidths(space) },
    { which: 'winner', widths: [...winner] },
    ...(o.compareWideSparse
      ? [{ which: 'wide-sparse' as const, widths: scaledWidths(space, o.wideSparseScale ?? 2), sparseNonzero: spaceKernelWeights(space, [...winner]) }]
      : []),
  ];
}

/** The task of one final training on `data`, seeded by `finalTrainingSeed`, saved to `saveTo` if given. */
export function finalTrainingTask(
  space: SearchSpace, model: FinalModel, request: { studySeed: number; data: DataSpec; recipe: TrainRecipe; backend?: string; saveTo?: string },
): TrialTask {
  return {
    trialId: finalTrialId(model.which), space, widths: model.widths, seed: finalTrainingSeed(request.studySeed), backend: request.backend,
    data: request.data, recipe: request.recipe,
    ...(request.saveTo !== undefined ? { saveTo: request.saveTo } : {}),
    ...(model.sparseNonzero !== undefined ? { sparseNonzero: model.sparseNonzero } : {}),
  };
}
