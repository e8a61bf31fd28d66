import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { OptionTable } from '../core/option-table.js';
import { UsageError } from '../core/errors.js';
import type { BackendChoice } from '../core/backend-choice.js';
import type { TrainRecipe } from '../core/recipe.js';
import { readResumeSettings, trainRun, type TrainingSettings } from '../pipeline/train-run.js';
import { loadSpace, resolveNetwork } from '../space/index.js';
import { kernelBudgets, sparsityPlan } from '../train/sparsity-plan.js';
import { COMMANDS } from './command-list.js';
import { withOptions } from './options/declare.js';
import { dataSpecFromOptions, type DataOptionValues } from '../data/data-options.js';
import { recipeFromArgs, TRAINING_OPTIONS, type RecipeArgs } from './options/training.js';
import { printingLoadHooks } from './data-progress.js';
import { backendLine, givenFlags, printJson, widthsFromArgs, type WidthArgs } from './shared.js';

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

type TrainArgs = RecipeArgs & WidthArgs & DataOptionValues & { space?: string; validationFraction: number; nonzeroWeights?: number };

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
    // The folder is recorded absolute: a resume may start from another working directory.
    data: dataSpecFromOptions({ ...args, ...(args.dataDir !== undefined ? { dataDir: resolve(args.dataDir) } : {}) }, { space, seed: args.seed, maxTrain: args.maxTrain, validationFraction: args.validationFraction }),
    ...(args.nonzeroWeights !== undefined ? { sparseNonzero: args.nonzeroWeights } : {}),
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
      const settings = args.resume ? await readResumeSettings(args.resume, args.dataDir) : settingsFromArgs(args);
      if (args.resume) refuseContradictions(args, givenFlags(args), settings, args.resume);
      await trainAndPrint(args, settings, saveDir);
    },
  );
}

/** Runs the training (`pipeline/train-run`) and says on stderr how it goes; the result on stdout. */
async function trainAndPrint(args: { resume?: string; json: boolean; backend: string; checkpointEvery: number }, settings: TrainingSettings, saveDir: string | undefined): Promise<void> {
  const { space, widths, recipe, data } = settings;
  const tty = process.stderr.isTTY;
  let running = '';
  const outcome = await trainRun(
    { settings, backend: args.backend as BackendChoice, saveDir, resumeFrom: args.resume, checkpointEvery: args.checkpointEvery },
    {
      onBackend: (info) => {
        running = info.name;
        process.stderr.write(backendLine(info));
      },
      onResume: (p) => {
        process.stderr.write(`resuming ${args.resume}: ${p.epochsDone} of ${recipe.epochs} epochs done${p.stepInEpoch ? `, ${p.stepInEpoch} of ${p.stepsPerEpoch} steps into epoch ${p.epochsDone + 1}` : ''}\n`);
        if (p.otherBackend) process.stderr.write(`note: the checkpoint was trained on ${p.otherBackend}, this run uses ${running}; the result will be close to, not bit-identical with, an uninterrupted run\n`);
      },
      onStart: () => process.stderr.write(`training ${space.name} at widths ${widths.join(',')} on ${data.name}, ${recipe.epochs} epochs\n`),
      loadHooks: printingLoadHooks(),
      onStep: tty ? (s) => { if (s.step % 5 === 0) process.stderr.write(`\repoch ${s.epoch}/${recipe.epochs}  step ${s.step}/${s.stepsPerEpoch}  loss ${s.loss.toFixed(4)}`); } : undefined,
      onEpoch: (e) => {
        process.stderr.write(`${tty ? '\r\x1b[K' : ''}epoch ${e.epoch}/${recipe.epochs}  loss ${e.trainLoss.toFixed(4)}  train acc ${e.trainAccuracy.toFixed(4)}${e.validationAccuracy !== undefined ? `  val acc ${e.validationAccuracy.toFixed(4)}` : ''}  lr ${e.lr.toPrecision(3)}  ${e.seconds.toFixed(1)}s\n`);
      },
    },
  );
  if (outcome.kind === 'complete') {
    const meta = outcome.meta;
    process.stderr.write(`${args.resume}: the training is complete (${meta.epochsDone ?? recipe.epochs} of ${recipe.epochs} epochs); nothing to resume (export it with 'widthwise export ${args.resume}')\n`);
    if (args.json) printJson({ space: space.name, widths, complete: true, ...meta.metrics, trainExamples: meta.trainExamples, validationExamples: meta.validationExamples, epochs: meta.history });
    return;
  }
  const { result, backend } = outcome;
  if (saveDir) process.stderr.write(`checkpoint: ${saveDir}${result.bestEpoch ? ` (weights of epoch ${result.bestEpoch}, the best on validation)` : ''}\n`);
  if (args.json) {
    printJson(result);
    return;
  }
  console.log(`${space.name} widths ${widths.join(',')}: ${result.params.toLocaleString('en-US')} params, ${result.macs.toLocaleString('en-US')} MACs, ${result.trainExamples.toLocaleString('en-US')} training examples`);
  console.log(`validation accuracy ${result.validationAccuracy.toFixed(4)}  test accuracy ${result.testAccuracy.toFixed(4)}  (${backend}, ${result.seconds.toFixed(1)}s)`);
}
