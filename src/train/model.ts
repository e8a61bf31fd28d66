/**
 * The model builder: a resolved `Network` as tfjs variables and a forward function. Weighted
 * layers keep the space's layer names (`conv1`, `stage2.block1.conv1`, `fc`), which telemetry,
 * masks and export rely on. Initial weights come from the project's seeded rng, so one seed gives
 * the same weights on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../core/rng.js';
import { batchNormTrain } from '../engine/ops/batch-norm-train.js';
import type { WidthVector } from '../core/shapes.js';
import { resolveNetwork, weightedOps, type ConvOp, type DenseOp, type NetOp, type Network, type WeightedOp } from '../space/network.js';
import type { SearchSpace } from '../space/types.js';

/** BN epsilon and moving-average momentum (PyTorch's defaults: eps 1e-5, new = 0.9 old + 0.1 batch). */
export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.9;

/** A parameter's role; weight decay and telemetry treat kernels differently from the rest. */
export type ParamRole = 'kernel' | 'bias' | 'gamma' | 'beta';

export interface ModelParam {
  /** `<layer>/<role>`, e.g. `conv1/kernel`. */
  name: string;
  layer: string;
  role: ParamRole;
  variable: tf.Variable;
}

/** Weights as plain data, keyed by parameter name (and `<layer>/moving_mean|moving_variance`). */
export type WeightsRecord = Record<string, { shape: number[]; values: number[] | Float32Array }>;

let modelCounter = 0;

function heNormal(rng: ReturnType<typeof createRng>, count: number, fanIn: number): Float32Array {
  const std = Math.sqrt(2 / fanIn);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal() * std;
  return out;
}

/** A width-configured network with its own variables. Call `dispose()` when done. */
export class WidthModel {
  readonly net: Network;
  readonly params: ModelParam[] = [];
  private readonly byName = new Map<string, tf.Variable>();
  private readonly movingStats = new Map<string, { mean: tf.Variable; variance: tf.Variable }>();
  private readonly prefix = `ww${modelCounter++}`;

  constructor(net: Network, seed: number) {
    this.net = net;
    const rng = createRng(`init:${seed}`);
    // Variables survive the tidy; the initial-value tensors do not.
    tf.tidy(() => {
      for (const op of weightedOps(net)) this.createLayer(op, rng);
    });
  }

  private addParam(layer: string, role: ParamRole, value: tf.Tensor): void {
    const name = `${layer}/${role}`;
    const variable = tf.variable(value, true, `${this.prefix}/${name}`);
    this.params.push({ name, layer, role, variable });
    this.byName.set(name, variable);
  }

  private createLayer(op: WeightedOp, rng: ReturnType<typeof createRng>): void {
    if (op.kind === 'dense') {
      this.addParam(op.name, 'kernel', tf.tensor2d(heNormal(rng, op.inUnits * op.outUnits, op.inUnits), [op.inUnits, op.outUnits]));
      if (op.bias) this.addParam(op.name, 'bias', tf.zeros([op.outUnits]));
      return;
    }
    // A depthwise kernel is stored as [k, k, 1, channels] (each output channel reads one input
    // channel), so output-channel norms, masks and export read it like any conv kernel.
    const cin = op.depthwise ? 1 : op.inShape[2];
    const cout = op.outShape[2];
    const k = op.kernel;
    this.addParam(op.name, 'kernel', tf.tensor4d(heNormal(rng, k * k * cin * cout, k * k * cin), [k, k, cin, cout]));
    if (op.bias) this.addParam(op.name, 'bias', tf.zeros([cout]));
    if (op.bn) {
      this.addParam(op.name, 'gamma', tf.ones([cout]));
      this.addParam(op.name, 'beta', tf.zeros([cout]));
      this.movingStats.set(op.name, {
        mean: tf.variable(tf.zeros([cout]), false, `${this.prefix}/${op.name}/moving_mean`),
        variance: tf.variable(tf.ones([cout]), false, `${this.prefix}/${op.name}/moving_variance`),
      });
    }
  }

  /** The variable called `<layer>/<role>`; throws if it does not exist. */
  param(name: string): tf.Variable {
    const v = this.byName.get(name);
    if (!v) throw new Error(`no parameter ${name} in model of ${this.net.space}`);
    return v;
  }

  /** Trainable variables in a fixed order (layer order, then kernel, bias, gamma, beta). */
  trainableVariables(): tf.Variable[] {
    return this.params.map((p) => p.variable);
  }

