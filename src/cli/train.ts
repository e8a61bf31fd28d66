import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { OptionTable } from '../core/option-table.js';
import { CheckpointError, RunFolderLockedError, UsageError } from '../core/errors.js';
import type { DataSpec, WidthVector } from '../core/types.js';
import type { CheckpointInfo, CheckpointMeta } from '../export/checkpoint.js';
import type { BackendChoice } from '../engine/backend.js';
import { loadSpace, resolveNetwork, type SearchSpace } from '../space/index.js';
import { kernelBudgets, sparsityPlan } from '../train/sparsity-plan.js';
import { lockRunFolder, type RunFolderLock } from '../storage/run-lock.js';
import type { TrainRecipe } from '../train/trainer.js';
import { COMMANDS } from './command-list.js';
import { withOptions } from './options/declare.js';
import { imageFolderFields, recipeFromArgs, TRAINING_OPTIONS, type RecipeArgs } from './options/training.js';
import { loadImagesUpFront } from './data-progress.js';
import { givenFlags, printJson, startBackend, widthsFromArgs, type WidthArgs } from './shared.js';

/** The checkpoint module, loaded (with tfjs) once the options have passed their checks. */
const checkpoints = () => import('../export/checkpoint.js');

/** `train`'s options: the shared training options and its own. */
export const TRAIN_OPTIONS = {
  ...TRAINING_OPTIONS,
  'keep-best': { type: 'boolean', default: true, describe: 'evaluate on the validation part every epoch and keep the best epoch (--no-keep-best: the last)' },
  'nonzero-weights': { type: 'number', integer: true, min: 1, describe: 'wide & sparse: keep exactly this many nonzero conv/dense kernel weights (a static random mask)' },
  save: { type: 'string', writes: 'folder', describe: 'checkpoint folder (new), written after every epoch and at the end; locked while training' },
  'checkpoint-every': { type: 'number', integer: true, min: 0, default: 0, unit: 'steps', describe: 'with --save or --resume: also checkpoint every this many steps inside an epoch (0: epoch ends only)' },
  resume: { type: 'string', describe: 'continue the training saved in this checkpoint folder, with its space, widths, recipe and data settings' },
} as const satisfies OptionTable;

/** The `--augment` name of an augmentation (`auto` resolved). */
function augmentationName(augment: TrainRecipe['augment']): string {
  return augment ? (augment.flip ? 'crop-flip' : 'crop') : 'none';
}

/** What decides a training: every setting a checkpoint records and a resume must keep. */
interface TrainingSettings {
  space: SearchSpace;
  widths: WidthVector;
  recipe: TrainRecipe;
  data: DataSpec;
  /** Seeds the initial weights (and, through the recipe and data, the batch order and the split). */
  seed: number;
  sparseNonzero?: number;
}

type TrainArgs = RecipeArgs & WidthArgs & { space?: string; dataDir?: string; validationFraction: number; nonzeroWeights?: number; badImages?: string };

function settingsFromArgs(args: TrainArgs): TrainingSettings {
  const space = loadSpace(args.space!);
  const widths = widthsFromArgs(space, args);
  const recipe = recipeFromArgs(args, space.dataset);
  if (args.nonzeroWeights !== undefined) {
    // The plan is pure arithmetic on the space: an impossible target is refused before any work.
    try {
      sparsityPlan(kernelBudgets(resolveNetwork(space, widths)), args.nonzeroWeights);
    } catch (err) {
      throw new UsageError(`--nonzero-weights ${args.nonzeroWeights}: ${(err as Error).message}`);
    }
  }
  return {
    space, widths, recipe, seed: args.seed,
    data: {
      name: args.dataset ?? space.dataset, seed: args.seed, validationFraction: args.validationFraction,
      ...(args.dataDir !== undefined ? { dataDir: resolve(args.dataDir) } : {}), ...(args.maxTrain !== undefined ? { maxTrain: args.maxTrain } : {}),
      ...imageFolderFields(args.dataset ?? space.dataset, space.input, args.badImages, args.dataDir),
    },
    ...(args.nonzeroWeights !== undefined ? { sparseNonzero: args.nonzeroWeights } : {}),
  };
}

/**
 * The settings a checkpoint records; refuses one it cannot resume. `--data-dir` may point to where
 * the data now lives: the checkpoint's data fingerprint proves it is the same data.
 */
function settingsFromCheckpoint(meta: CheckpointMeta, dir: string, dataDir: string | undefined): TrainingSettings {
  if (!meta.recipe || !meta.data || meta.seed === undefined) {
    throw new CheckpointError(`${join(dir, 'checkpoint.json')}: records no recipe, data settings or seed (a checkpoint of a finished training written by a search), so it cannot be resumed; export it instead`);
  }
  return {
    space: meta.space, widths: meta.widths, recipe: meta.recipe, seed: meta.seed,
    data: dataDir !== undefined ? { ...meta.data, dataDir: resolve(dataDir) } : meta.data,
    ...(meta.sparse ? { sparseNonzero: meta.sparse.nonzeroWeights } : {}),
  };
}

/**
 * Refuses every flag given on resume that asks for something else than the checkpoint's training:
 * the data, the recipe, the widths or the seed a checkpoint was made with decide the training.
 */
function refuseContradictions(args: TrainArgs, given: Set<string>, saved: TrainingSettings, dir: string): void {
  const asked = (flag: string) => given.has(flag);
  const contradiction = (flag: string, value: unknown, savedValue: unknown) => {
    if (JSON.stringify(value) !== JSON.stringify(savedValue)) {
      throw new UsageError(`--${flag} ${typeof value === 'object' ? JSON.stringify(value) : String(value)} contradicts the checkpoint in ${dir} (${savedValue === undefined ? 'not set' : typeof savedValue === 'object' ? JSON.stringify(savedValue) : String(savedValue)}); leave it out to resume the saved training, or train afresh into another folder`);
    }
  };
  if (args.space !== undefined) {
    const space = loadSpace(args.space);
    contradiction('space', space.name, saved.space.name);
  }
  if (asked('widths') || asked('scale')) contradiction(asked('widths') ? 'widths' : 'scale', widthsFromArgs(saved.space, args), saved.widths);
  const fresh = recipeFromArgs({ ...args, dataset: saved.data.name }, saved.space.dataset);
  const recipeFlags: [string, (r: TrainRecipe) => unknown][] = [
    ['epochs', (r) => r.epochs], ['batch-size', (r) => r.batchSize], ['optimizer', (r) => r.optimizer.name], ['lr', (r) => r.lr],
    ['momentum', (r) => r.optimizer.momentum], ['weight-decay', (r) => r.optimizer.weightDecay], ['schedule', (r) => r.schedule.name],
    ['warmup-epochs', (r) => r.warmupEpochs ?? 0], ['label-smoothing', (r) => r.labelSmoothing ?? 0], ['augment', (r) => augmentationName(r.augment)],
    ['keep-best', (r) => r.keepBest ?? false],
  ];
  for (const [flag, field] of recipeFlags) if (asked(flag)) contradiction(flag, field(fresh), field(saved.recipe));
  if (asked('dataset')) contradiction('dataset', args.dataset, saved.data.name);
  if (asked('max-train')) contradiction('max-train', args.maxTrain, saved.data.maxTrain);
  if (asked('validation-fraction')) contradiction('validation-fraction', args.validationFraction, saved.data.validationFraction);
  if (asked('seed')) contradiction('seed', args.seed, saved.seed);
  if (asked('nonzero-weights')) contradiction('nonzero-weights', args.nonzeroWeights, saved.sparseNonzero);
}

