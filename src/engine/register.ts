/**
 * The engine's kernels and gradients in one list each, and their one registration. A kernel of the
 * list replaces the backend's shipped kernel of the same name; a wrapping kernel keeps the shipped
 * one for the cases it does not speed up; a gradient is registered only where tfjs-core has none.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WrappingKernelConfig } from './kernels/heap.js';
import { conv2dBackpropFilterConfig } from './kernels/conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './kernels/conv2d-backprop-input.js';
import { maxPoolGradConfig } from './kernels/max-pool-grad.js';
import { batchNormTrainConfigs } from './kernels/batch-norm-train.js';
import { batchNormTrainGradConfigs } from './kernels/batch-norm-train-grad.js';
import { batchMatMulConfig } from './kernels/batch-mat-mul.js';
import { identityConfig } from './kernels/identity.js';
import { sumConfig } from './kernels/sum.js';
import { conv2dConfig } from './kernels/conv2d.js';
import { depthwiseBackpropInputConfig } from './kernels/depthwise-backprop-input.js';
import { depthwiseBackpropFilterConfig } from './kernels/depthwise-backprop-filter.js';
import { stridedSliceGradConfig } from './gradients/strided-slice-grad.js';
import { batchNormTrainGradConfig } from './gradients/batch-norm-train-grad.js';

/** Kernels of our own, each for one backend. */
export const KERNELS: readonly tf.KernelConfig[] = [
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  maxPoolGradConfig,
  ...batchNormTrainConfigs,
  ...batchNormTrainGradConfigs,
  depthwiseBackpropInputConfig,
  depthwiseBackpropFilterConfig,
];

/** Shipped kernels wrapped with faster paths. */
export const WRAPPING_KERNELS: readonly WrappingKernelConfig[] = [conv2dConfig, batchMatMulConfig, identityConfig, sumConfig];

/** Gradients tfjs-core lacks (backend-independent). */
export const GRADIENTS: readonly tf.GradConfig[] = [stridedSliceGradConfig, batchNormTrainGradConfig];

const registered = new Set<string>();

/**
 * Registers the engine's kernels for `backendName` and the gradients (idempotent per backend).
 * Call once the backend is ready, so that the shipped kernels being replaced or wrapped exist.
 * On cpu only the batch-norm kernels are ours; the shipped cpu kernels stay as the tests' reference.
 */
export function registerEngineKernels(backendName: 'wasm' | 'cpu'): void {
  if (registered.has(backendName)) return;
  registered.add(backendName);
  for (const config of KERNELS) {
    if (config.backendName !== backendName) continue;
    if (tf.getKernel(config.kernelName, backendName)) tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel(config);
  }
  for (const { kernelName, wrap } of WRAPPING_KERNELS.filter((k) => k.backendName === backendName)) {
    const shipped = tf.getKernel(kernelName, backendName);
    if (!shipped) continue;
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({ kernelName, backendName, kernelFunc: wrap(shipped.kernelFunc), setupFunc: shipped.setupFunc, disposeFunc: shipped.disposeFunc });
  }
  for (const config of GRADIENTS) if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
}
