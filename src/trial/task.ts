/**
 * The trial contract, inbound: one proxy or final training as plain data. It carries the validated
 * space itself, so a worker (or another machine) never reads a space file. `trialTaskSchema` is its
 * one declaration: the type comes from it, and the queue checks a task from the network against it
 * (`runtime/queued-task`), as a worker thread checks the tasks it is handed.
 */
import { z } from 'zod';
import { BACKEND_CHOICES } from '../core/backend-choice.js';
import { dataFingerprintSchema, dataSpecSchema } from '../core/dataset.js';
import { trainRecipeSchema } from '../core/recipe.js';
import type { SearchSpace } from '../space/types.js';

const count = z.number().int().nonnegative();

/**
 * One training, as plain data: what an evaluator needs and nothing live. The space's shape is
 * only asserted here (an object): `space/validate` is its check, which the queue runs.
 */
export const trialTaskSchema = z.object({
  /** Unique within a study; final trainings use negative ids of their own (see `pipeline/final-trainings`). */
  trialId: z.number().int(),
  /** The validated space itself (plain data), so workers need not read files. */
  space: z.custom<SearchSpace>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected a space object'),
  widths: z.array(z.number().int().positive()).min(1),
  /** Seeds weights; derived from (study seed, trial number). */
  seed: z.number().int(),
  data: dataSpecSchema,
  recipe: trainRecipeSchema,
  /** Also record telemetry every k steps (0 or absent: per epoch only). */
  recordEvery: count.optional(),
  /**
   * `auto` or a backend name, as for the CLI's --backend (typed as a string: a study's config
   * holds it so; the check is the list's).
   */
  backend: z.string().refine((b) => (BACKEND_CHOICES as readonly string[]).includes(b), (b) => ({ message: `unknown backend ${JSON.stringify(b)} (expected one of ${BACKEND_CHOICES.join(', ')})` })).optional(),
  /** Wall-clock limit in seconds; the trial fails with a reason when it is passed. */
  timeoutSeconds: z.number().positive().optional(),
  /** Wide & sparse: keep exactly this many nonzero kernel weights (static random mask). */
  sparseNonzero: count.optional(),
  /**
   * How many trials of the study evaluated these widths before this one (0 for the first): a
   * sampler may evaluate a vector again to confirm it. Evaluators that train ignore it (the seed
   * differs); a table uses it to read another recorded training.
   */
  evaluation: count.optional(),
  /**
   * `dataFingerprint` of the examples the controller holds for `data`: a worker whose own examples
   * differ (other files under its --data-dir) refuses to train (a queued search sets it).
   */
  dataSha256: dataFingerprintSchema.optional(),
  /** Save the trained model as a checkpoint in this folder (final trainings). */
  saveTo: z.string().optional(),
});

/** One training, as plain data: what an evaluator needs and nothing live. */
export type TrialTask = z.infer<typeof trialTaskSchema>;
