/** BatchMatMul on wasm with transposed operands sent to the XNNPACK product. */
import * as tf from '@tensorflow/tfjs-core';
import { transpose, withTemps, type Backend, type Info, type WrappingKernelConfig } from './heap.js';

/**
 * BatchMatMul with a transposed operand: the wasm backend sends those to a plain loop, while the
 * untransposed product runs on XNNPACK. A dense layer's gradients are exactly such products
 * (x^T dy and dy W^T). The transposes are made explicit here and the shipped kernel does the
 * product, several times faster.
 */
function batchMatMulTransposing(shipped: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: Info; b: Info };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return shipped(args);
    const swapLast = (rank: number) => [...Array(rank - 2).keys(), rank - 1, rank - 2];
    return withTemps(args.backend as Backend, (ctx) => {
      const at = transposeA ? transpose(ctx, a, swapLast(a.shape.length)) : a;
      const bt = transposeB ? transpose(ctx, b, swapLast(b.shape.length)) : b;
      const out = shipped({ inputs: { a: at, b: bt }, backend: args.backend, attrs: { ...args.attrs, transposeA: false, transposeB: false } }) as Info;
      ctx.temps.push(out);
      return out;
    });
  };
}

/** Wraps the shipped wasm BatchMatMul. */
export const batchMatMulConfig: WrappingKernelConfig = { kernelName: 'BatchMatMul', backendName: 'wasm', wrap: batchMatMulTransposing };
