/** Training recipes are plain data so they can travel with a trial task and into a checkpoint. */

export type OptimizerName = 'sgd' | 'adam';

export interface OptimizerSpec {
  name: OptimizerName;
  /** SGD momentum (default 0.9). */
  momentum?: number;
  /** Adam betas (default 0.9, 0.999) and epsilon (1e-8). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /**
   * L2 weight decay added to the gradient of kernels (conv and dense weights) only, as
   * `g + decay * w`; biases and BN scale/offset are not decayed.
   */
  weightDecay?: number;
}

export type ScheduleName = 'constant' | 'step' | 'cosine';

export interface ScheduleSpec {
  name: ScheduleName;
  /** For `step`: multiply by `gamma` at each of these fractions of training (default 0.5, 0.75). */
  milestones?: number[];
  /** For `step`: the factor at each milestone (default 0.1). */
  gamma?: number;
}

export interface TrainRecipe {
  epochs: number;
  batchSize: number;
  /** Base learning rate. */
  lr: number;
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  /** Seeds the batch order; the model's seed fixes the initial weights. */
  seed: number;
  /** Linear learning-rate warm-up over this many epochs (default 0). */
  warmupEpochs?: number;
  /** Evaluate on the validation part every epoch and end with the best epoch's weights. */
  keepBest?: boolean;
  /** Label smoothing of the cross-entropy targets (default 0, off). */
  labelSmoothing?: number;
  /** Training augmentation: random crop after padding by `pad` pixels, optional horizontal flip. */
  augment?: { pad: number; flip: boolean };
}

/** The recipe's defaults: SGD momentum 0.9, weight decay 5e-4, cosine schedule, batch 128; Adam gets lr 1e-3. */
export function defaultRecipe(overrides: Partial<TrainRecipe> = {}): TrainRecipe {
  const optimizer = overrides.optimizer ?? { name: 'sgd', momentum: 0.9, weightDecay: 5e-4 };
  return {
    epochs: 3,
    batchSize: 128,
    lr: optimizer.name === 'adam' ? 1e-3 : 0.05,
    optimizer,
    schedule: { name: 'cosine' },
    seed: 0,
    ...overrides,
  };
}
