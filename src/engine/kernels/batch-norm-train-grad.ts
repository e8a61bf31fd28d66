/** The backward kernel of training-mode batch norm: one pass for the two sums, one for dx. */
import * as tf from '@tensorflow/tfjs-core';
import { BLOCK_ROWS, heapOffset, heapScratch, requireFloat, storageOf, type Info, type WasmBackend } from './heap.js';
import { affineRows } from './affine-rows.js';
import { simdKernels, type SimdKernels } from '../simd/kernel-module.js';

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

/**
 * The same on the SIMD kernels (src/engine/simd/batch-norm.as): the two sums per channel as
 * float32 vector sums per block of rows added into float64 totals, the per-channel arithmetic in
 * float64 here, then one pass for dx = a dy + k (x - mean) + b.
 */
function batchNormTrainGradSimd(kernels: SimdKernels, backend: WasmBackend, t: Record<string, Info>, eps: number): Info[] {
  const { dy, x } = t;
  const c = x.shape[x.shape.length - 1];
  const rows = x.shape.reduce((p, q) => p * q, 1) / c;
  const [dx, dGamma, dBeta] = [x.shape, [c], [c]].map((s) => backend.makeOutput(s, 'float32'));
  const scratch = heapScratch(backend);
  try {
    const totals = scratch.takeFloat64(2 * c);
    const dyAt = heapOffset(backend, dy), xAt = heapOffset(backend, x), meanAt = heapOffset(backend, t.mean);
    kernels.channelSums(dyAt, scratch.take(c), xAt, meanAt, rows, c, totals);
    const sums = scratch.readFloat64(totals, 2 * c);
    const read = (i: Info) => backend.typedArrayFromHeap(i).slice();
    const [gamma, variance, dMean, dVariance] = [t.scale, t.variance, t.dMean, t.dVariance].map(read);
    const a = new Float32Array(c), k = new Float32Array(c), b = new Float32Array(c), g = new Float32Array(c), be = new Float32Array(c);
    for (let d = 0; d < c; d++) {
      const s1 = sums[d], s2 = sums[c + d];
      const r = 1 / Math.sqrt(variance[d] + eps);
      be[d] = s1;
      g[d] = r * s2;
      a[d] = gamma[d] * r;
      k[d] = (-gamma[d] * r * r * r * s2 + 2 * dVariance[d]) / rows;
      b[d] = (dMean[d] - a[d] * s1) / rows;
    }
    backend.typedArrayFromHeap(dGamma).set(g);
    backend.typedArrayFromHeap(dBeta).set(be);
    kernels.channelAffine(dyAt, scratch.take(a), xAt, scratch.take(k), meanAt, scratch.take(b), heapOffset(backend, dx), rows, c);
  } finally {
    scratch.dispose();
  }
  return [dx, dGamma, dBeta];
}

const batchNormTrainGradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, scale, mean, variance, dMean, dVariance } = inputs as Record<string, Info>;
  requireFloat(BATCH_NORM_TRAIN_GRAD, dy, x, scale, mean, variance, dMean, dVariance);
  const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
  const kernels = simdKernels(backend);
  if (kernels) return batchNormTrainGradSimd(kernels, backend as unknown as WasmBackend, inputs as Record<string, Info>, eps);
  const c = x.shape[x.shape.length - 1];
  return storageOf(backend).write([x.shape, [c], [c]], ([dx, dGamma, dBeta], read) =>
    batchNormTrainGradLoop(read(dy), read(x), read(scale), read(mean), read(variance), read(dMean), read(dVariance), eps, dx, dGamma, dBeta));
};

/** The backward kernel on both backends. */
export const batchNormTrainGradConfigs: tf.KernelConfig[] = ['wasm', 'cpu'].map((backendName) => ({ kernelName: BATCH_NORM_TRAIN_GRAD, backendName, kernelFunc: batchNormTrainGradKernel }));
