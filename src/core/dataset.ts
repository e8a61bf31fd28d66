/**
 * Datasets as plain data: what a caller asks of the data module (`DataSpec`) and what it gets back
 * (`Dataset`). Nothing here holds a tensor, so a spec can travel with a trial to a worker.
 */
import { z } from 'zod';
import type { ImageShape } from './shapes.js';

/** Examples of one split, normalised, in NHWC order, labels as class indices. */
export interface DataSplit {
  /** `count * h * w * c` floats, example-major, NHWC. */
  x: Float32Array;
  /** `count` class indices in [0, classes). */
  y: Int32Array;
  count: number;
}

/** A dataset ready for training: three splits of the same shape and class count. */
export interface Dataset {
  /** Registry name, e.g. `mnist`, `fashion-mnist`, `cifar10`. */
  name: string;
  /** Where it came from (a directory, a package), for reports. */
  source: string;
  inputShape: ImageShape;
  classes: number;
  /** Training part (the training split minus the validation part). */
  train: DataSplit;
  /** Held-out part of the training split, used by the search; never the test split. */
  validation: DataSplit;
  test: DataSplit;
}

const positive = z.number().int().positive();
const count = z.number().int().nonnegative();
/** `[height, width, channels]`, each a positive integer. */
export const imageShapeSchema = z.tuple([positive, positive, positive]);

/**
 * What a caller asks of the data module: the one schema of a data spec, which a trial task, a
 * queued task and a checkpoint are checked against (each says what it does with unknown fields).
 */
export const dataSpecSchema = z.object({
  name: z.string().min(1),
  /** Directory for file-based datasets; each dataset has its own default. */
  dataDir: z.string().optional(),
  /** Fraction of the training split held out for validation (default 0.1). */
  validationFraction: z.number().min(0).lt(1).optional(),
  /** Seed for shuffling and the validation split. */
  seed: z.number().int().optional(),
  /** Cap on training examples (after the validation split), for quick runs. */
  maxTrain: positive.optional(),
  /** Cap on test examples. */
  maxTest: positive.optional(),
  /** For `folder`: the `[height, width, channels]` images are resized and converted to (the space's input). */
  imageShape: imageShapeSchema.optional(),
  /** For `folder`: bad images and empty classes stop the load (`fail`, default) or are left out and counted (`skip`). */
  badImages: z.enum(['fail', 'skip']).optional(),
  /** For `synthetic`: input shape and class count and sizes. */
  synthetic: z.object({ inputShape: imageShapeSchema, classes: positive, trainCount: count, testCount: count }).optional(),
});

/** `dataFingerprint` of a dataset's examples: a SHA-256 in lower-case hex. */
export const dataFingerprintSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex (64 digits 0-9a-f)');

/** What a caller asks of the data module. */
export type DataSpec = z.infer<typeof dataSpecSchema>;
