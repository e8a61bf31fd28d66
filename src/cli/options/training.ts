/**
 * The options every command that trains shares (train, probe, baseline): data, recipe, seed,
 * backend, declared once, and the recipe they give. No tfjs here: a command loads it only when it
 * starts its backend.
 */
import { defaultRecipe, OPTIMIZER_NAMES, SCHEDULE_NAMES, type OptimizerName, type ScheduleName, type TrainRecipe } from '../../core/recipe.js';
import { checkNumbers, type OptionTable } from '../../core/option-table.js';
import { DATA_OPTIONS } from '../../data/data-options.js';
import { DATASETS } from '../../data/registry.js';
import { BACKEND_CHOICES } from '../../core/backend-choice.js';

/** The options that choose widths: `--widths` or `--scale` (else the base widths). */
export const WIDTH_OPTIONS = {
  widths: { type: 'string', describe: 'one width per group, comma-separated, in group order' },
  scale: { type: 'number', above: 0, describe: 'multiply every base width by this and round (at least 1)' },
} as const satisfies OptionTable;

export const TRAINING_OPTIONS = {
  ...WIDTH_OPTIONS,
  ...DATA_OPTIONS,
  epochs: { type: 'number', integer: true, min: 1, default: 3, describe: 'training epochs' },
  'batch-size': { type: 'number', integer: true, min: 1, default: 128, describe: 'examples per step' },
  optimizer: { type: 'string', choices: OPTIMIZER_NAMES, default: 'sgd', describe: 'SGD with momentum, or Adam' },
  lr: { type: 'number', above: 0, describe: 'base learning rate (default 0.05 for sgd, 0.001 for adam)' },
  momentum: { type: 'number', min: 0, below: 1, default: 0.9, describe: 'SGD momentum' },
  'weight-decay': { type: 'number', min: 0, describe: 'L2 decay of conv/dense kernels (default 5e-4 for sgd, 0 for adam)' },
  schedule: { type: 'string', choices: SCHEDULE_NAMES, default: 'cosine', describe: 'learning-rate schedule' },
  'max-train': { type: 'number', integer: true, min: 2, describe: 'use at most this many training examples' },
  'validation-fraction': { type: 'number', min: 0, below: 1, default: 0.1, describe: 'part of the training split held out for validation' },
  seed: { type: 'number', integer: true, default: 0, describe: 'seeds weights, data split and batch order' },
  backend: { type: 'string', choices: BACKEND_CHOICES, default: 'auto', describe: 'tfjs backend; auto tries node-gpu, node, wasm, cpu' },
  'warmup-epochs': { type: 'number', min: 0, default: 0, describe: 'linear learning-rate warm-up epochs' },
  'label-smoothing': { type: 'number', min: 0, below: 1, default: 0, describe: 'label smoothing of the cross-entropy targets' },
  augment: { type: 'string', choices: ['auto', 'none', 'crop-flip', 'crop'], default: 'auto', describe: 'training augmentation; auto: 4-pixel crop and flip for CIFAR, none for digits' },
  json: { type: 'boolean', default: false, describe: 'print the result as JSON on stdout' },
} as const satisfies OptionTable;

/** The parsed values the recipe is made from. */
export interface RecipeArgs {
  epochs: number;
  batchSize: number;
  optimizer: string;
  lr?: number;
  momentum: number;
  weightDecay?: number;
  schedule: string;
  seed: number;
  warmupEpochs?: number;
  keepBest?: boolean;
  labelSmoothing?: number;
  augment?: string;
  dataset?: string;
  maxTrain?: number;
  validationFraction?: number;
}

/** The augmentation a name asks for; `auto` takes the dataset's own (CIFAR: crop and flip; digits: none). */
export function augmentationFor(name: string, dataset: string): { augment?: { pad: number; flip: boolean } } {
  if (name === 'auto') {
    const own = Object.hasOwn(DATASETS, dataset) ? DATASETS[dataset].augmentByDefault : undefined;
    return own ? { augment: { ...own } } : {};
  }
  if (name === 'crop-flip') return { augment: { pad: 4, flip: true } };
  if (name === 'crop') return { augment: { pad: 4, flip: false } };
  return {};
}

/** Refuses NaN, infinite and out-of-range values of the shared training options, naming the flag. */
export function checkTrainingArgs(args: RecipeArgs): void {
  checkNumbers(TRAINING_OPTIONS, args as unknown as Record<string, unknown>);
}

/** The training recipe from the shared training options (`defaultDataset`: the space's). */
export function recipeFromArgs(args: RecipeArgs, defaultDataset = 'mnist'): TrainRecipe {
  checkTrainingArgs(args);
  const optimizerName = args.optimizer as OptimizerName;
  return defaultRecipe({
    epochs: args.epochs,
    batchSize: args.batchSize,
    optimizer: { name: optimizerName, momentum: args.momentum, weightDecay: args.weightDecay ?? (optimizerName === 'sgd' ? 5e-4 : 0) },
    schedule: { name: args.schedule as ScheduleName },
    seed: args.seed,
    warmupEpochs: args.warmupEpochs ?? 0,
    labelSmoothing: args.labelSmoothing ?? 0,
    ...augmentationFor(args.augment ?? 'auto', args.dataset ?? defaultDataset),
    keepBest: args.keepBest ?? false,
    ...(args.lr !== undefined ? { lr: args.lr } : {}),
  });
}
