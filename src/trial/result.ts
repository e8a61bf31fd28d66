/**
 * The trial contract, outbound: what a training measured, as plain data that structured clone can
 * carry across a worker or a network and that lands as is in a journal.
 */
import type { WidthVector } from '../core/shapes.js';

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
  /** Per-epoch training loss and accuracy. */
  history?: { epoch: number; trainLoss: number; trainAccuracy: number; seconds: number }[];
  backend?: string;
  seconds: number;
}

/** Progress from a running trial. */
export interface TrialEvent {
  trialId: number;
  kind: 'started' | 'epoch';
  epoch?: number;
  epochs?: number;
  loss?: number;
}