export function trainCommand(yargs: Argv): Argv {
  return yargs.command(
    COMMANDS.train.command,
    COMMANDS.train.describe,
    (y) =>
      withOptions(y.positional('space', { type: 'string', describe: "a space file or a shipped space name (with --resume: none, or the checkpoint's)" }), TRAIN_OPTIONS)
        .example('$0 train mlp-mnist --epochs 3', 'the MLP on the bundled digits')
        .example('$0 train cnn-mnist --epochs 10 --save ckpt/cnn', 'then: widthwise export ckpt/cnn')
        .example('$0 train --resume ckpt/cnn', 'after a crash or a kill: continue exactly where the last checkpoint stands')
        .example('$0 train cnn-mnist --widths 8,16,32,32 --dataset fashion-mnist', 'a narrower CNN on Fashion-MNIST'),
    async (args) => {
      if (!args.space && !args.resume) throw new UsageError('name a space (or --resume a checkpoint folder)');
      if (args.checkpointEvery > 0 && !args.save && !args.resume) throw new UsageError('--checkpoint-every: needs --save (or --resume), the folder the checkpoints go to');
      const saveDir = args.save ?? args.resume;
      if (args.save && !args.resume && existsSync(join(args.save, 'checkpoint.json'))) {
        throw new UsageError(`--save ${args.save}: the folder already holds a checkpoint; continue it with --resume ${args.save}, or save to another folder`);
      }
      // The settings are checked against the flags before any tensor is read, lock taken or backend started.
      const { readCheckpointMeta } = await checkpoints();
      const savedMeta = args.resume ? readCheckpointMeta(args.resume) : undefined;
      // A supernet trains with the sandwich rule: resumed as a plain training it would become another training.
      if (savedMeta?.supernet) throw new UsageError(`--resume ${args.resume}: the folder holds a supernet training (search --evaluator oneshot); resume the search whose run folder holds it (widthwise search --resume <run folder>)`);
      const settings = savedMeta ? settingsFromCheckpoint(savedMeta, args.resume!, args.dataDir) : settingsFromArgs(args);
      if (savedMeta) refuseContradictions(args, givenFlags(args), settings, args.resume!);
      // One writer per folder: a second one fails here, before any work.
      const lock = saveDir ? await lockRunFolder(saveDir, { command: `widthwise train ${args.resume ? '--resume' : '--save'}` }) : undefined;
      try {
        await trainOrResume(args, settings, saveDir, lock);
      } finally {
        await lock?.release();
      }
    },
  );
}

/** Refuses to write into a folder whose lock was lost (taken over as stale while this run was stalled). */
function stillHeld(lock: RunFolderLock | undefined): void {
  if (lock?.compromised) throw new RunFolderLockedError(`${lock.dir}: this run lost its lock (${lock.compromised.message}); another process may be writing the folder, so nothing more is written`);
}

