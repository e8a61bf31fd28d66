/**
 * Geometry shared by the depthwise-convolution gradient kernels: the forward depthwise
 * convolution's shape facts (NHWC, dilation 1) from its attributes.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * The forward depthwise convolution of an input of `xShape` with a [kh, kw, C, M] filter (M
 * outputs per input channel), from its attributes. Throws for NCHW or a dilation other than 1.
 */
export function depthwiseGeometry(xShape: number[], filterShape: number[], attrs: Record<string, unknown>): tf.backend_util.Conv2DInfo {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides as number | [number, number], (attrs.dilations as number | [number, number]) ?? 1,
    attrs.pad as 'same' | 'valid' | number, attrs.dimRoundingMode as 'floor' | undefined, true,
    tf.backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW') ?? 'NHWC'),
  );
  if (info.dataFormat !== 'channelsLast') throw new Error('widthwise wasm depthwise gradients support NHWC only');
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) throw new Error('widthwise wasm depthwise gradients support dilation 1 only');
  return info;
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
