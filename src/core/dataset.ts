/**
 * Datasets as plain data: what a caller asks of the data module (`DataSpec`) and what it gets back
 * (`Dataset`). Nothing here holds a tensor, so a spec can travel with a trial to a worker.
 */
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

/** What a caller asks of the data module. */
export interface DataSpec {
  name: string;
  /** Directory for file-based datasets; each dataset has its own default. */
  dataDir?: string;
  /** Fraction of the training split held out for validation (default 0.1). */
  validationFraction?: number;
  /** Seed for shuffling and the validation split. */
  seed?: number;
  /** Cap on training examples (after the validation split), for quick runs. */
  maxTrain?: number;
  /** Cap on test examples. */
  maxTest?: number;
  /** For `folder`: the `[height, width, channels]` images are resized and converted to (the space's input). */
  imageShape?: ImageShape;
  /** For `folder`: bad images and empty classes stop the load (`fail`, default) or are left out and counted (`skip`). */
  badImages?: 'fail' | 'skip';
  /** For `synthetic`: input shape and class count and sizes. */
  synthetic?: { inputShape: ImageShape; classes: number; trainCount: number; testCount: number };
}
