/** Learning-rate schedules, as pure functions of progress. */
import type { ScheduleSpec } from '../core/recipe.js';

/**
 * The learning rate at `step` of `totalSteps` for base rate `lr`. A linear warm-up over the first
 * `warmupSteps` steps; after it, cosine decays from `lr` to 0 over the rest of the run (evaluated
 * per step) and step drops at the milestone fractions of the whole run.
 */
export function learningRate(spec: ScheduleSpec, lr: number, step: number, totalSteps: number, warmupSteps = 0): number {
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  const progress = totalSteps > warmupSteps ? (step - warmupSteps) / (totalSteps - warmupSteps) : 0;
  switch (spec.name) {
    case 'constant':
      return lr;
    case 'cosine':
      return 0.5 * lr * (1 + Math.cos(Math.PI * Math.min(1, progress)));
    case 'step': {
      const milestones = spec.milestones ?? [0.5, 0.75];
      const passed = milestones.filter((m) => progress >= m).length;
      return lr * (spec.gamma ?? 0.1) ** passed;
    }
  }
}
