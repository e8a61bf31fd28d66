/**
 * The trial the throughput benchmarks time (bench-pool, bench-queue): `cnn-mnist` at its base
 * widths on the bundled digits, on wasm, one fixed data subset; the seed varies the weights.
 */
import { defaultRecipe } from '../../src/core/recipe.js';
import { baseWidths, loadSpace } from '../../src/space/index.js';
import type { TrialTask } from '../../src/trial/task.js';

const space = loadSpace('cnn-mnist');

export function benchTrial(trialId: number, seed: number, epochs: number, maxTrain: number): TrialTask {
  return {
    trialId, space, widths: baseWidths(space), seed, backend: 'wasm',
    data: { name: 'mnist', seed: 0, maxTrain, validationFraction: 0.1 }, recipe: defaultRecipe({ epochs }),
  };
}
