/**
 * A slimmable supernet (AutoSlim, Yu & Huang 2019): the space at its widest widths, whose every
 * width vector is a sub-network made of the first k channels of each group (the "left-aligned"
 * reading; BCNet's bilateral reading is not implemented). The variables are those of one
 * `WidthModel` built at the widest widths, so checkpoints, optimizer and export read them as any
 * model's; a sub-network's forward slices them. A sub-network's forward pass equals the stand-alone
 * network of the same widths loaded with `subnetWeights` (test/integration/supernet.test.ts).
 *
 * Batch norm is not shared across widths: training uses each sub-network's batch statistics and
 * keeps no moving averages; evaluation recomputes a sub-network's statistics on training images
 * (`calibrate`) and normalises with them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SpaceError } from '../core/errors.js';
import type { WidthVector } from '../core/shapes.js';
import { batchNormTrain } from '../engine/ops/batch-norm-train.js';
import { resolveNetwork, weightedOps, type ConvOp, type DenseOp, type NetOp, type Network } from '../space/network.js';
import type { SearchSpace } from '../space/types.js';
import { BN_EPSILON, WidthModel, type WeightsRecord } from './model.js';

/** Per BN layer: the mean and biased variance of its input channels. */
export type BnStats = Map<string, { mean: tf.Tensor1D; variance: tf.Tensor1D }>;

/**
 * How a sub-network's BN layers normalise: with the batch's statistics (training; `record`, when
 * given, receives each layer's batch mean and biased variance, kept tensors the caller disposes),
 * or with fixed statistics (inference after `calibrate`).
 */
export type BnMode = { kind: 'batch'; record?: BnStats } | { kind: 'fixed'; stats: BnStats };

/** The widest widths of a space: each group's `max`. */
export function widestWidths(space: SearchSpace): WidthVector {
  return space.groups.map((g) => g.max);
}

/** The narrowest widths of a space: each group's `min`. */
export function narrowestWidths(space: SearchSpace): WidthVector {
  return space.groups.map((g) => g.min);
}

/** A slimmable network over `space`, at most `maxWidths` wide. Call `dispose()` when done. */
export class Supernet {
  /** The widest network; its variables are the supernet's. */
  readonly model: WidthModel;
  readonly maxWidths: WidthVector;

  constructor(readonly space: SearchSpace, maxWidths: WidthVector, seed: number, readonly classes = space.classes) {
    this.maxWidths = [...maxWidths];
    this.model = new WidthModel(resolveNetwork(space, maxWidths, classes), seed);
  }

  /**
   * The sub-network at `widths` (resolved with the supernet's classes). Throws `SpaceError` when a
   * width is above the supernet's or below 1, or the count is not one per group.
   */
  subnet(widths: WidthVector): Network {
    if (widths.length !== this.maxWidths.length) {
      throw new SpaceError(`${this.space.name}: expected ${this.maxWidths.length} widths for the supernet, found ${widths.length}`);
    }
    widths.forEach((w, i) => {
      if (!(Number.isInteger(w) && w >= 1 && w <= this.maxWidths[i])) {
        throw new SpaceError(`${this.space.name}: width ${i + 1} (group "${this.space.groups[i].name}") is ${w}; the supernet holds 1 to ${this.maxWidths[i]} channels there`);
      }
    });
    return resolveNetwork(this.space, widths, this.classes);
  }

  /** Logits of the sub-network `net` (from `subnet`) for a batch [n, h, w, c]. */
  apply(x: tf.Tensor4D, net: Network, bn: BnMode): tf.Tensor2D {
    let h: tf.Tensor = x;
    // A dense layer reading a flattened conv map takes, from each pixel's channels, the first k.
    let flat: { pixels: number; channels: number } | null = null;
    for (const op of net.ops) {
      const next = this.applyOp(op, h, bn, flat);
      flat = op.kind === 'flatten' ? { pixels: op.inShape[0] * op.inShape[1], channels: op.inShape[2] } : op.kind === 'dense' || op.kind === 'gap' ? null : flat;
      h = next;
    }
    return h as tf.Tensor2D;
  }

