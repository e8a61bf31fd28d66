/**
 * Static random sparsity applied to a model: the masks of the plan in `sparsity-plan` drawn as
 * tensors, sparse kernels re-initialised for their connectivity (Golubeva, Gur-Ari, Neyshabur,
 * ICLR 2021), and the nonzero count read back from a trained model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../core/rng.js';
import type { WidthModel } from './model.js';
import { kernelBudgets, randomMask, sparsityPlan, type LayerSparsity } from './sparsity-plan.js';

/**
 * Sparsifies `model` in place to `target` nonzero kernel weights: draws the masks, re-initialises
 * every sparse kernel with He-normal scaled to its connectivity (std sqrt(2 / (fanIn * c))), zeroes
 * the pruned weights, and returns the masks (as tensors, for the trainer's gradient masking) with
 * the plan. The caller disposes the masks.
 */
export function sparsify(model: WidthModel, target: number, seed: number): { masks: Record<string, tf.Tensor>; plan: LayerSparsity[] } {
  const plan = sparsityPlan(kernelBudgets(model.net), target);
  const masks: Record<string, tf.Tensor> = {};
  const rng = createRng(`sparse-init:${seed}`);
  for (const layer of plan) {
    if (layer.nonzero === layer.weights) continue;
    const kernel = model.param(`${layer.name}/kernel`);
    const mask = randomMask(layer.weights, layer.nonzero, `mask:${seed}:${layer.name}`);
    const std = Math.sqrt(2 / (layer.fanIn * layer.connectivity));
    const values = new Float32Array(layer.weights);
    for (let i = 0; i < values.length; i++) values[i] = mask[i] ? rng.normal() * std : 0;
    tf.tidy(() => kernel.assign(tf.tensor(values, kernel.shape)));
    masks[`${layer.name}/kernel`] = tf.tensor(mask, kernel.shape);
  }
  return { masks, plan };
}

/** Multiplies each masked kernel of `model` by its 0/1 mask (keyed `<layer>/kernel`), in place. */
export function applyMasks(model: WidthModel, masks: Record<string, tf.Tensor>): void {
  for (const [name, mask] of Object.entries(masks)) {
    const kernel = model.param(name);
    tf.tidy(() => kernel.assign(tf.mul(kernel, mask)));
  }
}

/** Nonzero kernel weights of a model, counted from its variables. */
export function countNonzeroKernelWeights(model: WidthModel): number {
  return model.params.filter((p) => p.role === 'kernel').reduce((s, p) => s + (p.variable.dataSync() as Float32Array).reduce((n, v) => n + (v !== 0 ? 1 : 0), 0), 0);
}
