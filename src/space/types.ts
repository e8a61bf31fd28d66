/**
 * The search-space file format (`search-spaces/*.json`). A space declares the input, the classes,
 * a default dataset, named width groups and a list of layers. Every variable width belongs to a
 * group; layers whose outputs are added together (a residual stream) share one group.
 */
import type { z } from 'zod';
import type { blockLayerSchema, convLayerSchema, denseLayerSchema, depthwiseLayerSchema, flattenLayerSchema, gapLayerSchema, invertedLayerSchema, layerSchema, maxPoolLayerSchema, spaceSchema, widthGroupSchema } from './schema.js';

// The types are the schema's (`schema.ts`, where each field is documented): what passes the check
// is exactly what the code reads.

/** A named width with its base value and the grid the search may move it on. */
export type WidthGroup = z.infer<typeof widthGroupSchema>;

export type Activation = 'relu' | 'none';
export type Padding = 'same' | 'valid';

/** A 2-D convolution, optionally followed by batch norm and an activation. */
export type ConvLayer = z.infer<typeof convLayerSchema>;
/** A dense layer; without `group` it is the output layer, with `classes` units. */
export type DenseLayer = z.infer<typeof denseLayerSchema>;
export type MaxPoolLayer = z.infer<typeof maxPoolLayerSchema>;
/** Global average pool over height and width. */
export type GapLayer = z.infer<typeof gapLayerSchema>;
export type FlattenLayer = z.infer<typeof flattenLayerSchema>;
/** He et al.'s basic block (see `blockLayerSchema`). */
export type BlockLayer = z.infer<typeof blockLayerSchema>;
/** A depthwise convolution: one filter per input channel (see `depthwiseLayerSchema`). */
export type DepthwiseLayer = z.infer<typeof depthwiseLayerSchema>;
/** MobileNetV2's inverted-residual block (see `invertedLayerSchema`). */
export type InvertedLayer = z.infer<typeof invertedLayerSchema>;

export type LayerDecl = z.infer<typeof layerSchema>;

/** A validated search space. */
export type SearchSpace = z.infer<typeof spaceSchema> & {
  /** The file it was read from, for messages. */
  file?: string;
};
