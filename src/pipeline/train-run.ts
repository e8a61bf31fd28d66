/**
 * One training of `widthwise train`, end to end: afresh, saving checkpoints into a folder, or
 * resuming the training a folder holds (through the checkpointed-resume path trials share,
 * `runtime/saved-training`). It owns the folder's lock, the backend's start and the checkpoints;
 * it prints nothing: its observer is told what happens, and the caller says it.
 *
 * tfjs loads only once a training starts (dynamic imports), so the command line's start-up and
 * its checks stay light.
 */
import { join, resolve } from 'node:path';
import type { BackendChoice } from '../core/backend-choice.js';
import { CheckpointError, RunFolderLockedError, UsageError } from '../core/errors.js';
import { datasetKind, type LoadHooks } from '../data/registry.js';
import type { BackendInfo } from '../engine/backend.js';
import type { CheckpointInfo, CheckpointMeta } from '../export/checkpoint.js';
import type { TrainingSettings } from '../runtime/saved-training.js';
import { lockRunFolder, type RunFolderLock } from '../storage/run-lock.js';
import type { TrainingResult } from '../train/run-training.js';
import type { EpochReport, StepInfo } from '../train/trainer.js';

export type { TrainingSettings } from '../runtime/saved-training.js';

/** What a training run is asked to do. */
export interface TrainRunRequest {
  settings: TrainingSettings;
  /** `auto` or a backend name. */
  backend: BackendChoice;
  /** Checkpoint folder (locked while training): a new one, or (usually) `resumeFrom`. */
  saveDir?: string;
  /** Continue the training this folder holds (its settings are `settings`: see `readResumeSettings`). */
  resumeFrom?: string;
  /** Also checkpoint every this many steps inside an epoch (0: epoch ends only). */
  checkpointEvery?: number;
  /** Who holds the folder's lock, as a second writer is told (e.g. `widthwise train --save`). */
  lockOwner?: string;
}

/** Where a resumed training stands. */
export interface ResumePoint {
  epochsDone: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  /** The backend the checkpoint was trained on, when it differs from this run's. */
  otherBackend?: string;
}

/** What a training run tells its caller as it goes (each optional). */
export interface TrainRunObserver {
  onBackend?(info: BackendInfo): void;
  onResume?(point: ResumePoint): void;
  /** The training starts (after the resume point, before the data loads). */
  onStart?(): void;
  /** Progress of a data load that is slow (image decoding) and what it read. */
  loadHooks?: LoadHooks;
  onStep?(step: StepInfo): void;
  onEpoch?(epoch: EpochReport): void;
}

/** How a run ended: the saved training was already complete, or it trained (afresh or resumed). */
export type TrainRunOutcome =
  | { kind: 'complete'; meta: CheckpointMeta }
  | { kind: 'trained'; result: TrainingResult; backend: string };

/**
 * The settings a checkpoint records; refuses one it cannot resume (`CheckpointError`). `dataDir`
 * may point to where the data now lives: the checkpoint's data fingerprint proves it is the same data.
 */
export function settingsFromCheckpoint(meta: CheckpointMeta, dir: string, dataDir: string | undefined): TrainingSettings {
  if (!meta.recipe || !meta.data || meta.seed === undefined) {
    throw new CheckpointError(`${join(dir, 'checkpoint.json')}: records no recipe, data settings or seed (a checkpoint of a finished training written by a search), so it cannot be resumed; export it instead`);
  }
  return {
    space: meta.space, widths: meta.widths, recipe: meta.recipe, seed: meta.seed,
    data: dataDir !== undefined ? { ...meta.data, dataDir: resolve(dataDir) } : meta.data,
    ...(meta.sparse ? { sparseNonzero: meta.sparse.nonzeroWeights } : {}),
  };
}

