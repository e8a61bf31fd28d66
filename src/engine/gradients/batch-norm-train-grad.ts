/** The gradient of the training-mode batch-norm kernel, through all three of its outputs. */
import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAIN } from '../kernels/batch-norm-train.js';
import { BATCH_NORM_TRAIN_GRAD } from '../kernels/batch-norm-train-grad.js';

/** The gradient of BATCH_NORM_TRAIN: one grad kernel call gives all three input gradients. */
export const batchNormTrainGradConfig: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dMean, dVariance] = dys as tf.Tensor[];
    const [x, scale, mean, variance] = saved;
    // Computed here, not inside the thunks: the engine runs each thunk in its own tidy, which
    // would dispose the outputs that thunk does not return.
    const [dx, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy, x, scale, mean, variance, dMean, dVariance }, attrs) as tf.Tensor[];
    return { x: () => dx, scale: () => dScale, offset: () => dOffset };
  },
};
