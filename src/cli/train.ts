import type { Argv } from 'yargs';
import { UsageError } from '../core/errors.js';
import { loadCheckpoint, saveCheckpoint } from '../export/checkpoint.js';
import { DATASET_NAMES } from '../data/registry.js';
import type { BackendChoice } from '../engine/backend.js';
import { loadSpace } from '../space/index.js';
import type { OptimizerName } from '../train/optimizer.js';
import { runTraining } from '../train/run-training.js';
import type { ScheduleName } from '../train/schedule.js';
import { defaultRecipe, type TrainRecipe } from '../train/trainer.js';
import { BACKEND_CHOICES, printJson, startBackend, widthsFromArgs } from './shared.js';

/** Options every command that trains shares: data, recipe, seed, backend. */
export function trainingOptions<T>(y: Argv<T>) {
  return y
    .option('widths', { type: 'string', describe: 'one width per group, comma-separated, in group order' })
    .option('scale', { type: 'number', describe: 'multiply every base width by this and round (at least 1)' })
    .option('dataset', { type: 'string', choices: DATASET_NAMES, describe: "dataset (default: the space's)" })
    .option('data-dir', { type: 'string', describe: 'folder of the dataset files (fashion-mnist, mnist-idx, cifar10, cifar100)' })
    .option('epochs', { type: 'number', default: 3, describe: 'training epochs' })
    .option('batch-size', { type: 'number', default: 128 })
    .option('optimizer', { type: 'string', choices: ['sgd', 'adam'], default: 'sgd', describe: 'SGD with momentum, or Adam' })
    .option('lr', { type: 'number', describe: 'base learning rate (default 0.05 for sgd, 0.001 for adam)' })
    .option('momentum', { type: 'number', default: 0.9, describe: 'SGD momentum' })
    .option('weight-decay', { type: 'number', describe: 'L2 decay of conv/dense kernels (default 5e-4 for sgd, 0 for adam)' })
    .option('schedule', { type: 'string', choices: ['constant', 'step', 'cosine'], default: 'cosine', describe: 'learning-rate schedule' })
    .option('max-train', { type: 'number', describe: 'use at most this many training examples' })
    .option('validation-fraction', { type: 'number', default: 0.1, describe: 'part of the training split held out for validation' })
    .option('seed', { type: 'number', default: 0, describe: 'seeds weights, data split and batch order' })
    .option('backend', { type: 'string', choices: BACKEND_CHOICES, default: 'auto', describe: 'tfjs backend; auto tries node-gpu, node, wasm, cpu' })
    .option('warmup-epochs', { type: 'number', default: 0, describe: 'linear learning-rate warm-up epochs' })
    .option('label-smoothing', { type: 'number', default: 0, describe: 'label smoothing of the cross-entropy targets' })
    .option('augment', { type: 'string', choices: ['auto', 'none', 'crop-flip', 'crop'], default: 'auto', describe: 'training augmentation; auto: 4-pixel crop and flip for CIFAR, none for digits' })
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON on stdout' });
}

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
}

/** The augmentation a name asks for; `auto` crops and flips CIFAR images and leaves digits alone. */
export function augmentationFor(name: string, dataset: string): { augment?: { pad: number; flip: boolean } } {
  if (name === 'crop-flip' || (name === 'auto' && dataset.startsWith('cifar'))) return { augment: { pad: 4, flip: true } };
  if (name === 'crop') return { augment: { pad: 4, flip: false } };
  return {};
}