/** The checkpoint settings of `dir`, read (and checked) without loading tfjs's tensors. */
export async function readResumeSettings(dir: string, dataDir: string | undefined): Promise<TrainingSettings> {
  const { readCheckpointMeta } = await import('../export/checkpoint.js');
  const meta = readCheckpointMeta(dir);
  // A supernet trains with the sandwich rule: resumed as a plain training it would become another training.
  if (meta.supernet) throw new UsageError(`--resume ${dir}: the folder holds a supernet training (search --evaluator oneshot); resume the search whose run folder holds it (widthwise search --resume <run folder>)`);
  return settingsFromCheckpoint(meta, dir, dataDir);
}

/** Refuses to write into a folder whose lock was lost (taken over as stale while this run was stalled). */
function stillHeld(lock: RunFolderLock | undefined): void {
  if (lock?.compromised) throw new RunFolderLockedError(`${lock.dir}: this run lost its lock (${lock.compromised.message}); another process may be writing the folder, so nothing more is written`);
}

/**
 * Trains `request.settings` afresh, or continues the training `request.saveDir` holds. One writer
 * per folder: a second one fails (`RunFolderLockedError`) before any work. A crash loses at most
 * the steps since the last checkpoint; the final checkpoint holds the kept (best) weights and the
 * metrics. A resumed training ends as the uninterrupted one would have (on the same backend).
 */
export async function trainRun(request: TrainRunRequest, observer: TrainRunObserver = {}): Promise<TrainRunOutcome> {
  const { saveDir } = request;
  const lock = saveDir ? await lockRunFolder(saveDir, { command: request.lockOwner ?? `widthwise train ${request.resumeFrom !== undefined ? '--resume' : '--save'}` }) : undefined;
  try {
    return await trainLocked(request, observer, lock);
  } finally {
    await lock?.release();
  }
}

async function trainLocked(request: TrainRunRequest, observer: TrainRunObserver, lock: RunFolderLock | undefined): Promise<TrainRunOutcome> {
  const { settings, saveDir } = request;
  const saved = await import('../runtime/saved-training.js');
  // Read again now that the folder is locked: the state before the lock may be stale.
  const from = request.resumeFrom;
  const state = from !== undefined ? saved.savedState(from) : undefined;
  if (state?.kind === 'finished') return { kind: 'complete', meta: state.meta };
  const { initBackend } = await import('../engine/backend.js');
  const backendInfo = await initBackend(request.backend);
  observer.onBackend?.(backendInfo);
  const backend = backendInfo.name;
  const resumed = state?.kind === 'in-progress' ? await saved.resumeSnapshot(from!) : undefined;
  if (resumed) {
    const t = resumed.snapshot.trainer;
    const savedBackend = resumed.meta.backend;
    observer.onResume?.({ epochsDone: t.epochsDone, stepInEpoch: t.stepInEpoch, stepsPerEpoch: t.stepsPerEpoch, ...(savedBackend && savedBackend !== backend ? { otherBackend: savedBackend } : {}) });
  }
  observer.onStart?.();
  const { space, widths, recipe, data, seed, sparseNonzero } = settings;
  const info: CheckpointInfo = saved.checkpointInfoOf(settings, space.classes, backend);
  const { loadDataset } = await import('../data/registry.js');
  // A slow dataset is read once here with its progress told; bad data fails before any training.
  const dataset = datasetKind(data.name).loadUpFront ? await loadDataset(data, observer.loadHooks) : undefined;
  const { runTraining } = await import('../train/run-training.js');
  const result = await runTraining(
    { space, widths, recipe, seed, data, ...(sparseNonzero !== undefined ? { sparseNonzero } : {}), ...(resumed ? { resume: resumed.snapshot } : {}) },
    { onStep: observer.onStep ? (s) => observer.onStep!(s) : undefined, onEpoch: observer.onEpoch ? (e) => observer.onEpoch!(e) : undefined },
    {
      ...(dataset ? { dataset } : {}),
      checkpointEvery: request.checkpointEvery ?? 0,
      ...(saveDir ? saved.checkpointHooks(saveDir, info, () => stillHeld(lock)) : {}),
    },
  );
  return { kind: 'trained', result, backend };
}
