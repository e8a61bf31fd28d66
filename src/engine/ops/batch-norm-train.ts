/** Training-mode batch norm as an op, on the engine's kernel where the backend has it. */
import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAIN } from '../kernels/batch-norm-train.js';

/** Whether the engine's batch-norm kernels serve the active backend. */
export function batchNormKernelActive(): boolean {
  return tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) !== undefined;
}

/**
 * Training-mode batch norm (statistics over all axes but the last). On backends with the engine's
 * kernels it is one kernel forward and one backward; elsewhere (tfjs-node) tfjs's own ops.
 * Returns y and the batch mean and biased variance (for the moving averages).
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (batchNormKernelActive()) {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, scale: gamma, offset: beta }, { varianceEpsilon: eps } as never) as tf.Tensor[];
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return { y: tf.batchNorm(x, mean, variance, beta, gamma, eps), mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
