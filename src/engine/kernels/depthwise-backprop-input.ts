/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend, which ships the depthwise forward pass
 * (XNNPACK) but no gradient of it: the compiled SIMD kernel (src/engine/simd/depthwise-grad.as)
 * for one output per channel, a loop on the heap otherwise (any channel multiplier, or no SIMD
 * build). NHWC, dilation 1.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, requireFloat, storageOf, type Info, type KernelArgs, type WasmBackend } from './heap.js';
import { depthwiseGeometry, forEachTap } from './depthwise-geometry.js';
import { depthwiseSimd } from './depthwise-simd.js';

/**
 * dx[b, iy, ix, c] = sum over the output pixels and taps that read (iy, ix) of
 * dy[b, oy, ox, c*M + m] * w[i, j, c, m]: each (output pixel, tap) adds its row of dy, weighted
 * channel by channel, into one input pixel. Rows are contiguous in C, so every pass is sequential.
 */
export function depthwiseInputGradLoop(dy: Float32Array, w: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { inHeight, inWidth, inChannels: c, outHeight, outWidth, outChannels, filterWidth: kw } = info;
  const m = outChannels / c;
  forEachTap(info, (b, oy, ox, iy, ix, i, j) => {
    const g = ((b * outHeight + oy) * outWidth + ox) * outChannels;
    const to = ((b * inHeight + iy) * inWidth + ix) * c;
    const tap = (i * kw + j) * outChannels;
    if (m === 1) {
      for (let d = 0; d < c; d++) dx[to + d] += dy[g + d] * w[tap + d];
    } else {
      for (let d = 0; d < c; d++) {
        let sum = 0;
        for (let q = 0; q < m; q++) sum += dy[g + d * m + q] * w[tap + d * m + q];
        dx[to + d] += sum;
      }
    }
  });
}

function depthwiseBackpropInput({ inputs, backend, attrs }: KernelArgs): Info {
  const { dy, filter } = inputs;
  requireFloat('DepthwiseConv2dNativeBackpropInput', dy, filter);
  const inputShape = attrs.inputShape as number[];
  const info = depthwiseGeometry(inputShape, filter.shape, attrs);
  const storage = storageOf(backend);
  const simd = info.outChannels === info.inChannels ? depthwiseSimd(backend) : undefined;
  const [dx] = storage.write([inputShape], ([out], read) => {
    if (!simd) return depthwiseInputGradLoop(read(dy), read(filter), out, info);
    const heap = backend as unknown as WasmBackend;
    simd.depthwiseInputGrad(
      heapOffset(heap, dy), heapOffset(heap, filter), out.byteOffset,
      info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
      info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
    );
  });
  return dx;
}

/** The depthwise input gradient on wasm. */
export const depthwiseBackpropInputConfig: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput as unknown as tf.KernelFunc,
};