  private applyOp(op: NetOp, x: tf.Tensor, bn: BnMode, flat: { pixels: number; channels: number } | null): tf.Tensor {
    switch (op.kind) {
      case 'conv':
        return this.conv(op, x as tf.Tensor4D, bn);
      case 'dense':
        return this.dense(op, x as tf.Tensor2D, flat);
      case 'maxpool':
        return tf.maxPool(x as tf.Tensor4D, op.size, op.stride, 'valid');
      case 'gap':
        return tf.mean(x, [1, 2]);
      case 'flatten':
        return tf.reshape(x, [x.shape[0], -1]);
      case 'block': {
        const main = this.conv(op.conv2, this.conv(op.conv1, x as tf.Tensor4D, bn), bn);
        const sc = op.shortcut;
        let skip: tf.Tensor4D;
        if (sc.kind === 'identity') skip = x as tf.Tensor4D;
        else if (sc.kind === 'projection') skip = this.conv(sc.conv, x as tf.Tensor4D, bn);
        else skip = padShortcut(x as tf.Tensor4D, sc.stride, sc.from, sc.to);
        return tf.relu(tf.add(main, skip));
      }
      case 'inverted': {
        const y = this.conv(op.project, this.conv(op.depthwise, this.conv(op.expand, x as tf.Tensor4D, bn), bn), bn);
        return op.residual ? tf.add(y, x) : y;
      }
    }
  }

  /** The first `size` entries of the supernet's variable `<layer>/<role>` along each axis. */
  private sliced(name: string, size: number[]): tf.Tensor {
    const v = this.model.param(name);
    return v.shape.every((d, i) => d === size[i]) ? v : tf.slice(v, v.shape.map(() => 0), size);
  }

  private conv(op: ConvOp, x: tf.Tensor4D, bn: BnMode): tf.Tensor4D {
    const cout = op.outShape[2];
    let y: tf.Tensor4D;
    if (op.depthwise) {
      const kernel = this.sliced(`${op.name}/kernel`, [op.kernel, op.kernel, 1, cout]);
      y = tf.depthwiseConv2d(x, tf.reshape(kernel, [op.kernel, op.kernel, cout, 1]) as tf.Tensor4D, op.stride, op.padding);
    } else {
      const kernel = this.sliced(`${op.name}/kernel`, [op.kernel, op.kernel, op.inShape[2], cout]) as tf.Tensor4D;
      y = tf.conv2d(x, kernel, op.stride, op.padding);
      if (op.bias) y = tf.add(y, this.sliced(`${op.name}/bias`, [cout]));
    }
    if (op.bn) y = this.batchNorm(op.name, cout, y, bn);
    return op.activation === 'relu' ? tf.relu(y) : y;
  }

  private batchNorm(layer: string, channels: number, x: tf.Tensor4D, bn: BnMode): tf.Tensor4D {
    const gamma = this.sliced(`${layer}/gamma`, [channels]) as tf.Tensor1D;
    const beta = this.sliced(`${layer}/beta`, [channels]) as tf.Tensor1D;
    if (bn.kind === 'fixed') {
      const s = bn.stats.get(layer);
      if (!s || s.mean.shape[0] !== channels) throw new SpaceError(`supernet: no batch-norm statistics of ${channels} channels for layer ${layer}; calibrate the sub-network first`);
      return tf.batchNorm(x, s.mean, s.variance, beta, gamma, BN_EPSILON) as tf.Tensor4D;
    }
    const { y, mean, variance } = batchNormTrain(x, gamma, beta, BN_EPSILON);
    if (bn.record) bn.record.set(layer, { mean: tf.keep(mean), variance: tf.keep(variance) });
    return y as tf.Tensor4D;
  }

