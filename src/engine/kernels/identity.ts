/** Identity on wasm sharing data by reference count. */
import * as tf from '@tensorflow/tfjs-core';
import type { Info, WrappingKernelConfig } from './heap.js';

/**
 * Identity shares the input's data (a reference count), as the cpu backend's does, where the wasm
 * backend copied it: tfjs clones every tensor it saves for the backward pass, so a training step
 * copied its activations once more (28 copies of a 128x32x32x16 activation in a ResNet-20 step).
 * Safe because no kernel writes into its inputs; a variable's assign swaps its data, never writes.
 */
function identitySharing(shipped: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: Info };
    if (x.dtype === 'string') return shipped(args);
    (args.backend as unknown as { incRef(id: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** Wraps the shipped wasm Identity (kept for string tensors). */
export const identityConfig: WrappingKernelConfig = { kernelName: 'Identity', backendName: 'wasm', wrap: identitySharing };
