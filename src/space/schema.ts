/**
 * The search-space file format as one zod schema: the shape of every field, whose inferred types
 * are the space's types (`types.ts`). What a shape cannot say (a group's base on its grid, layers
 * naming existing groups, unique names, the output layer) is checked after it, in `validate.ts`.
 *
 * Every schema carries the words of what it expects (`core/schema-words`).
 */
import { z } from 'zod';
import { expecting, MISSING } from '../core/schema-words.js';

const positiveInt = () => z.number(expecting('a positive integer')).int().min(1);
const name = () => z.string(expecting('a non-empty string')).min(1);
const flag = () => z.boolean(expecting('true or false'));
const oneOf = <T extends readonly [string, ...string[]]>(options: T) => z.enum(options as unknown as [T[number], ...T[number][]], expecting(`one of ${options.map((o) => JSON.stringify(o)).join(', ')}`));
/** A strict object: an unknown key is an issue whose message lists the keys it may have. */
const object = <S extends z.ZodRawShape>(shape: S) => z.object(shape, {
  errorMap: (issue, ctx) => ({ message: issue.code === 'unrecognized_keys' ? `one of the keys ${Object.keys(shape).join(', ')}` : ctx.data === undefined ? MISSING : 'an object' }),
}).strict();

/** A named width with its base value and the grid the search may move it on. */
export const widthGroupSchema = object({
  name: name(),
  /** The width of the original (hand-designed) network. */
  base: positiveInt(),
  /** Smallest allowed width (>= 1). */
  min: positiveInt(),
  /** Largest allowed width. */
  max: positiveInt(),
  /** Allowed widths are min, min + step, min + 2*step, ... up to max. */
  step: positiveInt(),
});

const activation = oneOf(['relu', 'none'] as const);

/** A 2-D convolution, optionally followed by batch norm and an activation. */
export const convLayerSchema = object({
  type: z.literal('conv'),
  name: name(),
  group: name(),
  kernel: positiveInt(),
  stride: positiveInt().optional(),
  padding: oneOf(['same', 'valid'] as const).optional(),
  bias: flag().optional(),
  bn: flag().optional(),
  activation: activation.optional(),
});

/** A dense layer. With `group` its width is that group's; without, it is the output layer and has `classes` units. */
export const denseLayerSchema = object({
  type: z.literal('dense'),
  name: name(),
  group: name().optional(),
  bias: flag().optional(),
  activation: activation.optional(),
});

export const maxPoolLayerSchema = object({ type: z.literal('maxpool'), size: positiveInt(), stride: positiveInt().optional() });

/** Global average pool over height and width. */
export const gapLayerSchema = object({ type: z.literal('gap') });

export const flattenLayerSchema = object({ type: z.literal('flatten') });

/**
 * He et al.'s basic block: conv3x3(stride) - BN - ReLU - conv3x3 - BN, plus a shortcut, then ReLU.
 * The first conv's width is the block's own group `inner`; the second conv's width is `group`,
 * the residual stream it is added to.
 * Shortcuts: `identity` (same group and stride 1), `pad` (He et al.'s option A: subsample by the
 * stride and zero-pad the channels, no parameters; if the stream narrows, the extra channels are
 * dropped), `projection` (1x1 conv with the stride, no bias, + BN).
 */
export const blockLayerSchema = object({
  type: z.literal('block'),
  name: name(),
  inner: name(),
  group: name(),
  stride: positiveInt().optional(),
  shortcut: oneOf(['identity', 'pad', 'projection'] as const),
});

/**
 * A depthwise convolution: one `kernel` x `kernel` filter per input channel, so its width is its
 * input's and it has no group of its own (it belongs to the group of the layer before it), no
 * bias, optionally batch norm and an activation.
 */
export const depthwiseLayerSchema = object({
  type: z.literal('depthwise'),
  name: name(),
  kernel: positiveInt(),
  stride: positiveInt().optional(),
  padding: oneOf(['same', 'valid'] as const).optional(),
  bn: flag().optional(),
  activation: activation.optional(),
});

/**
 * MobileNetV2's inverted-residual block (Sandler et al.): conv 1x1 to the hidden width `expand` -
 * BN - ReLU - depthwise 3x3 with the block's stride - BN - ReLU - conv 1x1 to `group` - BN, no
 * activation. The block's input is added to its output when it is of the same group (`group`, the
 * residual stream) and the stride is 1, with no activation after the addition; otherwise there is
 * no shortcut. The depthwise conv belongs to the hidden group `expand`, the projection to `group`.
 */
export const invertedLayerSchema = object({
  type: z.literal('inverted'),
  name: name(),
  expand: name(),
  group: name(),
  stride: positiveInt().optional(),
});

const LAYER_TYPES = ['conv', 'depthwise', 'dense', 'maxpool', 'gap', 'flatten', 'block', 'inverted'];

export const layerSchema = z.discriminatedUnion('type', [convLayerSchema, depthwiseLayerSchema, denseLayerSchema, maxPoolLayerSchema, gapLayerSchema, flattenLayerSchema, blockLayerSchema, invertedLayerSchema], {
  errorMap: (issue, ctx) => ({
    message: issue.code === 'invalid_union_discriminator' ? `one of ${LAYER_TYPES.map((t) => JSON.stringify(t)).join(', ')}` : ctx.data === undefined ? MISSING : 'a layer object with a "type"',
  }),
});

/** A search-space document. */
export const spaceSchema = object({
  /** Short id, e.g. `resnet20-cifar`. */
  name: name(),
  description: name().optional(),
  input: z.tuple([positiveInt(), positiveInt(), positiveInt()], expecting('[height, width, channels]')),
  classes: positiveInt(),
  /** Registry name of the default dataset. */
  dataset: name(),
  groups: z.array(widthGroupSchema, expecting('a non-empty array of width groups')).min(1),
  layers: z.array(layerSchema, expecting('a non-empty array of layers')).min(1),
});
