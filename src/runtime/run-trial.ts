/**
 * Runs one `TrialTask` where it stands (main thread or worker): starts the backend, loads the data
 * (cached per worker), trains with telemetry, and returns a `TrialResult`. It never throws for a
 * failing trial: the failure is the result, with its reason.
 */
import type { DataSpec, Dataset } from '../core/dataset.js';
import { failedResult, type TrialEvent, type TrialResult } from '../trial/result.js';
import type { TrialTask } from '../trial/task.js';
import { loadDataset } from '../data/registry.js';
import { dataFingerprint } from '../data/fingerprint.js';
import type { BackendChoice } from '../core/backend-choice.js';
import { initBackend } from '../engine/backend.js';
import { resolveNetwork } from '../space/network.js';
import { runTraining } from '../train/run-training.js';
import { dataSpecFor } from '../data/synthetic.js';
import { TelemetryRecorder } from '../train/telemetry.js';
import { WidthwiseError } from '../core/errors.js';
import type { CheckpointInfo, CheckpointMeta } from '../export/checkpoint.js';
import type { TrainingSnapshot } from '../train/run-training.js';
import { checkpointHooks, checkpointInfoOf, finishedTraining, resumeSnapshot, savedState } from './saved-training.js';

const datasets = new Map<string, Promise<Dataset>>();
const fingerprints = new WeakMap<Dataset, string>();

/** `dataFingerprint` of a loaded dataset, computed once per dataset (it hashes every example). */
function fingerprintOf(data: Dataset): string {
  let sha = fingerprints.get(data);
  if (sha === undefined) {
    sha = dataFingerprint(data);
    fingerprints.set(data, sha);
  }
  return sha;
}

/** Loads a dataset once per thread; trials with the same spec share it. */
function cachedDataset(spec: DataSpec): Promise<Dataset> {
  const key = JSON.stringify(spec);
  let data = datasets.get(key);
  if (!data) {
    data = loadDataset(spec);
    datasets.set(key, data);
    data.catch(() => datasets.delete(key));
  }
  return data;
}

/**
 * What a saving task finds in its folder, with the tensors it needs read: a finished training's
 * kept model (for its nonzero weights), or the snapshot to continue. A checkpoint that cannot be
 * read is reported and trained over (the journal says whether the training finished).
 */
async function trialCheckpoint(dir: string, expected: CheckpointInfo): Promise<
  | { kind: 'none'; reason?: string }
  | { kind: 'in-progress'; snapshot: TrainingSnapshot }
  | { kind: 'finished'; meta: CheckpointMeta; nonzeroWeights: number }
> {
  const state = savedState(dir, expected);
  try {
    if (state.kind === 'finished') return { kind: 'finished', ...(await finishedTraining(dir)) };
    if (state.kind === 'in-progress') return { kind: 'in-progress', snapshot: (await resumeSnapshot(dir)).snapshot };
    return state;
  } catch (err) {
    if (!(err instanceof WidthwiseError)) throw err;
    return { kind: 'none', reason: `${err.message}; training afresh` };
  }
}

