/** The backward kernel of training-mode batch norm: one pass for the two sums, one for dx. */
import * as tf from '@tensorflow/tfjs';
import { BLOCK_ROWS, requireFloat, storageOf, type Info } from './heap.js';
import { affineRows } from './affine-rows.js';

/** The kernel's name; outputs dx, dgamma, dbeta. */
export const BATCH_NORM_TRAIN_GRAD = 'WidthwiseBatchNormTrainGrad';

/**
 * Gradients of the batch-norm kernel's three outputs (y, mean, variance) with respect to x, gamma
 * and beta. With r = 1/sqrt(var + eps), N rows, S1 = sum dy and S2 = sum dy * (x - mean) per channel:
 *   dbeta = S1,  dgamma = r * S2,
 *   dx = gamma r dy - gamma r S1 / N - gamma r^3 S2 (x - mean) / N   (through y)
 *        + dmean / N + 2 dvar (x - mean) / N                         (through the statistics).
 */
export function batchNormTrainGradLoop(
  dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, variance: Float32Array, dMean: Float32Array, dVariance: Float32Array, eps: number,
  dx: Float32Array, dGamma: Float32Array, dBeta: Float32Array,
): void {
  const c = gamma.length;
  const rows = x.length / c;
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const end = Math.min(rows, r0 + BLOCK_ROWS) * c;
    for (let d = 0; d < c; d++) {
      const m = mean[d];
      let t1 = 0, t2 = 0;
      for (let i = r0 * c + d; i < end; i += c) {
        const g = dy[i];
        t1 += g;
        t2 += g * (x[i] - m);
      }
      s1[d] += t1;
      s2[d] += t2;
    }
  }
  const a = new Float64Array(c);
  const k = new Float64Array(c);
  const b = new Float64Array(c);
  for (let d = 0; d < c; d++) {
    const r = 1 / Math.sqrt(variance[d] + eps);
    dBeta[d] = s1[d];
    dGamma[d] = r * s2[d];
    a[d] = gamma[d] * r;
    k[d] = (-gamma[d] * r * r * r * s2[d] + 2 * dVariance[d]) / rows;
    // dx = a dy + k (x - mean) + (dmean - a S1) / N, folded into a dy + k x + b.
    b[d] = (dMean[d] - a[d] * s1[d]) / rows - k[d] * mean[d];
  }
  affineRows(dy, a, { x, k }, b, dx, c);
}

const batchNormTrainGradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, scale, mean, variance, dMean, dVariance } = inputs as Record<string, Info>;
  requireFloat(BATCH_NORM_TRAIN_GRAD, dy, x, scale, mean, variance, dMean, dVariance);
  const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
  const c = x.shape[x.shape.length - 1];
  return storageOf(backend).write([x.shape, [c], [c]], ([dx, dGamma, dBeta], read) =>
    batchNormTrainGradLoop(read(dy), read(x), read(scale), read(mean), read(variance), read(dMean), read(dVariance), eps, dx, dGamma, dBeta));
};

/** The backward kernel on both backends. */
export const batchNormTrainGradConfigs: tf.KernelConfig[] = ['wasm', 'cpu'].map((backendName) => ({ kernelName: BATCH_NORM_TRAIN_GRAD, backendName, kernelFunc: batchNormTrainGradKernel }));
