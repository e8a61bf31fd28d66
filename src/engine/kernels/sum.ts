/** Sum on wasm with sums over leading axes (bias gradients) as one loop. */
import * as tf from '@tensorflow/tfjs-core';
import { BLOCK_ROWS, heapOffset, heapScratch, storageOf, type Info, type WasmBackend, type WrappingKernelConfig } from './heap.js';
import { simdKernels } from '../simd/kernel-module.js';

/** out[j] = sum over i of x[i * out.length + j], float64 accumulation. */
export function sumLeadingLoop(x: Float32Array, out: Float32Array): void {
  const n = out.length;
  const rows = x.length / n;
  const acc = new Float64Array(n);
  for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const end = Math.min(rows, r0 + BLOCK_ROWS) * n;
    for (let j = 0; j < n; j++) {
      let t = 0;
      for (let i = r0 * n + j; i < end; i += n) t += x[i];
      acc[j] += t;
    }
  }
  out.set(acc);
}

/**
 * The wasm Sum transposes its input whenever the reduced axes are not the innermost ones; a bias
 * gradient (sum of dy over batch, height and width) is the opposite case, so it paid a full
 * transpose of dy. Sums over leading axes of float32 run as one loop; every other sum goes to the
 * shipped kernel.
 */
/**
 * Below this many elements the loop wins: the SIMD path's scratch allocations on the heap cost
 * more than a small sum such as a dense layer's bias gradient (results/experiments/engine.md).
 */
const SIMD_MIN_ELEMENTS = 4096;

function sumKernel(shipped: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: Info };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) return shipped(args);
    const rest = x.shape.slice(axes.length);
    const shape = keepDims ? [...axes.map(() => 1), ...rest] : rest;
    const kernels = simdKernels(args.backend);
    if (kernels && x.shape.reduce((p, q) => p * q, 1) >= SIMD_MIN_ELEMENTS) {
      // The SIMD kernel (src/engine/simd/column-sums.as): float32 vector sums per block of rows into float64 totals.
      const heap = args.backend as unknown as WasmBackend;
      const n = rest.reduce((p, q) => p * q, 1);
      const out = heap.makeOutput(shape, 'float32');
      const scratch = heapScratch(heap);
      try {
        const totals = scratch.takeFloat64(n);
        kernels.columnSums(heapOffset(heap, x), x.shape.reduce((p, q) => p * q, 1) / n, n, totals);
        heap.typedArrayFromHeap(out).set(scratch.readFloat64(totals, n));
      } finally {
        scratch.dispose();
      }
      return out;
    }
    return storageOf(args.backend).write([shape], ([out], read) => sumLeadingLoop(read(x), out))[0];
  };
}

/** Wraps the shipped wasm Sum, which keeps every other reduction. */
export const sumConfig: WrappingKernelConfig = { kernelName: 'Sum', backendName: 'wasm', wrap: sumKernel };
