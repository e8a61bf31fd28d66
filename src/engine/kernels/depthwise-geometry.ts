/**
 * Geometry shared by the depthwise-convolution gradient kernels: the forward depthwise
 * convolution's shape facts (NHWC, dilation 1) from its attributes.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { convGeometry } from './conv-geometry.js';

/** The forward depthwise convolution's geometry (NHWC, dilation 1): `convGeometry`'s depthwise case. */
export function depthwiseGeometry(xShape: number[], filterShape: number[], attrs: Record<string, unknown>): tf.backend_util.Conv2DInfo {
  return convGeometry(xShape, filterShape, attrs, true);
}

/**
 * Calls `visit(b, oy, ox, iy, ix, i, j)` for every (example, output pixel, filter tap) whose input
 * pixel (iy, ix) lies inside the input (padding reads zeros, so it contributes nothing), in
 * memory order of the output.
 */
export function forEachTap(info: tf.backend_util.Conv2DInfo, visit: (b: number, oy: number, ox: number, iy: number, ix: number, i: number, j: number) => void): void {
  const { batchSize, inHeight, inWidth, outHeight, outWidth, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * sh - top;
      const iMin = Math.max(0, -y0), iMax = Math.min(kh, inHeight - y0);
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * sw - left;
        const jMin = Math.max(0, -x0), jMax = Math.min(kw, inWidth - x0);
        for (let i = iMin; i < iMax; i++) for (let j = jMin; j < jMax; j++) visit(b, oy, ox, y0 + i, x0 + j, i, j);
      }
    }
  }
}
