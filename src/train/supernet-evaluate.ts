/**
 * Reading one width vector from a trained supernet: its batch-norm statistics are recomputed on
 * training images (a sub-network's channels see other inputs than the widest network's, so no
 * shared moving average fits it), then it is scored on a held-out split.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, shuffleInPlace } from '../core/rng.js';
import type { DataSplit } from '../core/dataset.js';
import type { ImageShape, WidthVector } from '../core/shapes.js';
import type { Network } from '../space/network.js';
import { gatherBatch, identityOrder } from './batches.js';
import { disposeStats, type BnStats, type Supernet } from './supernet.js';
import { evaluateForward, type Evaluation } from './trainer.js';

/** How a sub-network is calibrated and scored. */
export interface SubnetReadOptions {
  /** Training images its BN statistics are computed on (default 2,000, at most the split's). */
  calibrationImages?: number;
  /** Images per calibration batch (default 250). */
  calibrationBatch?: number;
  /** Seeds which training images calibrate (default 0): every vector sees the same ones. */
  seed?: number;
  /** Score on the first this many held-out images (default: all of them). */
  heldOutImages?: number;
}

export const DEFAULT_CALIBRATION_IMAGES = 2000;
const DEFAULT_CALIBRATION_BATCH = 250;

/**
 * BN statistics of the sub-network `net` over training images: each layer's mean is the mean of
 * its batch means, its variance the mean of the batch second moments minus that mean squared (the
 * population variance when the batch means agree). Each batch runs with batch statistics, as in
 * training. With a single batch, normalising with these statistics gives that batch's training-
 * mode output exactly. The caller disposes the result (`disposeStats`).
 */
export function calibrate(supernet: Supernet, net: Network, split: DataSplit, shape: ImageShape, options: SubnetReadOptions = {}): BnStats {
  const count = Math.min(split.count, options.calibrationImages ?? DEFAULT_CALIBRATION_IMAGES);
  const batch = Math.max(2, Math.min(count, options.calibrationBatch ?? DEFAULT_CALIBRATION_BATCH));
  const order = identityOrder(split.count);
  shuffleInPlace(order, createRng(`calibrate:${options.seed ?? 0}`));
  const sums = new Map<string, { mean: Float64Array; second: Float64Array; batches: number }>();
  // Equal batches weigh equally: a short trailing batch is dropped (unless it is the only one).
  const batches = Math.max(1, Math.floor(count / batch));
  for (let b = 0; b < batches; b++) {
    const start = b * batch;
    const end = batches === 1 ? count : start + batch;
    const record: BnStats = new Map();
    tf.tidy(() => {
      const { x } = gatherBatch(split, shape, order, start, end);
      supernet.apply(x, net, { kind: 'batch', record });
    });
    for (const [layer, s] of record) {
      const mean = s.mean.dataSync();
      const variance = s.variance.dataSync();
      const acc = sums.get(layer) ?? { mean: new Float64Array(mean.length), second: new Float64Array(mean.length), batches: 0 };
      for (let c = 0; c < mean.length; c++) {
        acc.mean[c] += mean[c];
        acc.second[c] += variance[c] + mean[c] * mean[c];
      }
      acc.batches++;
      sums.set(layer, acc);
    }
    disposeStats(record);
  }
  const stats: BnStats = new Map();
  for (const [layer, acc] of sums) {
    const mean = Float32Array.from(acc.mean, (m) => m / acc.batches);
    const variance = Float32Array.from(acc.second, (s, c) => Math.max(0, s / acc.batches - mean[c] * mean[c]));
    stats.set(layer, { mean: tf.tensor1d(mean), variance: tf.tensor1d(variance) });
  }
  return stats;
}

/** Loss and accuracy of the sub-network `net` on `split`, normalised with `stats`. */
export function evaluateSubnet(supernet: Supernet, net: Network, stats: BnStats, split: DataSplit, shape: ImageShape, batchSize = 500): Evaluation {
  return evaluateForward((x) => supernet.apply(x, net, { kind: 'fixed', stats }), split, shape, batchSize);
}

/** Calibrates the sub-network at `widths` on `train` and scores it on `heldOut`. */
export function readSubnet(supernet: Supernet, widths: WidthVector, train: DataSplit, heldOut: DataSplit, shape: ImageShape, options: SubnetReadOptions = {}): Evaluation {
  const net = supernet.subnet(widths);
  const stats = calibrate(supernet, net, train, shape, options);
  const size = shape[0] * shape[1] * shape[2];
  const count = Math.min(heldOut.count, options.heldOutImages ?? heldOut.count);
  const scored = count === heldOut.count ? heldOut : { x: heldOut.x.subarray(0, count * size), y: heldOut.y.subarray(0, count), count };
  try {
    return evaluateSubnet(supernet, net, stats, scored, shape);
  } finally {
    disposeStats(stats);
  }
}
