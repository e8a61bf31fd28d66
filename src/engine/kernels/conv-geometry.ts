/**
 * Geometry shared by the convolution-gradient kernels: the forward convolution's shape facts from
 * its attributes, and the crop-then-pad arrangement that lets the wasm Conv2D pad inside XNNPACK.
 */
import * as tf from '@tensorflow/tfjs-core';
import { run, type Ctx, type Info } from './heap.js';

/** Padding for the wasm Conv2D: [[0, 0], [top, bottom], [left, right], [0, 0]]. */
export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/**
 * The forward convolution's geometry (NHWC, dilation 1), from its attributes; with `depthwise`, of
 * a depthwise convolution (a [kh, kw, C, M] filter, M outputs per input channel). Throws for NCHW
 * or a dilation other than 1.
 */
export function convGeometry(xShape: number[], filterShape: number[], attrs: Record<string, unknown>, depthwise = false): tf.backend_util.Conv2DInfo {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides as number | [number, number], (attrs.dilations as number | [number, number]) ?? 1,
    attrs.pad as 'same' | 'valid' | number, attrs.dimRoundingMode as 'floor' | undefined, depthwise,
    tf.backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW') ?? 'NHWC'),
  );
  const kind = depthwise ? 'depthwise' : 'conv';
  if (info.dataFormat !== 'channelsLast') throw new Error(`widthwise wasm ${kind} gradients support NHWC only`);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) throw new Error(`widthwise wasm ${kind} gradients support dilation 1 only`);
  return info;
}

/** The [height, width] strides of a convolution's attributes. */
export function stridesOf(attrs: Record<string, unknown>): [number, number] {
  const strides = attrs.strides as number | [number, number];
  return typeof strides === 'number' ? [strides, strides] : strides;
}

/**
 * Crops the spatial axes of an NHWC tensor where an amount is negative and returns the rest as an
 * explicit padding for the wasm Conv2D, which pads inside XNNPACK instead of in a separate pass.
 */
export function cropForConv(ctx: Ctx, x: Info, top: number, bottom: number, left: number, right: number): { x: Info; pad: ExplicitPadding } {
  let y = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [b, h, w, c] = y.shape;
    const t = Math.max(0, -top), l = Math.max(0, -left);
    const size = [b, h - t - Math.max(0, -bottom), w - l - Math.max(0, -right), c];
    y = run(ctx, 'Slice', { x: y }, { begin: [0, t, l, 0], size });
  }
  return { x: y, pad: [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]] };
}

/** Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor. */
export function padOrCrop(ctx: Ctx, x: Info, top: number, bottom: number, left: number, right: number): Info {
  const { x: y, pad } = cropForConv(ctx, x, top, bottom, left, right);
  if (pad.every(([a, b]) => a === 0 && b === 0)) return y;
  return run(ctx, 'PadV2', { x: y }, { paddings: pad, constantValue: 0 });
}
