/**
 * One supernet training as a unit: data loaded, the supernet built, trained with the sandwich rule
 * and checkpointed in the training checkpoint format (export/checkpoint*), so a killed training
 * resumes where its last checkpoint stood and a finished one is loaded, not trained again.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '../core/errors.js';
import type { DataSpec, Dataset } from '../core/dataset.js';
import type { TrainRecipe } from '../core/recipe.js';
import type { WidthVector } from '../core/shapes.js';
import { loadDataset } from '../data/registry.js';
import { dataSpecFor } from '../data/synthetic.js';
import { backendInfo } from '../engine/backend.js';
import { canonicalJson } from '../core/canonical-json.js';
import { loadCheckpoint, META_FILE, readCheckpointMeta, releaseCheckpoint, saveFinishedCheckpoint, saveTrainingCheckpoint, type CheckpointInfo } from '../export/checkpoint.js';
import type { SearchSpace } from '../space/types.js';
import { dataFingerprint } from '../data/fingerprint.js';
import { checkCompatible } from '../train/run-training.js';
import { narrowestWidths, Supernet, widestWidths } from '../train/supernet.js';
import { trainSupernet, type SandwichSpec, type SupernetHooks } from '../train/supernet-training.js';
import type { EpochReport, TrainOutcome } from '../train/trainer.js';

/** A supernet training as plain data. */
export interface SupernetRequest {
  space: SearchSpace;
  /** The supernet's widths (default: each group's `max`). */
  maxWidths?: WidthVector;
  /** The sandwich's narrowest (default: each group's `min`). */
  minWidths?: WidthVector;
  data: DataSpec;
  recipe: TrainRecipe;
  /** Seeds the initial weights. */
  seed: number;
  /** Random sub-networks per step besides the widest and narrowest (default 2). */
  randomPerStep?: number;
  /** In-place distillation (default true). */
  distill?: boolean;
}

export interface SupernetRunOptions {
  dataset?: Dataset;
  /** Checkpoint folder: resumed from when it holds this training, written at every epoch end (and `checkpointEvery` steps). */
  checkpointDir?: string;
  checkpointEvery?: number;
  onEpoch?: (report: EpochReport, epochs: number) => void;
  onStep?: SupernetHooks['onStep'];
  signal?: AbortSignal;
  /** Called when a checkpoint is continued (`epochsDone` of `epochs`; equal when it had finished). */
  onResumed?: (epochsDone: number, epochs: number) => void;
}

export interface TrainedSupernet {
  supernet: Supernet;
  dataset: Dataset;
  spec: SandwichSpec;
  /** This call's training (absent when the checkpoint had finished). */
  outcome?: TrainOutcome;
  /** Epoch reports of the whole training (the resumed part included). */
  history: EpochReport[];
}

/**
 * Trains (or resumes, or loads) the supernet of `request`. The caller disposes `supernet`. Throws
 * `CheckpointError` when `checkpointDir` holds another training (other space, widths, recipe, data or seed).
 */
export async function runSupernet(request: SupernetRequest, options: SupernetRunOptions = {}): Promise<TrainedSupernet> {
  const space = request.space;
  const maxWidths = request.maxWidths ?? widestWidths(space);
  const minWidths = (request.minWidths ?? narrowestWidths(space)).map((w, i) => Math.min(w, maxWidths[i]));
  const spec: SandwichSpec = { minWidths, randomPerStep: request.randomPerStep ?? 2, distill: request.distill ?? true };
  const dataset = options.dataset ?? (await loadDataset(dataSpecFor(request.data, space)));
  checkCompatible(space, dataset);
  const classes = dataset.classes;
  const supernet = new Supernet(space, maxWidths, request.seed, classes);
  const dir = options.checkpointDir;
  const info: CheckpointInfo = {
    space, widths: maxWidths, classes, recipe: request.recipe, seed: request.seed, data: request.data, dataset: dataset.name,
    supernet: { minWidths, randomPerStep: spec.randomPerStep, distill: spec.distill }, backend: backendInfo()?.name,
  };
  try {
    let resume;
    if (dir && existsSync(join(dir, META_FILE))) {
      checkSameTraining(dir, info);
      const loaded = await loadCheckpoint(dir);
      try {
        supernet.model.setWeights(loaded.model.getWeights());
        resume = loaded.snapshot;
      } finally {
        releaseCheckpoint(loaded);
      }
      const meta = readCheckpointMeta(dir);
      options.onResumed?.(meta.progress?.epochsDone ?? 0, request.recipe.epochs);
      if (!resume) return { supernet, dataset, spec, history: meta.history ?? [] };
    }
    const sizes = { trainExamples: dataset.train.count, validationExamples: dataset.validation.count, dataSha256: dataFingerprint(dataset) };
    if (resume?.dataSha256 && resume.dataSha256 !== sizes.dataSha256) {
      throw new CheckpointError(`${dir}: the data is not the data the supernet was trained on (other examples); resume with the files it started with or remove the folder`);
    }
    const outcome = await trainSupernet(supernet, dataset.train, dataset.inputShape, request.recipe, spec, {
      onEpoch: (report) => options.onEpoch?.(report, request.recipe.epochs),
      onStep: options.onStep,
      signal: options.signal,
      resume: resume?.trainer,
      checkpointEvery: options.checkpointEvery,
      onCheckpoint: dir ? (trainer) => void saveTrainingCheckpoint(dir, info, { trainer, weights: supernet.model.getWeights(), ...sizes }) : undefined,
    });
    if (dir) saveFinishedCheckpoint(dir, info, supernet.model, { history: outcome.epochs, ...sizes, globalStep: outcome.steps });
    return { supernet, dataset, spec, outcome, history: outcome.epochs };
  } catch (err) {
    supernet.dispose();
    throw err;
  }
}

/** Refuses a checkpoint folder that holds another training than `info`'s. */
function checkSameTraining(dir: string, info: CheckpointInfo): void {
  const meta = readCheckpointMeta(dir);
  const { file: _f, ...space } = info.space;
  const differs = [
    !meta.supernet ? 'it is not a supernet' : '',
    canonicalJson(meta.space) !== canonicalJson(space) ? 'space' : '',
    meta.widths.join(',') !== info.widths.join(',') ? `widths (${meta.widths.join(',')}, expected ${info.widths.join(',')})` : '',
    canonicalJson(meta.recipe ?? null) !== canonicalJson(info.recipe ?? null) ? 'recipe' : '',
    canonicalJson(meta.data ?? null) !== canonicalJson(info.data ?? null) ? 'data settings' : '',
    meta.seed !== info.seed ? 'seed' : '',
    canonicalJson(meta.supernet ?? null) !== canonicalJson(info.supernet ?? null) ? 'sandwich settings' : '',
  ].filter(Boolean);
  if (differs.length) throw new CheckpointError(`${join(dir, META_FILE)}: holds another training than this supernet's (${differs.join(', ')} differ); use another folder or remove it`);
}
