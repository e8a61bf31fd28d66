import * as tf from '@tensorflow/tfjs';
import type { DataSplit, ImageShape } from '../core/types.js';

/** Copies examples `indices[start..end)` of `split` into a batch tensor [n, h, w, c] and labels [n]. */
export function gatherBatch(split: DataSplit, shape: ImageShape, indices: ArrayLike<number>, start: number, end: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const size = shape[0] * shape[1] * shape[2];
  const n = end - start;
  const xs = new Float32Array(n * size);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const idx = indices[start + i];
    xs.set(split.x.subarray(idx * size, (idx + 1) * size), i * size);
    ys[i] = split.y[idx];
  }
  return { x: tf.tensor4d(xs, [n, ...shape]), y: tf.tensor1d(ys, 'int32') };
}

/** 0..n-1 as an Int32Array. */
export function identityOrder(n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}
