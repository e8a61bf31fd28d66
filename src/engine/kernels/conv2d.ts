/**
 * Conv2D on wasm: the engine's compiled SIMD kernel (src/engine/simd/conv2d.as) for NHWC,
 * dilation-1 convolutions with Cout a multiple of 4 (x zero-padded first where the convolution
 * pads); the shipped XNNPACK kernel for everything else.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { heapOffset, heapOutput, withTemps, type Backend, type Info, type WasmBackend, type WrappingKernelConfig } from './heap.js';
import { convGeometry } from './conv-geometry.js';
import { forEachPaddedImage } from './conv2d-padded-copy.js';
import { simdKernels } from '../simd/kernel-module.js';

function conv2dSimdFirst(shipped: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as { x: Info; filter: Info };
    const attrs = args.attrs as Record<string, unknown>;
    const kernels = simdKernels(args.backend);
    const dilations = (attrs.dilations as number | [number, number] | undefined) ?? 1;
    const dilated = Array.isArray(dilations) ? dilations.some((d) => d !== 1) : dilations !== 1;
    const cout = filter.shape[3];
    if (!kernels || dilated || cout % 4 !== 0 || (attrs.dataFormat ?? 'NHWC') !== 'NHWC' || x.dtype !== 'float32') return shipped(args);
    const info = convGeometry(x.shape, filter.shape, attrs);
    const backend = args.backend as unknown as WasmBackend & Backend;
    const { batchSize: b, inHeight: h, inWidth: w, inChannels: cin, outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
    const { top, left } = info.padInfo;
    const hp = (ho - 1) * sh + info.filterHeight, wp = (wo - 1) * sw + info.filterWidth;
    return withTemps(backend, (ctx) => {
      // With padding, x zero-padded image by image: every window is then whole, so every pixel takes
      // the 4-pixel tiles (on 8x8 maps the clipped edge pixels were half of them); a copy costs far less.
      const y = heapOutput(ctx, [b, ho, wo, cout], () => undefined);
      const run = (source: number, batch: number, height: number, width: number, yAt: number) =>
        kernels.conv2d(source, heapOffset(backend, filter), yAt, batch, height, width, cin, ho, wo, cout, info.filterHeight, info.filterWidth, sh, sw, 0, 0, wo * cout, cout);
      if (top > 0 || left > 0 || hp > h || wp > w) {
        const yAt = heapOffset(backend, y), imageBytes = 4 * ho * wo * cout;
        forEachPaddedImage(ctx, x, hp, wp, top, left, (source, n) => run(source, 1, hp, wp, yAt + n * imageBytes));
      } else {
        run(heapOffset(backend, x), b, h, w, heapOffset(backend, y));
      }
      return y;
    });
  };
}

/** Wraps the shipped wasm Conv2D. */
export const conv2dConfig: WrappingKernelConfig = { kernelName: 'Conv2D', backendName: 'wasm', wrap: conv2dSimdFirst };