  private dense(op: DenseOp, x: tf.Tensor2D, flat: { pixels: number; channels: number } | null): tf.Tensor2D {
    const name = `${op.name}/kernel`;
    const full = this.model.param(name);
    let kernel: tf.Tensor2D;
    if (flat && full.shape[0] !== op.inUnits) {
      // Rows are (pixel, channel) pairs, channel fastest: keep each pixel's first channels.
      const channelsMax = full.shape[0] / flat.pixels;
      const cube = tf.reshape(full, [flat.pixels, channelsMax, full.shape[1]!]);
      kernel = tf.reshape(tf.slice(cube, [0, 0, 0], [flat.pixels, flat.channels, op.outUnits]), [op.inUnits, op.outUnits]);
    } else {
      kernel = this.sliced(name, [op.inUnits, op.outUnits]) as tf.Tensor2D;
    }
    const bias = op.bias ? (this.sliced(`${op.name}/bias`, [op.outUnits]) as tf.Tensor1D) : undefined;
    return tf.fused.matMul({ a: x, b: kernel, bias, activation: op.activation === 'relu' ? 'relu' : 'linear' }) as tf.Tensor2D;
  }

  /**
   * The weights of the stand-alone network at `widths` (the names and shapes `buildModel` gives
   * it), cut from the supernet; BN moving statistics from `stats` (ones and zeros without).
   */
  subnetWeights(widths: WidthVector, stats?: BnStats): WeightsRecord {
    const net = this.subnet(widths);
    const out: WeightsRecord = {};
    tf.tidy(() => {
      let flat: { pixels: number; channels: number } | null = null;
      const flatBefore = new Map<string, { pixels: number; channels: number } | null>();
      for (const op of net.ops) {
        if (op.kind === 'dense') flatBefore.set(op.name, flat);
        flat = op.kind === 'flatten' ? { pixels: op.inShape[0] * op.inShape[1], channels: op.inShape[2] } : op.kind === 'dense' || op.kind === 'gap' ? null : flat;
      }
      const put = (name: string, t: tf.Tensor) => {
        out[name] = { shape: t.shape, values: Float32Array.from(t.dataSync() as Float32Array) };
      };
      for (const op of weightedOps(net)) {
        if (op.kind === 'dense') {
          const fl = flatBefore.get(op.name) ?? null;
          const full = this.model.param(`${op.name}/kernel`);
          const kernel = fl && full.shape[0] !== op.inUnits
            ? tf.reshape(tf.slice(tf.reshape(full, [fl.pixels, full.shape[0] / fl.pixels, full.shape[1]!]), [0, 0, 0], [fl.pixels, fl.channels, op.outUnits]), [op.inUnits, op.outUnits])
            : this.sliced(`${op.name}/kernel`, [op.inUnits, op.outUnits]);
          put(`${op.name}/kernel`, kernel);
          if (op.bias) put(`${op.name}/bias`, this.sliced(`${op.name}/bias`, [op.outUnits]));
          continue;
        }
        const cout = op.outShape[2];
        put(`${op.name}/kernel`, this.sliced(`${op.name}/kernel`, [op.kernel, op.kernel, op.depthwise ? 1 : op.inShape[2], cout]));
        if (op.bias) put(`${op.name}/bias`, this.sliced(`${op.name}/bias`, [cout]));
        if (op.bn) {
          put(`${op.name}/gamma`, this.sliced(`${op.name}/gamma`, [cout]));
          put(`${op.name}/beta`, this.sliced(`${op.name}/beta`, [cout]));
          const s = stats?.get(op.name);
          put(`${op.name}/moving_mean`, s ? s.mean : tf.zeros([cout]));
          put(`${op.name}/moving_variance`, s ? s.variance : tf.ones([cout]));
        }
      }
    });
    return out;
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** The option-A shortcut, as `WidthModel` computes it (a fixed 1x1 selection conv with the stride). */
function padShortcut(x: tf.Tensor4D, stride: number, from: number, to: number): tf.Tensor4D {
  if (stride === 1 && from === to) return x;
  return tf.conv2d(x, tf.reshape(tf.eye(from, to), [1, 1, from, to]) as tf.Tensor4D, stride, 'valid');
}

/** Frees the tensors of a statistics map. */
export function disposeStats(stats: BnStats): void {
  for (const s of stats.values()) tf.dispose([s.mean, s.variance]);
  stats.clear();
}