/** The training recipe from the shared training options (`defaultDataset`: the space's). */
export function recipeFromArgs(args: RecipeArgs, defaultDataset = 'mnist'): TrainRecipe {
  if (!(args.epochs >= 1) || !Number.isInteger(args.epochs)) throw new UsageError(`--epochs: expected a positive integer, found ${args.epochs}`);
  if (!(args.batchSize >= 1) || !Number.isInteger(args.batchSize)) throw new UsageError(`--batch-size: expected a positive integer, found ${args.batchSize}`);
  if (args.lr !== undefined && !(args.lr > 0)) throw new UsageError(`--lr: expected a positive number, found ${args.lr}`);
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

export function trainCommand(yargs: Argv): Argv {
  return yargs.command(
    'train [space]',
    'Train a space at some widths and report test accuracy',
    (y) =>
      trainingOptions(y.positional('space', { type: 'string', describe: 'a space file or a shipped space name (not with --resume)' }))
        .option('keep-best', { type: 'boolean', default: true, describe: 'evaluate on the validation part every epoch and keep the best epoch (--no-keep-best: the last)' })
        .option('save', { type: 'string', describe: 'checkpoint folder, written after every epoch and at the end' })
        .option('resume', { type: 'string', describe: "continue the training saved in this checkpoint folder (its space, widths and recipe)" })
        .example('$0 train mlp-mnist --epochs 3', 'the MLP on the bundled digits')
        .example('$0 train cnn-mnist --epochs 10 --save ckpt/cnn', 'then: widthwise export ckpt/cnn')
        .example('$0 train cnn-mnist --widths 8,16,32,32 --dataset fashion-mnist', 'a narrower CNN on Fashion-MNIST'),
    async (args) => {
      if (!args.space && !args.resume) throw new UsageError('name a space (or --resume a checkpoint folder)');
      const backend = await startBackend(args.backend as BackendChoice);
      const resumed = args.resume ? await loadCheckpoint(args.resume) : undefined;
      const space = resumed ? resumed.meta.space : loadSpace(args.space!);
      const widths = resumed ? resumed.meta.widths : widthsFromArgs(space, args);
      const recipe = resumed?.meta.recipe ?? recipeFromArgs(args, space.dataset);
      const epochsDone = resumed?.meta.epochsDone ?? 0;
      const initialWeights = resumed?.model.getWeights();
      resumed?.model.dispose();
      const saveDir = args.save ?? args.resume;
      const dataName = (resumed?.meta.dataset as string | undefined) ?? args.dataset ?? space.dataset;
      if (resumed) process.stderr.write(`resuming ${args.resume}: ${epochsDone} of ${recipe.epochs} epochs done\n`);
      const tty = process.stderr.isTTY;
      process.stderr.write(`training ${space.name} at widths ${widths.join(',')} on ${dataName}, ${recipe.epochs} epochs\n`);
      const seed = recipe.seed;
      const meta = (epochs: number, metrics?: Record<string, number>) => ({ space, widths, classes: space.classes, recipe, backend, epochsDone: epochs, dataset: dataName, metrics });
      const result = await runTraining(
        {
          space, widths, recipe, seed, initialWeights, epochsDone,
          data: { name: dataName, dataDir: args.dataDir, seed, maxTrain: args.maxTrain, validationFraction: args.validationFraction },
        },
        {
          onStep: tty ? (s) => { if (s.step % 5 === 0) process.stderr.write(`\repoch ${s.epoch}/${recipe.epochs}  step ${s.step}/${s.stepsPerEpoch}  loss ${s.loss.toFixed(4)}`); } : undefined,
          onEpoch: async (e, model) => {
            process.stderr.write(`${tty ? '\r\x1b[K' : ''}epoch ${e.epoch}/${recipe.epochs}  loss ${e.trainLoss.toFixed(4)}  train acc ${e.trainAccuracy.toFixed(4)}${e.validationAccuracy !== undefined ? `  val acc ${e.validationAccuracy.toFixed(4)}` : ''}  lr ${e.lr.toPrecision(3)}  ${e.seconds.toFixed(1)}s\n`);
            // A crash loses at most the epoch in progress.
            if (saveDir) await saveCheckpoint(saveDir, model, meta(e.epoch));
          },
        },
        {
          // The final checkpoint holds the kept (best) weights and the metrics.
          keep: saveDir ? (model, metrics) => saveCheckpoint(saveDir, model, meta(recipe.epochs, metrics)) : undefined,
        },
      );
      if (saveDir) process.stderr.write(`checkpoint: ${saveDir}${result.bestEpoch ? ` (weights of epoch ${result.bestEpoch}, the best on validation)` : ''}\n`);
      if (args.json) {
        printJson(result);
        return;
      }
      console.log(`${space.name} widths ${widths.join(',')}: ${result.params.toLocaleString('en-US')} params, ${result.macs.toLocaleString('en-US')} MACs`);
      console.log(`validation accuracy ${result.validationAccuracy.toFixed(4)}  test accuracy ${result.testAccuracy.toFixed(4)}  (${backend}, ${result.seconds.toFixed(1)}s)`);
    },
  );
}
