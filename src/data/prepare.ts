/**
 * From raw examples to a `Dataset`: a seeded shuffle of the training split, the last part held out
 * for validation, optional caps, then per-channel standardisation with the mean and standard
 * deviation of the training part only (so validation and test data leak nothing into it).
 */
import { DataError } from '../core/errors.js';
import { createRng, shuffleInPlace } from '../core/rng.js';
import type { DataSplit, Dataset } from '../core/dataset.js';
import type { ImageShape } from '../core/shapes.js';

export interface RawDataset {
  name: string;
  source: string;
  inputShape: ImageShape;
  classes: number;
  /** Pixels in [0, 1] (or any real values for synthetic data), NHWC. */
  train: DataSplit;
  test: DataSplit;
}

export interface PrepareOptions {
  seed?: number;
  validationFraction?: number;
  maxTrain?: number;
  maxTest?: number;
}

function subset(split: DataSplit, size: number, idx: ArrayLike<number>, from: number, to: number): DataSplit {
  const n = Math.max(0, to - from);
  const out: DataSplit = { x: new Float32Array(n * size), y: new Int32Array(n), count: n };
  for (let i = 0; i < n; i++) {
    const src = idx[from + i];
    out.x.set(split.x.subarray(src * size, (src + 1) * size), i * size);
    out.y[i] = split.y[src];
  }
  return out;
}

export function splitAndNormalise(raw: RawDataset, options: PrepareOptions = {}): Dataset {
  const fraction = options.validationFraction ?? 0.1;
  if (!(fraction >= 0 && fraction < 1)) throw new DataError(`validation fraction: expected a number in [0, 1), found ${fraction}`);
  const [h, w, c] = raw.inputShape;
  const size = h * w * c;
  const order = Array.from({ length: raw.train.count }, (_, i) => i);
  shuffleInPlace(order, createRng(`data-split:${options.seed ?? 0}`));
  const validationCount = Math.round(raw.train.count * fraction);
  const trainEnd = raw.train.count - validationCount;
  const trainCount = Math.min(trainEnd, options.maxTrain ?? Infinity);
  const train = subset(raw.train, size, order, 0, trainCount);
  const validation = subset(raw.train, size, order, trainEnd, raw.train.count);
  const testCount = Math.min(raw.test.count, options.maxTest ?? Infinity);
  const test = subset(raw.test, size, Array.from({ length: testCount }, (_, i) => i), 0, testCount);
  if (train.count < 2) throw new DataError(`${raw.name}: only ${train.count} training examples after the validation split; expected at least 2`);

  const mean = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let i = 0; i < train.x.length; i++) {
    const ch = i % c;
    mean[ch] += train.x[i];
    sq[ch] += train.x[i] * train.x[i];
  }
  const pixelsPerChannel = train.x.length / c;
  const std = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    mean[ch] /= pixelsPerChannel;
    std[ch] = Math.sqrt(Math.max(sq[ch] / pixelsPerChannel - mean[ch] * mean[ch], 1e-12));
  }
  for (const split of [train, validation, test]) {
    for (let i = 0; i < split.x.length; i++) {
      const ch = i % c;
      split.x[i] = (split.x[i] - mean[ch]) / std[ch];
    }
  }
  return { name: raw.name, source: raw.source, inputShape: raw.inputShape, classes: raw.classes, train, validation, test };
}
