/**
 * A training recipe in words for the experiment reports, written from the recipe object that ran,
 * so a report cannot drift from its recipe.
 */
import type { TrainRecipe } from '../../src/core/recipe.js';

/** E.g. `3 epochs, batch 64, SGD momentum 0.9, lr 0.05 cosine, weight decay 5e-4 on kernels, best validation epoch kept`. */
export function recipeText(r: TrainRecipe): string {
  const o = r.optimizer;
  const optimizer = o.name === 'sgd' ? `SGD momentum ${o.momentum ?? 0.9}` : `Adam (betas ${o.beta1 ?? 0.9}, ${o.beta2 ?? 0.999})`;
  const schedule = r.schedule.name === 'step' ? `step (x${r.schedule.gamma ?? 0.1} at ${(r.schedule.milestones ?? [0.5, 0.75]).join(', ')} of training)` : r.schedule.name;
  return [
    `${r.epochs} epoch${r.epochs === 1 ? '' : 's'}`,
    `batch ${r.batchSize}`,
    optimizer,
    `lr ${r.lr} ${schedule}`,
    ...(o.weightDecay ? [`weight decay ${o.weightDecay} on kernels`] : []),
    ...(r.warmupEpochs ? [`${r.warmupEpochs} warm-up epochs`] : []),
    ...(r.labelSmoothing ? [`label smoothing ${r.labelSmoothing}`] : []),
    ...(r.augment ? [`random ${r.augment.pad}-pixel crops${r.augment.flip ? ' and flips' : ''}`] : []),
    r.keepBest ? 'best validation epoch kept' : "last epoch's weights",
  ].join(', ');
}
