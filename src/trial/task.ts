/**
 * The trial contract, inbound: one proxy or final training as plain data. It carries the validated
 * space itself, so a worker (or another machine) never reads a space file.
 */
import type { DataSpec } from '../core/dataset.js';
import type { TrainRecipe } from '../core/recipe.js';
import type { WidthVector } from '../core/shapes.js';
import type { SearchSpace } from '../space/types.js';

/** One training, as plain data: what an evaluator needs and nothing live. */
export interface TrialTask {
  /** Unique within a study; final trainings use ids of their own (see `pipeline/final-trainings`). */
  trialId: number;
  /** The validated space itself (plain data), so workers need not read files. */
  space: SearchSpace;
  widths: WidthVector;
  /** Seeds weights; derived from (study seed, trial number). */
  seed: number;
  data: DataSpec;
  recipe: TrainRecipe;
  /** Also record telemetry every k steps (0 or absent: per epoch only). */
  recordEvery?: number;
  /** `auto` or a backend name, as for the CLI's --backend. */
  backend?: string;
  /** Wall-clock limit in seconds; the trial fails with a reason when it is passed. */
  timeoutSeconds?: number;
  /** Wide & sparse: keep exactly this many nonzero kernel weights (static random mask). */
  sparseNonzero?: number;
  /**
   * How many trials of the study evaluated these widths before this one (0 for the first): a
   * sampler may evaluate a vector again to confirm it. Evaluators that train ignore it (the seed
   * differs); a table uses it to read another recorded training.
   */
  evaluation?: number;
  /**
   * `dataFingerprint` of the examples the controller holds for `data`: a worker whose own examples
   * differ (other files under its --data-dir) refuses to train (a queued search sets it).
   */
  dataSha256?: string;
  /** Save the trained model as a checkpoint in this folder (final trainings). */
  saveTo?: string;
}