  /** Number of trainable scalars, counted from the variables' shapes. */
  countTrainableParams(): number {
    return this.params.reduce((s, p) => s + p.variable.size, 0);
  }

  /**
   * Logits for a batch `x` of shape [batch, h, w, c]. With `training`, BN uses batch statistics
   * and updates its moving averages (outside the gradient tape); otherwise the moving averages.
   */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    let h: tf.Tensor = x;
    for (const op of this.net.ops) {
      if (training) {
        h = this.applyOp(op, h, true);
        continue;
      }
      // Inference keeps nothing for a gradient: each op's intermediates and its input are freed
      // once its output exists, so memory peaks at one op's tensors, not the whole network's (a
      // MobileNet's wide hidden maps otherwise took the wasm heap past 2 GB at batch 500).
      const input = h;
      h = tf.tidy(() => this.applyOp(op, input, false));
      if (input !== x) input.dispose();
    }
    return h as tf.Tensor2D;
  }

  private applyOp(op: NetOp, x: tf.Tensor, training: boolean): tf.Tensor {
    switch (op.kind) {
      case 'conv':
        return this.conv(op, x as tf.Tensor4D, training);
      case 'dense':
        return this.dense(op, x as tf.Tensor2D);
      case 'maxpool':
        return tf.maxPool(x as tf.Tensor4D, op.size, op.stride, 'valid');
      case 'gap':
        return tf.mean(x, [1, 2]);
      case 'flatten':
        return tf.reshape(x, [x.shape[0], -1]);
      case 'block': {
        const mid = this.conv(op.conv1, x as tf.Tensor4D, training);
        const main = this.conv(op.conv2, mid, training);
        let skip: tf.Tensor4D;
        const sc = op.shortcut;
        if (sc.kind === 'identity') skip = x as tf.Tensor4D;
        else if (sc.kind === 'projection') skip = this.conv(sc.conv, x as tf.Tensor4D, training);
        else skip = padShortcut(x as tf.Tensor4D, sc.stride, sc.from, sc.to);
        return tf.relu(tf.add(main, skip));
      }
      case 'inverted': {
        const wide = this.conv(op.expand, x as tf.Tensor4D, training);
        const y = this.conv(op.project, this.conv(op.depthwise, wide, training), training);
        // MobileNetV2's linear bottleneck: no activation after the projection or the addition.
        return op.residual ? tf.add(y, x) : y;
      }
    }
  }

  private conv(op: ConvOp, x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    if (op.depthwise) return this.depthwiseConv(op, x, training);
    const kernel = this.param(`${op.name}/kernel`) as tf.Tensor4D;
    const bias = op.bias ? (this.param(`${op.name}/bias`) as tf.Tensor1D) : undefined;
    if (!op.bn) {
      return tf.fused.conv2d({ x, filter: kernel, strides: op.stride, pad: op.padding, bias, activation: op.activation === 'relu' ? 'relu' : 'linear' });
    }
    let y: tf.Tensor4D = bias ? tf.fused.conv2d({ x, filter: kernel, strides: op.stride, pad: op.padding, bias }) : tf.conv2d(x, kernel, op.stride, op.padding);
    y = this.batchNorm(op.name, y, training);
    return op.activation === 'relu' ? tf.relu(y) : y;
  }

  /** A depthwise conv (never with a bias): the stored [k, k, 1, c] kernel is tfjs's [k, k, c, 1]. */
  private depthwiseConv(op: ConvOp, x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const c = op.outShape[2];
    const filter = tf.reshape(this.param(`${op.name}/kernel`), [op.kernel, op.kernel, c, 1]) as tf.Tensor4D;
    let y = tf.depthwiseConv2d(x, filter, op.stride, op.padding);
    if (op.bn) y = this.batchNorm(op.name, y, training);
    return op.activation === 'relu' ? tf.relu(y) : y;
  }

  private batchNorm(layer: string, x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const gamma = this.param(`${layer}/gamma`) as tf.Tensor1D;
    const beta = this.param(`${layer}/beta`) as tf.Tensor1D;
    const stats = this.movingStats.get(layer)!;
    if (!training) return tf.batchNorm(x, stats.mean, stats.variance, beta, gamma, BN_EPSILON) as tf.Tensor4D;
    const { y, mean, variance } = batchNormTrain(x, gamma, beta, BN_EPSILON);
    // Moving averages use the unbiased batch variance, as PyTorch does. These ops do not feed the
    // loss, so a gradient tape around `apply` gives them no gradient.
    const n = x.shape[0] * x.shape[1] * x.shape[2];
    tf.tidy(() => {
      const v = variance.mul(n / Math.max(1, n - 1));
      stats.mean.assign(stats.mean.mul(BN_MOMENTUM).add(mean.mul(1 - BN_MOMENTUM)));
      stats.variance.assign(stats.variance.mul(BN_MOMENTUM).add(v.mul(1 - BN_MOMENTUM)));
    });
    return y as tf.Tensor4D;
  }

  private dense(op: DenseOp, x: tf.Tensor2D): tf.Tensor2D {
    const kernel = this.param(`${op.name}/kernel`) as tf.Tensor2D;
    const bias = op.bias ? (this.param(`${op.name}/bias`) as tf.Tensor1D) : undefined;
    return tf.fused.matMul({ a: x, b: kernel, bias, activation: op.activation === 'relu' ? 'relu' : 'linear' }) as tf.Tensor2D;
  }

  /** All weights and BN moving statistics as plain data (a copy). */
  getWeights(): WeightsRecord {
    const out: WeightsRecord = {};
    for (const p of this.params) out[p.name] = { shape: p.variable.shape, values: p.variable.dataSync() as Float32Array };
    for (const [layer, s] of this.movingStats) {
      out[`${layer}/moving_mean`] = { shape: s.mean.shape, values: s.mean.dataSync() as Float32Array };
      out[`${layer}/moving_variance`] = { shape: s.variance.shape, values: s.variance.dataSync() as Float32Array };
    }
    return out;
  }

  /** Loads weights written by `getWeights` (same names and shapes). */
  setWeights(weights: WeightsRecord): void {
    const assign = (name: string, v: tf.Variable) => {
      const w = weights[name];
      if (!w) throw new Error(`weights have no entry ${name}`);
      if (w.shape.join('x') !== v.shape.join('x')) throw new Error(`weights ${name}: expected shape ${v.shape}, found ${w.shape}`);
      tf.tidy(() => v.assign(tf.tensor(Float32Array.from(w.values), v.shape)));
    };
    for (const p of this.params) assign(p.name, p.variable);
    for (const [layer, s] of this.movingStats) {
      assign(`${layer}/moving_mean`, s.mean);
      assign(`${layer}/moving_variance`, s.variance);
    }
  }

  dispose(): void {
    for (const p of this.params) p.variable.dispose();
    for (const s of this.movingStats.values()) {
      s.mean.dispose();
      s.variance.dispose();
    }
  }
}

