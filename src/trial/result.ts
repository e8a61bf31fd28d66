/**
 * The trial contract, outbound: what a training measured, as plain data that structured clone can
 * carry across a worker or a network and that lands as is in a journal.
 */
import type { WidthVector } from '../core/shapes.js';
import type { TrialTask } from './task.js';

/** A point of a layer's weight-norm telemetry. */
export interface TrajectoryPointData {
  epoch: number;
  step: number;
  variance: number;
  mean: number;
  min: number;
  max: number;
}

/** Per-layer telemetry of one trial: both norm kinds where defined. */
export interface LayerTelemetry {
  layer: string;
  group: string | null;
  width: number;
  /** Outgoing-weight norm statistics per record. */
  outgoing: TrajectoryPointData[];
  /** Paired norm statistics per record; absent where the next consumer is not unique. */
  paired?: TrajectoryPointData[];
}

/**
 * The per-channel ingredients of every norm kind for one width group at one record: enough to
 * compute any norm kind afterwards (see `src/variance/norm-kinds.ts`). Channel c of a group is
 * channel c of each of its layers (a residual stream shares its channels).
 */
export interface GroupChannelSnapshot {
  epoch: number;
  step: number;
  /** Root-sum-square over the group's layers of each output channel's kernel L2 norm. */
  outgoing: number[];
  /** L2 norm of the weights that read each channel, over every distinct reader; null without readers. */
  reader: number[] | null;
  /** |BN scale| per channel (root-sum-square over the group's BN layers); null without BN. */
  gamma: number[] | null;
  /** L2 norm of each output channel's kernel change since the first record (root-sum-square over layers). */
  displacement: number[];
}

/** Per-group channel telemetry of one trial, in record order. */
export interface GroupTelemetry {
  group: string;
  width: number;
  /** The group's weighted layers. */
  layers: string[];
  points: GroupChannelSnapshot[];
}

export interface TrialMetrics {
  validationAccuracy: number;
  testAccuracy: number;
  trainLoss: number;
  params: number;
  macs: number;
  /** Nonzero conv/dense kernel weights at the end of training. */
  nonzeroWeights?: number;
}

/** What an evaluator returns for a task; `failed` carries the reason, never a throw. */
export interface TrialResult {
  trialId: number;
  status: 'ok' | 'failed';
  reason?: string;
  widths: WidthVector;
  metrics?: TrialMetrics;
  telemetry?: LayerTelemetry[];
  /** Per-group channel ingredients of every norm kind, at the same records as `telemetry`. */
  groupTelemetry?: GroupTelemetry[];
  /** Per-epoch training loss and accuracy. */
  history?: { epoch: number; trainLoss: number; trainAccuracy: number; seconds: number }[];
  backend?: string;
  /** `dataFingerprint` of the examples trained on, when the task gave one to check (a queued search). */
  dataSha256?: string;
  seconds: number;
}

/** Progress from a running trial. */
export interface TrialEvent {
  trialId: number;
  /** `resumed`: continued from its checkpoint after `epoch` epochs (all of them: finished before). */
  kind: 'started' | 'epoch' | 'resumed';
  epoch?: number;
  epochs?: number;
  loss?: number;
  /** Why a saving task does not continue the checkpoint it found (`started`). */
  note?: string;
}

/**
 * The one way to say that a trial failed: its id and widths, the reason (what went wrong, in one
 * line), the seconds since `startedMs` (a `performance.now()` reading) and the backend, when one had started.
 */
export function failedResult(task: Pick<TrialTask, 'trialId' | 'widths'>, reason: string, startedMs: number, backend?: string): TrialResult {
  return {
    trialId: task.trialId, status: 'failed', reason, widths: [...task.widths],
    ...(backend !== undefined ? { backend } : {}),
    seconds: (performance.now() - startedMs) / 1000,
  };
}
