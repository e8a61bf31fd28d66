/**
 * Exact parameter and MAC counts of a resolved network, from the space alone (no tfjs).
 * Params: every trainable weight, bias and BN scale/offset (BN moving statistics are not
 * trainable and not counted). MACs: conv and dense multiply-accumulates for one example.
 */
import type { WidthVector } from '../core/shapes.js';
import { resolveNetwork, weightedOps, type Network, type WeightedOp } from '../space/network.js';
import type { SearchSpace } from '../space/types.js';

export interface LayerCost {
  name: string;
  /** `depthwise` for a depthwise conv (one filter per channel), `conv` for any other conv. */
  kind: 'conv' | 'depthwise' | 'dense';
  /** Width group of the layer's output channels; null for the output layer. */
  group: string | null;
  inChannels: number;
  outChannels: number;
  params: number;
  macs: number;
}

export interface NetworkCost {
  params: number;
  macs: number;
  layers: LayerCost[];
}

/**
 * Kernel weights of one weighted layer: `in * out` for a dense layer, `k * k * cin * cout` for a
 * convolution, `k * k * channels` for a depthwise one. Biases and BN scale/offset are not kernel
 * weights (sparsity never touches them).
 */
export function layerKernelWeights(op: WeightedOp): number {
  if (op.kind === 'dense') return op.inUnits * op.outUnits;
  return op.kernel * op.kernel * (op.depthwise ? 1 : op.inShape[2]) * op.outShape[2];
}

/** Kernel weights of every conv and dense layer of `net`, summed (the wide & sparse baseline's unit). */
export function kernelWeights(net: Network): number {
  return weightedOps(net).reduce((sum, op) => sum + layerKernelWeights(op), 0);
}

/** Shorthand: the kernel weights of `space` at `widths`. */
export function spaceKernelWeights(space: SearchSpace, widths: WidthVector, classes = space.classes): number {
  return kernelWeights(resolveNetwork(space, widths, classes));
}

/** Params and MACs of one weighted layer. */
export function layerCost(op: WeightedOp): LayerCost {
  const weights = layerKernelWeights(op);
  if (op.kind === 'dense') {
    return {
      name: op.name, kind: 'dense', group: op.group, inChannels: op.inUnits, outChannels: op.outUnits,
      params: weights + (op.bias ? op.outUnits : 0),
      macs: weights,
    };
  }
  const cin = op.inShape[2];
  const cout = op.outShape[2];
  return {
    name: op.name, kind: op.depthwise ? 'depthwise' : 'conv', group: op.group, inChannels: cin, outChannels: cout,
    params: weights + (op.bias ? cout : 0) + (op.bn ? 2 * cout : 0),
    macs: op.outShape[0] * op.outShape[1] * weights,
  };
}

/** Costs of every weighted layer of `net` and their totals. */
export function networkCost(net: Network): NetworkCost {
  const layers = weightedOps(net).map(layerCost);
  return {
    params: layers.reduce((s, l) => s + l.params, 0),
    macs: layers.reduce((s, l) => s + l.macs, 0),
    layers,
  };
}

/** Shorthand: the cost of `space` at `widths`. */
export function spaceCost(space: SearchSpace, widths: WidthVector, classes = space.classes): NetworkCost {
  return networkCost(resolveNetwork(space, widths, classes));
}