/**
 * Option-A shortcut: every `stride`-th pixel, then zero-pad channels up to `to` (or keep the first
 * `to`). Both are one 1x1 convolution with a fixed [from, to] identity filter and the stride: on
 * wasm that is an XNNPACK kernel with an XNNPACK gradient, where the subsampling as a reshape and
 * a 6-D slice went through the backend's generic slice loop (a fifth of a ResNet-20 step). The
 * filter is a constant, so no gradient is computed for it.
 */
function padShortcut(x: tf.Tensor4D, stride: number, from: number, to: number): tf.Tensor4D {
  if (stride === 1 && from === to) return x;
  const select = tf.reshape(tf.eye(from, to), [1, 1, from, to]) as tf.Tensor4D;
  return tf.conv2d(x, select, stride, 'valid');
}

/** Elements of the largest activation one example makes in `net` (inner maps of blocks included). */
export function largestActivation(net: Network): number {
  const size = ([h, w, c]: readonly number[]) => h * w * c;
  let most = size(net.input);
  for (const op of net.ops) {
    const shapes = op.kind === 'dense' ? [[1, 1, op.outUnits]]
      : op.kind === 'block' ? [op.conv1.outShape, op.outShape]
        : op.kind === 'inverted' ? [op.expand.outShape, op.depthwise.outShape, op.outShape]
          : op.kind === 'conv' || op.kind === 'maxpool' ? [op.outShape] : [op.inShape];
    for (const s of shapes) most = Math.max(most, size(s));
  }
  return most;
}

/** Builds the model of `space` at `widths` with weights initialised from `seed`. */
export function buildModel(space: SearchSpace, widths: WidthVector, seed: number, classes = space.classes): WidthModel {
  return new WidthModel(resolveNetwork(space, widths, classes), seed);
}