export async function runTrial(task: TrialTask, onEvent?: (e: TrialEvent) => void, signal?: AbortSignal): Promise<TrialResult> {
  const started = performance.now();
  // `--dataset synthetic` is made in the space's input shape (and recorded so in checkpoints).
  task = { ...task, data: dataSpecFor(task.data, task.space) };
  const failed = (reason: string, backend?: string): TrialResult => failedResult(task, reason, started, backend);
  let backend: string | undefined;
  try {
    backend = (await initBackend((task.backend ?? 'auto') as BackendChoice)).name;
    const dataset = await cachedDataset(task.data);
    // A queued search's examples must be the controller's: other files under this machine's
    // --data-dir would make its accuracies incomparable with the rest of the study.
    const dataSha256 = task.dataSha256 !== undefined ? fingerprintOf(dataset) : undefined;
    if (dataSha256 !== undefined && dataSha256 !== task.dataSha256) {
      return failed(`data mismatch: this worker's ${task.data.name} examples (${dataset.train.count} train + ${dataset.validation.count} validation from ${dataset.source}) have fingerprint ${dataSha256.slice(0, 12)}, the controller's have ${task.dataSha256!.slice(0, 12)}; give this worker a --data-dir with the same files`, backend);
    }
    const classes = dataset.classes;
    const net = resolveNetwork(task.space, task.widths, classes);
    // A task that saves checkpoints as it goes continues its own checkpoint, and a finished one is
    // not trained again (a search killed during its final trainings resumes them so).
    const info = task.saveTo ? checkpointInfoOf(task, classes, backend) : undefined;
    const saved = task.saveTo ? await trialCheckpoint(task.saveTo, checkpointInfoOf(task, classes, undefined)) : { kind: 'none' as const };
    if (saved.kind === 'finished') {
      const m = saved.meta.metrics!;
      onEvent?.({ trialId: task.trialId, kind: 'resumed', epoch: task.recipe.epochs, epochs: task.recipe.epochs });
      return {
        trialId: task.trialId, status: 'ok', widths: task.widths,
        metrics: { validationAccuracy: m.validationAccuracy, testAccuracy: m.testAccuracy, trainLoss: m.trainLoss, params: m.params, macs: m.macs, nonzeroWeights: saved.nonzeroWeights },
        history: (saved.meta.history ?? []).map((e) => ({ epoch: e.epoch, trainLoss: e.trainLoss, trainAccuracy: e.trainAccuracy, seconds: e.seconds })),
        backend, seconds: (performance.now() - started) / 1000,
      };
    }
    const resume = saved.kind === 'in-progress' ? saved.snapshot : undefined;
    const recorder = new TelemetryRecorder(net);
    onEvent?.({ trialId: task.trialId, kind: 'started', epochs: task.recipe.epochs, ...(saved.kind === 'none' && saved.reason ? { note: saved.reason } : {}) });
    if (resume) onEvent?.({ trialId: task.trialId, kind: 'resumed', epoch: resume.trainer.epochsDone, epochs: task.recipe.epochs });
    let stepsPerEpoch = 1;
    const result = await runTraining(
      { space: task.space, widths: task.widths, data: task.data, recipe: task.recipe, seed: task.seed, classes, net, sparseNonzero: task.sparseNonzero, ...(resume ? { resume } : {}) },
      {
        signal,
        onStart: (model) => recorder.record(model, 0, 0),
        onStep: (s, model) => {
          stepsPerEpoch = s.stepsPerEpoch;
          const k = task.recordEvery ?? 0;
          const global = (s.epoch - 1) * s.stepsPerEpoch + s.step;
          if (k > 0 && global % k === 0 && s.step !== s.stepsPerEpoch) recorder.record(model, s.epoch - 1 + s.step / s.stepsPerEpoch, global);
        },
        onEpoch: (e, model) => {
          recorder.record(model, e.epoch, e.epoch * stepsPerEpoch);
          onEvent?.({ trialId: task.trialId, kind: 'epoch', epoch: e.epoch, epochs: task.recipe.epochs, loss: e.trainLoss });
        },
      },
      {
        dataset,
        // Saving tasks checkpoint at every epoch end: a kill loses at most the epoch in progress.
        ...(info ? checkpointHooks(task.saveTo!, info) : {}),
      },
    );
    return {
      trialId: task.trialId,
      status: 'ok',
      widths: task.widths,
      metrics: {
        validationAccuracy: result.validationAccuracy, testAccuracy: result.testAccuracy,
        trainLoss: result.trainLoss, params: result.params, macs: result.macs, nonzeroWeights: result.nonzeroWeights,
      },
      telemetry: recorder.result(),
      groupTelemetry: recorder.groupResult(),
      history: result.epochs.map((e) => ({ epoch: e.epoch, trainLoss: e.trainLoss, trainAccuracy: e.trainAccuracy, seconds: e.seconds })),
      backend,
      ...(dataSha256 !== undefined ? { dataSha256 } : {}),
      seconds: (performance.now() - started) / 1000,
    };
  } catch (err) {
    return failed(err instanceof Error ? `${err.name}: ${err.message}` : String(err), backend);
  }
}
