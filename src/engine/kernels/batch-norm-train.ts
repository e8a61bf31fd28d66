/**
 * Training-mode batch norm over every axis but the last (channels) as one kernel: one pass for
 * both moments, one for y. Registered for wasm and for cpu, so that the tests can hold the wasm
 * version against tfjs's own composition on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BLOCK_ROWS, heapOffset, heapScratch, requireFloat, storageOf, type Info, type WasmBackend } from './heap.js';
import { affineRows } from './affine-rows.js';
import { simdKernels, type SimdKernels } from '../simd/kernel-module.js';

/** The kernel's name; outputs y, the batch mean and the biased batch variance. */
export const BATCH_NORM_TRAIN = 'WidthwiseBatchNormTrain';

/**
 * y = gamma * (x - mean) / sqrt(var + eps) + beta with the batch mean and the biased batch variance
 * per channel, written to `y`, `mean`, `variance`: one pass for the statistics, one for y.
 */
export function batchNormTrainLoop(x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, y: Float32Array, mean: Float32Array, variance: Float32Array): void {
  const c = gamma.length;
  const rows = x.length / c;
  // One pass for both moments, shifted by the first row so that E[t^2] - E[t]^2 does not cancel
  // when the mean is large against the spread; float64 sums.
  const ref = Float64Array.from(x.subarray(0, c));
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const end = Math.min(rows, r0 + BLOCK_ROWS) * c;
    for (let d = 0; d < c; d++) {
      const r = ref[d];
      let s1 = 0, s2 = 0;
      for (let i = r0 * c + d; i < end; i += c) {
        const t = x[i] - r;
        s1 += t;
        s2 += t * t;
      }
      sum[d] += s1;
      sq[d] += s2;
    }
  }
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let d = 0; d < c; d++) {
    const shiftedMean = sum[d] / rows;
    const m = ref[d] + shiftedMean;
    const v = Math.max(0, sq[d] / rows - shiftedMean * shiftedMean);
    mean[d] = m;
    variance[d] = v;
    scale[d] = gamma[d] / Math.sqrt(v + eps);
    shift[d] = beta[d] - m * scale[d];
  }
  affineRows(x, scale, undefined, shift, y, c);
}

/**
 * The same on the SIMD kernels (src/engine/simd/batch-norm.as): float32 vector sums per block of
 * rows added into float64 totals, the per-channel arithmetic in float64 here, then one pass for y.
 */
function batchNormTrainSimd(kernels: SimdKernels, backend: WasmBackend, x: Info, scale: Info, offset: Info, eps: number): Info[] {
  const c = x.shape[x.shape.length - 1];
  const rows = x.shape.reduce((p, q) => p * q, 1) / c;
  const [y, mean, variance] = [x.shape, [c], [c]].map((s) => backend.makeOutput(s, 'float32'));
  const scratch = heapScratch(backend);
  try {
    const xAt = heapOffset(backend, x);
    const totals = scratch.takeFloat64(2 * c);
    // Moments shifted by the first row (xAt) so that E[t^2] - E[t]^2 does not cancel.
    kernels.channelSums(xAt, xAt, xAt, xAt, rows, c, totals);
    const sums = scratch.readFloat64(totals, 2 * c);
    const read = (t: Info) => backend.typedArrayFromHeap(t);
    const first = read(x).slice(0, c), gamma = read(scale).slice(), beta = read(offset).slice();
    const m = new Float32Array(c), v = new Float32Array(c), s = new Float32Array(c);
    for (let d = 0; d < c; d++) {
      const shiftedMean = sums[d] / rows;
      m[d] = first[d] + shiftedMean;
      v[d] = Math.max(0, sums[c + d] / rows - shiftedMean * shiftedMean);
      s[d] = gamma[d] / Math.sqrt(v[d] + eps);
    }
    read(mean).set(m);
    read(variance).set(v);
    kernels.channelAffine(xAt, scratch.take(c), xAt, scratch.take(s), heapOffset(backend, mean), scratch.take(beta), heapOffset(backend, y), rows, c);
  } finally {
    scratch.dispose();
  }
  return [y, mean, variance];
}

const batchNormTrainKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, scale, offset } = inputs as { x: Info; scale: Info; offset: Info };
  requireFloat(BATCH_NORM_TRAIN, x, scale, offset);
  const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
  const kernels = simdKernels(backend);
  if (kernels) return batchNormTrainSimd(kernels, backend as unknown as WasmBackend, x, scale, offset, eps);
  const c = x.shape[x.shape.length - 1];
  return storageOf(backend).write([x.shape, [c], [c]], ([y, mean, variance], read) =>
    batchNormTrainLoop(read(x), read(scale), read(offset), eps, y, mean, variance));
};

/** The forward kernel on both backends. */
export const batchNormTrainConfigs: tf.KernelConfig[] = ['wasm', 'cpu'].map((backendName) => ({ kernelName: BATCH_NORM_TRAIN, backendName, kernelFunc: batchNormTrainKernel }));