/** Trains afresh with `settings`, or resumes `args.resume`'s checkpoint (read again now that the folder is locked). */
async function trainOrResume(args: { resume?: string; json: boolean; backend: string; checkpointEvery: number }, settings: TrainingSettings, saveDir: string | undefined, lock: RunFolderLock | undefined): Promise<void> {
  const { loadCheckpoint, readCheckpointMeta, releaseCheckpoint, saveFinishedCheckpoint, saveTrainingCheckpoint } = await checkpoints();
  const { runTraining } = await import('../train/run-training.js');
  const savedMeta = args.resume ? readCheckpointMeta(args.resume) : undefined;
  const { space, widths, recipe, data, seed } = settings;
  if (savedMeta?.progress?.complete) {
    process.stderr.write(`${args.resume}: the training is complete (${savedMeta.epochsDone ?? recipe.epochs} of ${recipe.epochs} epochs); nothing to resume (export it with 'widthwise export ${args.resume}')\n`);
    if (args.json) printJson({ space: space.name, widths, complete: true, ...savedMeta.metrics, trainExamples: savedMeta.trainExamples, validationExamples: savedMeta.validationExamples, epochs: savedMeta.history });
    return;
  }
  const backend = await startBackend(args.backend as BackendChoice);
  const resumed = args.resume ? await loadCheckpoint(args.resume) : undefined;
  // Only its metadata and training state are needed here; runTraining builds the model again.
  if (resumed) releaseCheckpoint(resumed);
  if (resumed && !resumed.snapshot) throw new CheckpointError(`${join(args.resume!, 'checkpoint.json')}: holds no training state to resume; export it instead`);
  const snapshot = resumed?.snapshot;
  if (resumed && snapshot) {
    const t = snapshot.trainer;
    process.stderr.write(`resuming ${args.resume}: ${t.epochsDone} of ${recipe.epochs} epochs done${t.stepInEpoch ? `, ${t.stepInEpoch} of ${t.stepsPerEpoch} steps into epoch ${t.epochsDone + 1}` : ''}\n`);
    if (resumed.meta.backend && resumed.meta.backend !== backend) {
      process.stderr.write(`note: the checkpoint was trained on ${resumed.meta.backend}, this run uses ${backend}; the result will be close to, not bit-identical with, an uninterrupted run\n`);
    }
  }
  const tty = process.stderr.isTTY;
  process.stderr.write(`training ${space.name} at widths ${widths.join(',')} on ${data.name}, ${recipe.epochs} epochs\n`);
  const info: CheckpointInfo = {
    space, widths, classes: space.classes, recipe, seed, data, dataset: data.name, backend,
    ...(settings.sparseNonzero !== undefined ? { sparse: { nonzeroWeights: settings.sparseNonzero } } : {}),
  };
  const dataset = await loadImagesUpFront(data);
  const result = await runTraining(
    { space, widths, recipe, seed, data, ...(settings.sparseNonzero !== undefined ? { sparseNonzero: settings.sparseNonzero } : {}), ...(snapshot ? { resume: snapshot } : {}) },
    {
      onStep: tty ? (s) => { if (s.step % 5 === 0) process.stderr.write(`\repoch ${s.epoch}/${recipe.epochs}  step ${s.step}/${s.stepsPerEpoch}  loss ${s.loss.toFixed(4)}`); } : undefined,
      onEpoch: (e) => {
        process.stderr.write(`${tty ? '\r\x1b[K' : ''}epoch ${e.epoch}/${recipe.epochs}  loss ${e.trainLoss.toFixed(4)}  train acc ${e.trainAccuracy.toFixed(4)}${e.validationAccuracy !== undefined ? `  val acc ${e.validationAccuracy.toFixed(4)}` : ''}  lr ${e.lr.toPrecision(3)}  ${e.seconds.toFixed(1)}s\n`);
      },
    },
    {
      ...(dataset ? { dataset } : {}),
      checkpointEvery: args.checkpointEvery,
      // A crash loses at most the steps since the last checkpoint.
      onCheckpoint: saveDir ? (s) => { stillHeld(lock); saveTrainingCheckpoint(saveDir, info, s); } : undefined,
      // The final checkpoint holds the kept (best) weights and the metrics.
      keep: saveDir ? (model, metrics, finished) => { stillHeld(lock); saveFinishedCheckpoint(saveDir, { ...info, metrics }, model, finished); } : undefined,
    },
  );
  if (saveDir) process.stderr.write(`checkpoint: ${saveDir}${result.bestEpoch ? ` (weights of epoch ${result.bestEpoch}, the best on validation)` : ''}\n`);
  if (args.json) {
    printJson(result);
    return;
  }
  console.log(`${space.name} widths ${widths.join(',')}: ${result.params.toLocaleString('en-US')} params, ${result.macs.toLocaleString('en-US')} MACs, ${result.trainExamples.toLocaleString('en-US')} training examples`);
  console.log(`validation accuracy ${result.validationAccuracy.toFixed(4)}  test accuracy ${result.testAccuracy.toFixed(4)}  (${backend}, ${result.seconds.toFixed(1)}s)`);
}
