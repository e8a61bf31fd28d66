/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend, which ships the depthwise forward pass
 * (XNNPACK) but no gradient of it: the compiled SIMD kernel (src/engine/simd/depthwise-grad.as)
 * for one output per channel, a loop on the heap otherwise (any channel multiplier, or no SIMD
 * build). NHWC, dilation 1.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, heapScratch, requireFloat, storageOf, type Info, type KernelArgs, type WasmBackend } from './heap.js';
import { depthwiseGeometry, forEachTap } from './depthwise-geometry.js';
import { depthwiseSimd } from './depthwise-simd.js';

/**
 * dw[i, j, c, m] = sum over examples and output pixels of dy[b, oy, ox, c*M + m] * x[b, iy, ix, c]
 * with (iy, ix) the input pixel tap (i, j) reads. Sums are kept in float64 (a filter weight sums
 * batch x Ho x Wo products), then rounded once into `dw`.
 */
export function depthwiseFilterGradLoop(x: Float32Array, dy: Float32Array, dw: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { inHeight, inWidth, inChannels: c, outHeight, outWidth, outChannels, filterWidth: kw } = info;
  const m = outChannels / c;
  const sums = new Float64Array(dw.length);
  forEachTap(info, (b, oy, ox, iy, ix, i, j) => {
    const g = ((b * outHeight + oy) * outWidth + ox) * outChannels;
    const from = ((b * inHeight + iy) * inWidth + ix) * c;
    const tap = (i * kw + j) * outChannels;
    if (m === 1) {
      for (let d = 0; d < c; d++) sums[tap + d] += dy[g + d] * x[from + d];
    } else {
      for (let d = 0; d < c; d++) {
        const v = x[from + d];
        for (let q = 0; q < m; q++) sums[tap + d * m + q] += dy[g + d * m + q] * v;
      }
    }
  });
  dw.set(sums);
}

function depthwiseBackpropFilter({ inputs, backend, attrs }: KernelArgs): Info {
  const { x, dy } = inputs;
  requireFloat('DepthwiseConv2dNativeBackpropFilter', x, dy);
  const filterShape = attrs.filterShape as number[];
  const info = depthwiseGeometry(x.shape, filterShape, attrs);
  const storage = storageOf(backend);
  const simd = info.outChannels === info.inChannels ? depthwiseSimd(backend) : undefined;
  if (!simd) return storage.write([filterShape], ([out], read) => depthwiseFilterGradLoop(read(x), read(dy), out, info))[0];
  const heap = backend as unknown as WasmBackend;
  // One example's partial sums; allocated before the output so no allocation moves the heap after.
  const scratch = heapScratch(heap);
  try {
    const partial = scratch.take(filterShape.reduce((a, b) => a * b, 1));
    return storage.write([filterShape], ([out]) => {
      simd.depthwiseFilterGrad(
        heapOffset(heap, x), heapOffset(heap, dy), out.byteOffset, partial,
        info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
        info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
      );
    })[0];
  } finally {
    scratch.dispose();
  }
}

/** The depthwise filter gradient on wasm. */
export const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter as unknown as tf.KernelFunc,
};
