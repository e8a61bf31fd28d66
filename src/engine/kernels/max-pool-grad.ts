/**
 * MaxPoolGrad for the wasm backend as a loop on the heap (the SIMD kernel for 2x2 stride-2
 * windows): the shipped kernel (tfjs-backend-wasm 4.22) is a slow loop and disagrees with the cpu
 * backend for some shapes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, requireFloat, storageOf, type Info, type WasmBackend } from './heap.js';
import { simdKernels } from '../simd/kernel-module.js';

/**
 * dx of a 2-D max pool (NHWC): each output's gradient goes to the first maximum of its window in
 * row-major order (strict >, the cpu backend's rule), windows clipped to the input. The window is
 * walked pixel by pixel with all channels of a pixel in one run, so memory is read in order.
 */
export function maxPoolGradLoop(dy: Float32Array, x: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  if (isPlain2x2(info)) return maxPoolGrad2x2(dy, x, dx, info);
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, dilationHeight: dh, dilationWidth: dw } = info;
  const padTop = info.padInfo.top, padLeft = info.padInfo.left;
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * inWidth * c;
    for (let oy = 0; oy < outHeight; oy++) {
      const top = oy * strideHeight - padTop;
      let rMin = top;
      while (rMin < 0) rMin += dh;
      const rMax = Math.min(inHeight, top + fh);
      for (let ox = 0; ox < outWidth; ox++) {
        const left = ox * strideWidth - padLeft;
        let cMin = left;
        while (cMin < 0) cMin += dw;
        const cMax = Math.min(inWidth, left + fw);
        best.fill(-Infinity);
        where.fill(-1);
        for (let r = rMin; r < rMax; r += dh) {
          for (let col = cMin; col < cMax; col += dw) {
            const base = xBatch + (r * inWidth + col) * c;
            for (let d = 0; d < c; d++) {
              const v = x[base + d];
              if (v > best[d]) {
                best[d] = v;
                where[d] = base + d;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * c;
        for (let d = 0; d < c; d++) if (where[d] >= 0) dx[where[d]] += dy[dyBase + d];
      }
    }
  }
}

/** A 2x2 window with stride 2, every window inside the input, no dilation: the networks' usual pooling. */
function isPlain2x2(info: tf.backend_util.Conv2DInfo): boolean {
  return info.filterHeight === 2 && info.filterWidth === 2 && info.strideHeight === 2 && info.strideWidth === 2
    && info.dilationHeight === 1 && info.dilationWidth === 1
    && 2 * info.outHeight <= info.inHeight && 2 * info.outWidth <= info.inWidth && info.padInfo.top === 0 && info.padInfo.left === 0;
}

/**
 * The same rule for 2x2 windows at stride 2 (windows do not overlap, so each input receives at
 * most one gradient), without branches: which of the four is the first maximum is computed as
 * 0/1 integers from comparisons and every position gets dy times its indicator. After ReLU the
 * comparisons are coin tosses, and branching on them mispredicts about half the time.
 * (A window holding NaN sends its gradient to its first position; the training stops on NaN anyway.)
 */
function maxPoolGrad2x2(dy: Float32Array, x: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const row = inWidth * c;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const p00 = ((b * inHeight + 2 * oy) * inWidth + 2 * ox) * c;
        const p01 = p00 + c, p10 = p00 + row, p11 = p10 + c;
        const g = ((b * outHeight + oy) * outWidth + ox) * c;
        for (let d = 0; d < c; d++) {
          const v0 = x[p00 + d], v1 = x[p01 + d], v2 = x[p10 + d], v3 = x[p11 + d];
          const is1 = ((v1 > v0) as unknown as number) & ((v1 >= v2) as unknown as number) & ((v1 >= v3) as unknown as number);
          const is2 = ((v2 > v0) as unknown as number) & ((v2 > v1) as unknown as number) & ((v2 >= v3) as unknown as number);
          const is3 = ((v3 > v0) as unknown as number) & ((v3 > v1) as unknown as number) & ((v3 > v2) as unknown as number);
          const grad = dy[g + d];
          dx[p00 + d] = grad * (1 - is1 - is2 - is3);
          dx[p01 + d] = grad * is1;
          dx[p10 + d] = grad * is2;
          dx[p11 + d] = grad * is3;
        }
      }
    }
  }
}

const maxPoolGradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: Info; input: Info };
  requireFloat('MaxPoolGrad', dy, input);
  const a = attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'same' | 'valid' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const kernels = simdKernels(backend);
  if (kernels && isPlain2x2(info)) {
    // The SIMD kernel (src/engine/simd/max-pool-grad.as), same rule as maxPoolGrad2x2.
    const heap = backend as unknown as WasmBackend;
    const dx = heap.makeOutput(input.shape, 'float32');
    heap.typedArrayFromHeap(dx).fill(0);
    kernels.maxPoolGrad2x2(heapOffset(heap, dy), heapOffset(heap, input), heapOffset(heap, dx),
      info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth);
    return dx;
  }
  return storageOf(backend).write([input.shape], ([dx], read) => maxPoolGradLoop(read(dy), read(input), dx, info))[0];
};

/** Replaces the shipped wasm MaxPoolGrad. */
export const maxPoolGradConfig: tf.KernelConfig = { kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGradKernel };
