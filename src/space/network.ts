/**
 * Resolution of a space and a width vector into a concrete network: every weighted layer with its
 * input and output shapes. The cost model, the model builder, telemetry and export all read this
 * one description, so they cannot disagree about what the network is.
 */
import { SpaceError } from '../core/errors.js';
import type { ImageShape, WidthVector } from '../core/shapes.js';
import type { Activation, Padding, SearchSpace } from './types.js';

/**
 * A convolution with its shapes fixed. `group` is the width group of its output channels. A
 * depthwise convolution has one `kernel` x `kernel` filter per channel (as many outputs as inputs,
 * no mixing across channels): its kernel is stored as [k, k, 1, channels], the layout of a
 * grouped convolution's filters, so output-channel norms and the ONNX layout are a plain conv's.
 */
export interface ConvOp {
  kind: 'conv';
  name: string;
  group: string;
  depthwise: boolean;
  inShape: ImageShape;
  outShape: ImageShape;
  kernel: number;
  stride: number;
  padding: Padding;
  bias: boolean;
  bn: boolean;
  activation: Activation;
}

export interface DenseOp {
  kind: 'dense';
  name: string;
  /** null for the output layer (its width is the class count). */
  group: string | null;
  inUnits: number;
  outUnits: number;
  bias: boolean;
  activation: Activation;
}

export interface MaxPoolOp {
  kind: 'maxpool';
  size: number;
  stride: number;
  inShape: ImageShape;
  outShape: ImageShape;
}

export interface GapOp {
  kind: 'gap';
  inShape: ImageShape;
}

export interface FlattenOp {
  kind: 'flatten';
  inShape: ImageShape;
}

export type Shortcut =
  | { kind: 'identity' }
  /** Option A: take every `stride`-th pixel, then zero-pad (or drop) channels from `from` to `to`. */
  | { kind: 'pad'; stride: number; from: number; to: number }
  | { kind: 'projection'; conv: ConvOp };

export interface BlockOp {
  kind: 'block';
  name: string;
  conv1: ConvOp;
  conv2: ConvOp;
  shortcut: Shortcut;
  inShape: ImageShape;
  outShape: ImageShape;
}

/**
 * MobileNetV2's inverted-residual block: `expand` (1x1, ReLU), `depthwise` (3x3 with the stride,
 * ReLU), `project` (1x1, linear), each with BN; `residual` when the input is added to the output.
 */
export interface InvertedOp {
  kind: 'inverted';
  name: string;
  expand: ConvOp;
  depthwise: ConvOp;
  project: ConvOp;
  residual: boolean;
  inShape: ImageShape;
  outShape: ImageShape;
}

export type NetOp = ConvOp | DenseOp | MaxPoolOp | GapOp | FlattenOp | BlockOp | InvertedOp;

/** A weighted layer (conv or dense), in forward order, with the op it belongs to. */
export type WeightedOp = ConvOp | DenseOp;

export interface Network {
  space: string;
  input: ImageShape;
  classes: number;
  widths: WidthVector;
  ops: NetOp[];
}

function convOut(shape: ImageShape, kernel: number, stride: number, padding: Padding, out: number): ImageShape {
  const [h, w] = shape;
  if (padding === 'same') return [Math.ceil(h / stride), Math.ceil(w / stride), out];
  return [Math.floor((h - kernel) / stride) + 1, Math.floor((w - kernel) / stride) + 1, out];
}

/**
 * Builds the concrete network of `space` at `widths` (one per group, in group order) with
 * `classes` output units (default: the space's). Throws `SpaceError` for a residual add of unequal
 * groups, a dense layer on an unflattened input, or a spatial size that shrinks below 1.
 */
export function resolveNetwork(space: SearchSpace, widths: WidthVector, classes = space.classes): Network {
  if (widths.length !== space.groups.length) {
    throw new SpaceError(
      `${space.name}: expected ${space.groups.length} widths (one per group: ${space.groups.map((g) => g.name).join(', ')}), found ${widths.length}`,
    );
  }
  const widthOf = new Map(space.groups.map((g, i) => [g.name, widths[i]]));
  const file = space.file ?? space.name;
  const fail = (i: number, msg: string): never => {
    throw new SpaceError(`${file}: $.layers[${i}]: ${msg}`);
  };
  const ops: NetOp[] = [];
  let shape: ImageShape = [...space.input];
  // The group whose width is the current channel count; null for the input or a flattened vector.
  let streamGroup: string | null = null;
  let flattened = false;
  const checkSpatial = (i: number, s: ImageShape) => {
    if (s[0] < 1 || s[1] < 1) fail(i, `expected a spatial size of at least 1x1 after this layer, found ${s[0]}x${s[1]}`);
  };

  space.layers.forEach((layer, i) => {
    const flat = flattened;
    switch (layer.type) {
      case 'conv': {
        if (flat) fail(i, 'expected an image input for a conv layer, found a flattened vector');
        const stride = layer.stride ?? 1;
        const padding = layer.padding ?? 'same';
        const out = widthOf.get(layer.group)!;
        const outShape = convOut(shape, layer.kernel, stride, padding, out);
        checkSpatial(i, outShape);
        ops.push({
          kind: 'conv', name: layer.name, group: layer.group, depthwise: false, inShape: shape, outShape, kernel: layer.kernel,
          stride, padding, bias: layer.bias ?? false, bn: layer.bn ?? false, activation: layer.activation ?? 'none',
        });
        shape = outShape;
        streamGroup = layer.group;
        break;
      }
      case 'depthwise': {
        if (flat) fail(i, 'expected an image input for a depthwise conv, found a flattened vector');
        // Its width is its input's: that width must be a group's, which the depthwise conv joins.
        if (streamGroup === null) fail(i, 'expected a layer with a width group before a depthwise conv (its channels are its input\'s), found the network input');
        const stride = layer.stride ?? 1;
        const padding = layer.padding ?? 'same';
        const outShape = convOut(shape, layer.kernel, stride, padding, shape[2]);
        checkSpatial(i, outShape);
        ops.push({
          kind: 'conv', name: layer.name, group: streamGroup!, depthwise: true, inShape: shape, outShape, kernel: layer.kernel,
          stride, padding, bias: false, bn: layer.bn ?? false, activation: layer.activation ?? 'none',
        });
        shape = outShape;
        break;
      }
      case 'inverted': {
        if (flat) fail(i, 'expected an image input for an inverted-residual block, found a flattened vector');
        const stride = layer.stride ?? 1;
        const hidden = widthOf.get(layer.expand)!;
        const outWidth = widthOf.get(layer.group)!;
        const wide: ImageShape = [shape[0], shape[1], hidden];
        const strided = convOut(wide, 3, stride, 'same', hidden);
        const outShape: ImageShape = [strided[0], strided[1], outWidth];
        checkSpatial(i, outShape);
        const conv = (part: string, group: string, inShape: ImageShape, out: ImageShape, kernel: number, s: number, activation: Activation, depthwise = false): ConvOp => ({
          kind: 'conv', name: `${layer.name}.${part}`, group, depthwise, inShape, outShape: out, kernel, stride: s, padding: 'same', bias: false, bn: true, activation,
        });
        ops.push({
          kind: 'inverted', name: layer.name, inShape: shape, outShape,
          expand: conv('expand', layer.expand, shape, wide, 1, 1, 'relu'),
          depthwise: conv('depthwise', layer.expand, wide, strided, 3, stride, 'relu', true),
          project: conv('project', layer.group, strided, outShape, 1, 1, 'none'),
          // Same group means same width for every width vector; a width that merely happens to be
          // equal (another group's) is not a residual stream.
          residual: stride === 1 && streamGroup === layer.group,
        });
        shape = outShape;
        streamGroup = layer.group;
        break;
      }
      case 'dense': {
        if (!(shape[0] === 1 && shape[1] === 1)) {
          fail(i, `expected a flat input for a dense layer (put "flatten" or "gap" before it), found ${shape.join('x')}`);
        }
        const out = layer.group ? widthOf.get(layer.group)! : classes;
        ops.push({
          kind: 'dense', name: layer.name, group: layer.group ?? null, inUnits: shape[2], outUnits: out,
          bias: layer.bias ?? true, activation: layer.activation ?? 'none',
        });
        shape = [1, 1, out];
        streamGroup = null;
        flattened = true;
        break;
      }
      case 'maxpool': {
        const stride = layer.stride ?? layer.size;
        const outShape = convOut(shape, layer.size, stride, 'valid', shape[2]);
        checkSpatial(i, outShape);
        ops.push({ kind: 'maxpool', size: layer.size, stride, inShape: shape, outShape });
        shape = outShape;
        break;
      }
      case 'gap':
        ops.push({ kind: 'gap', inShape: shape });
        shape = [1, 1, shape[2]];
        streamGroup = null;
        flattened = true;
        break;
      case 'flatten':
        ops.push({ kind: 'flatten', inShape: shape });
        shape = [1, 1, shape[0] * shape[1] * shape[2]];
        streamGroup = null;
        flattened = true;
        break;
      case 'block': {
        if (flat) fail(i, 'expected an image input for a block, found a flattened vector');
        const stride = layer.stride ?? 1;
        const innerWidth = widthOf.get(layer.inner)!;
        const outWidth = widthOf.get(layer.group)!;
        const mid = convOut(shape, 3, stride, 'same', innerWidth);
        const outShape: ImageShape = [mid[0], mid[1], outWidth];
        const conv = (name: string, group: string, inShape: ImageShape, out: ImageShape, kernel: number, s: number, activation: Activation): ConvOp => ({
          kind: 'conv', name, group, depthwise: false, inShape, outShape: out, kernel, stride: s, padding: 'same', bias: false, bn: true, activation,
        });
        let shortcut: Shortcut;
        if (layer.shortcut === 'identity') {
          if (streamGroup !== layer.group) {
            fail(i, `an identity shortcut adds the block input (group "${streamGroup ?? 'input'}") to its output (group "${layer.group}"): expected equal groups (use "pad" or "projection" where the width changes)`);
          }
          if (stride !== 1) fail(i, `expected stride 1 for an identity shortcut, found ${stride} (use "pad" or "projection")`);
          shortcut = { kind: 'identity' };
        } else if (layer.shortcut === 'pad') {
          shortcut = { kind: 'pad', stride, from: shape[2], to: outWidth };
        } else {
          shortcut = { kind: 'projection', conv: conv(`${layer.name}.shortcut`, layer.group, shape, outShape, 1, stride, 'none') };
        }
        ops.push({
          kind: 'block', name: layer.name, inShape: shape, outShape, shortcut,
          conv1: conv(`${layer.name}.conv1`, layer.inner, shape, mid, 3, stride, 'relu'),
          conv2: conv(`${layer.name}.conv2`, layer.group, mid, outShape, 3, 1, 'none'),
        });
        checkSpatial(i, outShape);
        shape = outShape;
        streamGroup = layer.group;
        break;
      }
    }
  });
  return { space: space.name, input: space.input, classes, widths: [...widths], ops };
}

/**
 * The conv and dense layers of a network in forward order (block convs: conv1, conv2, shortcut;
 * inverted blocks: expand, depthwise, project).
 */
export function weightedOps(net: Network): WeightedOp[] {
  return net.ops.flatMap((op): WeightedOp[] => {
    if (op.kind === 'conv' || op.kind === 'dense') return [op];
    if (op.kind === 'block') return op.shortcut.kind === 'projection' ? [op.conv1, op.conv2, op.shortcut.conv] : [op.conv1, op.conv2];
    if (op.kind === 'inverted') return [op.expand, op.depthwise, op.project];
    return [];
  });
}
