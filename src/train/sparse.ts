/**
 * Static random sparsity for the wide & sparse baseline (Golubeva, Gur-Ari, Neyshabur, ICLR 2021).
 * Only conv and dense kernels are sparsified; biases and BN stay dense. The number of nonzero
 * kernel weights per layer comes from a water level: weights are removed from the largest layer
 * until it matches the next largest, then from both, and so on, until the total equals the target
 * exactly. A layer that would keep fewer than one weight per output channel is left dense instead.
 * Inside a layer, the kept positions are uniform at random from the seed.
 */
import * as tf from '@tensorflow/tfjs';
import { TrainError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import { weightedOps, type Network } from '../space/network.js';
import type { WidthModel } from './model.js';

export interface LayerBudget {
  name: string;
  /** Kernel weights of the dense layer. */
  weights: number;
  /** Output channels (a sparse layer keeps at least one weight per output). */
  outputs: number;
  /** Fan-in of one output (kernel height x width x input channels). */
  fanIn: number;
}

export interface LayerSparsity extends LayerBudget {
  nonzero: number;
  /** nonzero / weights. */
  connectivity: number;
}

/** The kernels of a network as layer budgets. */
export function kernelBudgets(net: Network): LayerBudget[] {
  return weightedOps(net).map((op) => op.kind === 'dense'
    ? { name: op.name, weights: op.inUnits * op.outUnits, outputs: op.outUnits, fanIn: op.inUnits }
    : { name: op.name, weights: op.kernel * op.kernel * op.inShape[2] * op.outShape[2], outputs: op.outShape[2], fanIn: op.kernel * op.kernel * op.inShape[2] });
}

/** Nonzero weights per layer so that the total is exactly `target` (see the module comment). */
export function sparsityPlan(layers: LayerBudget[], target: number): LayerSparsity[] {
  const total = layers.reduce((s, l) => s + l.weights, 0);
  if (!Number.isInteger(target) || target < 1) throw new TrainError(`sparsity target: expected a positive integer number of weights, found ${target}`);
  if (target > total) throw new TrainError(`sparsity target ${target} exceeds the ${total} kernel weights of the network`);
  const dense = new Set<string>();
  for (;;) {
    const prunable = layers.filter((l) => !dense.has(l.name));
    const budget = target - layers.filter((l) => dense.has(l.name)).reduce((s, l) => s + l.weights, 0);
    if (prunable.length === 0 || budget < 0) throw new TrainError(`no sparsity plan keeps ${target} weights with at least one weight per output in every sparse layer`);
    // Water level: the largest L with sum(min(w, L)) <= budget.
    const sizes = prunable.map((l) => l.weights).sort((a, b) => a - b);
    let level = 0;
    let below = 0;
    for (let i = 0; i < sizes.length; i++) {
      const rest = sizes.length - i;
      const candidate = Math.floor((budget - below) / rest);
      if (candidate <= sizes[i]) {
        level = candidate;
        break;
      }
      below += sizes[i];
      level = sizes[i];
    }
    const counts = new Map(prunable.map((l) => [l.name, Math.min(l.weights, level)]));
    let left = budget - [...counts.values()].reduce((s, n) => s + n, 0);
    // Hand the remainder out one weight at a time to the layers cut by the level, largest first.
    for (const l of [...prunable].sort((a, b) => b.weights - a.weights || a.name.localeCompare(b.name))) {
      if (left <= 0) break;
      if (counts.get(l.name)! < l.weights) {
        counts.set(l.name, counts.get(l.name)! + 1);
        left--;
      }
    }
    const starved = prunable.find((l) => counts.get(l.name)! < l.outputs);
    if (starved) {
      dense.add(starved.name);
      continue;
    }
    return layers.map((l) => {
      const nonzero = dense.has(l.name) ? l.weights : counts.get(l.name)!;
      return { ...l, nonzero, connectivity: nonzero / l.weights };
    });
  }
}

/** A 0/1 mask with exactly `nonzero` ones at uniformly random positions. */
export function randomMask(size: number, nonzero: number, seed: string): Float32Array {
  const mask = new Float32Array(size);
  if (nonzero >= size) return mask.fill(1);
  const idx = new Int32Array(size);
  for (let i = 0; i < size; i++) idx[i] = i;
  const rng = createRng(seed);
  // Partial Fisher-Yates: the first `nonzero` slots are a uniform sample.
  for (let i = 0; i < nonzero; i++) {
    const j = i + rng.int(size - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
    mask[idx[i]] = 1;
  }
  return mask;
}

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
