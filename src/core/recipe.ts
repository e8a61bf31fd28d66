/** Training recipes are plain data so they can travel with a trial task and into a checkpoint. */
import { z } from 'zod';

const positive = z.number().int().positive();

export const OPTIMIZER_NAMES = ['sgd', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

const optimizerShape = {
  name: z.enum(OPTIMIZER_NAMES),
  /** SGD momentum (default 0.9). */
  momentum: z.number().min(0).lt(1).optional(),
  /** Adam betas (default 0.9, 0.999) and epsilon (1e-8). */
  beta1: z.number().min(0).lt(1).optional(),
  beta2: z.number().min(0).lt(1).optional(),
  epsilon: z.number().positive().optional(),
  /**
   * L2 weight decay added to the gradient of kernels (conv and dense weights) only, as
   * `g + decay * w`; biases and BN scale/offset are not decayed.
   */
  weightDecay: z.number().nonnegative().optional(),
};
export const optimizerSpecSchema = z.object(optimizerShape);
export type OptimizerSpec = z.infer<typeof optimizerSpecSchema>;

export const SCHEDULE_NAMES = ['constant', 'step', 'cosine'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

const scheduleShape = {
  name: z.enum(SCHEDULE_NAMES),
  /** For `step`: multiply by `gamma` at each of these fractions of training (default 0.5, 0.75). */
  milestones: z.array(z.number().min(0).max(1)).optional(),
  /** For `step`: the factor at each milestone (default 0.1). */
  gamma: z.number().positive().optional(),
};
export const scheduleSpecSchema = z.object(scheduleShape);
export type ScheduleSpec = z.infer<typeof scheduleSpecSchema>;

const recipeShape = {
  epochs: positive,
  batchSize: positive,
  /** Base learning rate. */
  lr: z.number().positive().finite(),
  optimizer: optimizerSpecSchema,
  schedule: scheduleSpecSchema,
  /** Seeds the batch order; the model's seed fixes the initial weights. */
  seed: z.number().int(),
  /** Linear learning-rate warm-up over this many epochs (default 0). */
  warmupEpochs: z.number().nonnegative().optional(),
  /** Evaluate on the validation part every epoch and end with the best epoch's weights. */
  keepBest: z.boolean().optional(),
  /** Label smoothing of the cross-entropy targets (default 0, off). */
  labelSmoothing: z.number().min(0).lt(1).optional(),
  /** Training augmentation: random crop after padding by `pad` pixels, optional horizontal flip. */
  augment: z.object({ pad: z.number().int().nonnegative(), flip: z.boolean() }).optional(),
};

/** The one schema of a training recipe; unknown fields are dropped (the queue refuses them: `.strict()`). */
export const trainRecipeSchema = z.object(recipeShape);
export type TrainRecipe = z.infer<typeof trainRecipeSchema>;

/**
 * The same recipe, keeping the fields this version does not know (at every level): a checkpoint
 * written by a newer widthwise must resume with all of its settings, not lose some.
 */
export const openTrainRecipeSchema = z.object({
  ...recipeShape,
  optimizer: z.object(optimizerShape).passthrough(),
  schedule: z.object(scheduleShape).passthrough(),
}).passthrough();

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
