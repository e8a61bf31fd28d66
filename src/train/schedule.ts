/** Learning-rate schedules, as pure functions of progress. */
import type { ScheduleSpec } from '../core/types.js';
export type { ScheduleName, ScheduleSpec } from '../core/types.js';

/**
 * The learning rate at `step` of `totalSteps` for base rate `lr`. Cosine decays from `lr` to 0
 * over the whole run (evaluated per step); step drops at the milestone fractions.
 */
export function learningRate(spec: ScheduleSpec, lr: number, step: number, totalSteps: number): number {
  const progress = totalSteps > 0 ? step / totalSteps : 0;
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
