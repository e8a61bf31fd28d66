export type { TrialTask } from './task.js';
export type { GroupChannelSnapshot, GroupTelemetry, LayerTelemetry, TrajectoryPointData, TrialEvent, TrialMetrics, TrialResult } from './result.js';
export type { Evaluator } from './evaluator.js';
