/**
 * The search-space file format (`search-spaces/*.json`). A space declares the input, the classes,
 * a default dataset, named width groups and a list of layers. Every variable width belongs to a
 * group; layers whose outputs are added together (a residual stream) share one group.
 */
import type { ImageShape } from '../core/shapes.js';

/** A named width with its base value and the grid the search may move it on. */
export interface WidthGroup {
  name: string;
  /** The width of the original (hand-designed) network. */
  base: number;
  /** Smallest allowed width (>= 1). */
  min: number;
  /** Largest allowed width. */
  max: number;
  /** Allowed widths are min, min + step, min + 2*step, ... up to max. */
  step: number;
}

export type Activation = 'relu' | 'none';
export type Padding = 'same' | 'valid';

/** A 2-D convolution, optionally followed by batch norm and an activation. */
export interface ConvLayer {
  type: 'conv';
  name: string;
  group: string;
  kernel: number;
  stride?: number;
  padding?: Padding;
  bias?: boolean;
  bn?: boolean;
  activation?: Activation;
}

/**
 * A dense layer. With `group` its width is that group's; without, it is the output layer and has
 * `classes` units.
 */
export interface DenseLayer {
  type: 'dense';
  name: string;
  group?: string;
  bias?: boolean;
  activation?: Activation;
}

export interface MaxPoolLayer {
  type: 'maxpool';
  size: number;
  stride?: number;
}

/** Global average pool over height and width. */
export interface GapLayer {
  type: 'gap';
}

export interface FlattenLayer {
  type: 'flatten';
}

/**
 * He et al.'s basic block: conv3x3(stride) - BN - ReLU - conv3x3 - BN, plus a shortcut, then ReLU.
 * The first conv's width is the block's own group `inner`; the second conv's width is `group`,
 * the residual stream it is added to.
 * Shortcuts: `identity` (same group and stride 1), `pad` (He et al.'s option A: subsample by the
 * stride and zero-pad the channels, no parameters; if the stream narrows, the extra channels are
 * dropped), `projection` (1x1 conv with the stride, no bias, + BN).
 */
export interface BlockLayer {
  type: 'block';
  name: string;
  inner: string;
  group: string;
  stride?: number;
  shortcut: 'identity' | 'pad' | 'projection';
}

export type LayerDecl = ConvLayer | DenseLayer | MaxPoolLayer | GapLayer | FlattenLayer | BlockLayer;

/** A validated search space. */
export interface SearchSpace {
  /** Short id, e.g. `resnet20-cifar`. */
  name: string;
  description?: string;
  input: ImageShape;
  classes: number;
  /** Registry name of the default dataset. */
  dataset: string;
  groups: WidthGroup[];
  layers: LayerDecl[];
  /** The file it was read from, for messages. */
  file?: string;
}
