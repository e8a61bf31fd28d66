/**
 * The checkpoint of a task that saves (a search's final trainings), as the task finds it when it
 * starts: nothing yet, a training in progress to continue, or a finished training that must not
 * be trained again (the process was killed after its last checkpoint, before the result was
 * journaled). A checkpoint of another training (other widths, recipe, seed or data) is not this
 * task's and is trained over.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../core/canonical-json.js';
import { WidthwiseError } from '../core/errors.js';
import { loadCheckpoint, META_FILE, readCheckpointMeta, releaseCheckpoint, removeUnreferencedFiles, type CheckpointInfo, type CheckpointMeta } from '../export/checkpoint.js';
import type { TrainingSnapshot } from '../train/run-training.js';
import { countNonzeroKernelWeights } from '../train/sparse.js';
import type { TrialTask } from '../trial/task.js';

export type SavedTraining =
  | { kind: 'none'; reason?: string }
  | { kind: 'in-progress'; snapshot: TrainingSnapshot }
  | { kind: 'finished'; meta: CheckpointMeta; nonzeroWeights: number };

/** What a task's checkpoints record about its training: everything that decides it. */
export function checkpointInfoOf(task: TrialTask, classes: number, backend: string | undefined): CheckpointInfo {
  return {
    space: task.space, widths: task.widths, classes, recipe: task.recipe, seed: task.seed, data: task.data, dataset: task.data.name,
    ...(backend ? { backend } : {}),
    ...(task.sparseNonzero !== undefined ? { sparse: { nonzeroWeights: task.sparseNonzero } } : {}),
  };
}

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

/**
 * The state of `task.saveTo` for `task`. A checkpoint that cannot be read (damaged, or written by
 * an older widthwise without the training state) is reported and trained over: the journal, not the
 * folder, says whether the training finished. The backend must be started (tensors are read).
 */
export async function savedTraining(task: TrialTask, classes: number): Promise<SavedTraining> {
  const dir = task.saveTo;
  if (dir === undefined || !existsSync(join(dir, META_FILE))) return { kind: 'none' };
  const info = checkpointInfoOf(task, classes, undefined);
  try {
    const meta = readCheckpointMeta(dir);
    const other = otherTraining(meta, info);
    if (other) return { kind: 'none', reason: `${dir} holds a checkpoint of another training (${other}); training afresh` };
    if (!meta.progress) return { kind: 'none', reason: `${dir} holds a checkpoint without its training state; training afresh` };
    const metrics = meta.metrics ?? {};
    if (meta.progress.complete && !['validationAccuracy', 'testAccuracy', 'trainLoss', 'params', 'macs'].every((k) => k in metrics)) {
      return { kind: 'none', reason: `${dir} holds a finished training without the metrics of a result; training afresh` };
    }
    const loaded = await loadCheckpoint(dir);
    try {
      if (meta.progress.complete) {
        // A kill between the last checkpoint's switch and its clean-up left the previous one's files.
        removeUnreferencedFiles(dir, meta);
        return { kind: 'finished', meta: loaded.meta, nonzeroWeights: countNonzeroKernelWeights(loaded.model) };
      }
      if (!loaded.snapshot) return { kind: 'none', reason: `${dir} holds no training state; training afresh` };
      return { kind: 'in-progress', snapshot: loaded.snapshot };
    } finally {
      releaseCheckpoint(loaded);
    }
  } catch (err) {
    if (!(err instanceof WidthwiseError)) throw err;
    return { kind: 'none', reason: `${err.message}; training afresh` };
  }
}
