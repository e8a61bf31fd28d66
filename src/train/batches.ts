import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../core/rng.js';
import type { DataSplit } from '../core/dataset.js';
import type { ImageShape } from '../core/shapes.js';

/** Random crop after zero padding by `pad` pixels, and a horizontal flip with probability 1/2. */
export interface Augmentation {
  pad: number;
  flip: boolean;
  rng: Rng;
}

/**
 * Copies examples `indices[start..end)` of `split` into a batch tensor [n, h, w, c] and labels [n],
 * augmenting each example when asked (a crop offset and a flip per example, from the rng).
 */
export function gatherBatch(split: DataSplit, shape: ImageShape, indices: ArrayLike<number>, start: number, end: number, augment?: Augmentation): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const [h, w, c] = shape;
  const size = h * w * c;
  const n = end - start;
  const xs = new Float32Array(n * size);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const idx = indices[start + i];
    ys[i] = split.y[idx];
    const src = split.x.subarray(idx * size, (idx + 1) * size);
    if (!augment) {
      xs.set(src, i * size);
      continue;
    }
    // Output pixel (r, q) reads input (r + dr, q + dq), or zero outside: a crop of the padded image.
    const dr = augment.rng.int(2 * augment.pad + 1) - augment.pad;
    const dq = augment.rng.int(2 * augment.pad + 1) - augment.pad;
    const flip = augment.flip && augment.rng.next() < 0.5;
    for (let r = 0; r < h; r++) {
      const sr = r + dr;
      if (sr < 0 || sr >= h) continue;
      for (let q = 0; q < w; q++) {
        const sq = (flip ? w - 1 - q : q) + dq;
        if (sq < 0 || sq >= w) continue;
        xs.set(src.subarray((sr * w + sq) * c, (sr * w + sq + 1) * c), i * size + (r * w + q) * c);
      }
    }
  }
  return { x: tf.tensor4d(xs, [n, ...shape]), y: tf.tensor1d(ys, 'int32') };
}

/** 0..n-1 as an Int32Array. */
export function identityOrder(n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}
