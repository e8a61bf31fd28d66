/**
 * Compatibility barrel: the plain types that used to live here, re-exported from the files that
 * now own them, so existing `core/types.js` imports keep working. New code imports from the owner:
 * `core/shapes`, `core/dataset`, `core/recipe`, `trial/*` (the trial contract) and
 * `report/search-summary`. The import-direction test ignores this file's own edges.
 */
export type { ImageShape, WidthVector } from './shapes.js';
export type { DataSpec, DataSplit, Dataset } from './dataset.js';
export type { OptimizerName, OptimizerSpec, ScheduleName, ScheduleSpec, TrainRecipe } from './recipe.js';
export type { TrialTask } from '../trial/task.js';
export type { GroupChannelSnapshot, GroupTelemetry, LayerTelemetry, TrajectoryPointData, TrialEvent, TrialMetrics, TrialResult } from '../trial/result.js';
export type { Evaluator } from '../trial/evaluator.js';
export type { ModelSummary, OnnxSummary, SearchSummary, TrialSummary } from '../report/search-summary.js';
