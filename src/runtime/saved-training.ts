/**
 * The one checkpointed-resume path, shared by `widthwise train --save/--resume`
 * (`pipeline/train-run`) and by trials that save (a search's final trainings, `run-trial`): what a
 * training's checkpoint folder holds when it starts (nothing, a training in progress, a finished
 * training), the snapshot to continue from, and the hooks that write its checkpoints as it goes.
 *
 * A trial's folder may hold a checkpoint of another training (other widths, recipe, seed or data)
 * or a damaged one: that is reported and trained over, since the journal, not the folder, says
 * whether the training finished. `train --resume` names a folder whose settings it took: there, a
 * checkpoint that cannot be resumed is an error.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../core/canonical-json.js';
import { CheckpointError, WidthwiseError } from '../core/errors.js';
import type { DataSpec } from '../core/dataset.js';
import type { TrainRecipe } from '../core/recipe.js';
import type { WidthVector } from '../core/shapes.js';
import { loadCheckpoint, META_FILE, readCheckpointMeta, releaseCheckpoint, removeUnreferencedFiles, saveFinishedCheckpoint, saveTrainingCheckpoint, type CheckpointInfo, type CheckpointMeta } from '../export/checkpoint.js';
import type { SearchSpace } from '../space/types.js';
import type { RunTrainingOptions, TrainingSnapshot } from '../train/run-training.js';
import { countNonzeroKernelWeights } from '../train/sparse.js';

/** What decides a training: every setting a checkpoint records and a resume keeps. */
export interface TrainingSettings {
  space: SearchSpace;
  widths: WidthVector;
  recipe: TrainRecipe;
  data: DataSpec;
  /** Seeds the initial weights (and, through the recipe and data, the batch order and the split). */
  seed: number;
  sparseNonzero?: number;
}

/** What a training's checkpoints record about it: everything that decides it. */
export function checkpointInfoOf(s: TrainingSettings, classes: number, backend: string | undefined): CheckpointInfo {
  return {
    space: s.space, widths: s.widths, classes, recipe: s.recipe, seed: s.seed, data: s.data, dataset: s.data.name,
    ...(backend ? { backend } : {}),
    ...(s.sparseNonzero !== undefined ? { sparse: { nonzeroWeights: s.sparseNonzero } } : {}),
  };
}

/** What a checkpoint folder holds for a training about to start (read from `checkpoint.json` alone). */
export type SavedState =
  | { kind: 'none'; reason?: string }
  | { kind: 'in-progress'; meta: CheckpointMeta }
  | { kind: 'finished'; meta: CheckpointMeta };

/** Why `meta` is not a checkpoint of `info`'s training, or undefined when it is. */
function otherTraining(meta: CheckpointMeta, info: CheckpointInfo): string | undefined {
  const fields: [string, unknown, unknown][] = [
    ['widths', meta.widths, info.widths], ['classes', meta.classes, info.classes], ['seed', meta.seed, info.seed],
    ['recipe', meta.recipe, info.recipe], ['data', meta.data, info.data], ['sparsity', meta.sparse, info.sparse],
  ];
  // The checkpoint's copy reads back in another key order.
  const differs = fields.find(([, saved, wanted]) => canonicalJson(saved) !== canonicalJson(wanted));
  return differs ? `its ${differs[0]} differ from this training's` : undefined;
}

const RESULT_METRICS = ['validationAccuracy', 'testAccuracy', 'trainLoss', 'params', 'macs'];

/**
 * The state of `dir` for the training `expected` describes (a trial's): no checkpoint, one of
 * another training, a damaged one, or one without training state is `none` with the reason (the
 * trial trains over it). Without `expected` (`train --resume`, whose settings came from this very
 * checkpoint) those are errors: `CheckpointError` naming the file. Reads no tensors.
 */
export function savedState(dir: string, expected?: CheckpointInfo): SavedState {
  if (expected === undefined) {
    const meta = readCheckpointMeta(dir);
    if (meta.progress?.complete) return { kind: 'finished', meta };
    if (!meta.progress) throw new CheckpointError(`${join(dir, META_FILE)}: holds no training state to resume; export it instead`);
    return { kind: 'in-progress', meta };
  }
  if (!existsSync(join(dir, META_FILE))) return { kind: 'none' };
  try {
    const meta = readCheckpointMeta(dir);
    const other = otherTraining(meta, expected);
    if (other) return { kind: 'none', reason: `${dir} holds a checkpoint of another training (${other}); training afresh` };
    if (!meta.progress) return { kind: 'none', reason: `${dir} holds a checkpoint without its training state; training afresh` };
    const metrics = meta.metrics ?? {};
    if (meta.progress.complete && !RESULT_METRICS.every((k) => k in metrics)) {
      return { kind: 'none', reason: `${dir} holds a finished training without the metrics of a result; training afresh` };
    }
    return meta.progress.complete ? { kind: 'finished', meta } : { kind: 'in-progress', meta };
  } catch (err) {
    if (!(err instanceof WidthwiseError)) throw err;
    return { kind: 'none', reason: `${err.message}; training afresh` };
  }
}

/**
 * The snapshot to continue the training in progress in `dir` from, and the backend it was trained
 * on. The backend must be started (tensors are read). Throws `CheckpointError` (damaged files, or
 * no training state).
 */
export async function resumeSnapshot(dir: string): Promise<{ snapshot: TrainingSnapshot; meta: CheckpointMeta }> {
  const loaded = await loadCheckpoint(dir);
  // Only its metadata and training state are needed here; runTraining builds the model again.
  releaseCheckpoint(loaded);
  if (!loaded.snapshot) throw new CheckpointError(`${join(dir, META_FILE)}: holds no training state to resume; export it instead`);
  return { snapshot: loaded.snapshot, meta: loaded.meta };
}

/**
 * The finished training in `dir` as a result needs it: its metadata and the nonzero kernel weights
 * of its kept model. Tidies the files a kill between the last checkpoint's switch and its clean-up
 * left. The backend must be started.
 */
export async function finishedTraining(dir: string): Promise<{ meta: CheckpointMeta; nonzeroWeights: number }> {
  const loaded = await loadCheckpoint(dir);
  try {
    removeUnreferencedFiles(dir, loaded.meta);
    return { meta: loaded.meta, nonzeroWeights: countNonzeroKernelWeights(loaded.model) };
  } finally {
    releaseCheckpoint(loaded);
  }
}

/**
 * The `runTraining` options that checkpoint a training into `dir` as it goes (at every epoch end,
 * and every `checkpointEvery` steps) and at its end (the kept weights and the metrics).
 * `beforeWrite` runs before each write and may refuse it by throwing (a run that lost its lock).
 */
export function checkpointHooks(dir: string, info: CheckpointInfo, beforeWrite: () => void = () => undefined): Pick<RunTrainingOptions, 'onCheckpoint' | 'keep'> {
  return {
    onCheckpoint: (snapshot) => {
      beforeWrite();
      saveTrainingCheckpoint(dir, info, snapshot);
    },
    keep: (model, metrics, finished) => {
      beforeWrite();
      saveFinishedCheckpoint(dir, { ...info, metrics }, model, finished);
    },
  };
}
