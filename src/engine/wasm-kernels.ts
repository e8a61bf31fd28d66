/**
 * The project's own kernels for the wasm backend, registered in one place. tfjs-backend-wasm
 * ships no `Conv2DBackpropFilter` and a slow, loop-based `Conv2DBackpropInput`; both are rebuilt
 * here from the backend's own XNNPACK-backed kernels (Conv2D, BatchMatMul, Transpose, PadV2,
 * StridedSlice, Reshape, Reverse, Concat), called directly through `getKernel(...).kernelFunc`.
 * Every temporary is freed with `backend.disposeData`. No per-element JavaScript loops.
 */
import * as tf from '@tensorflow/tfjs';

type Info = tf.TensorInfo;
type Backend = { disposeData(id: object): void };

interface Ctx {
  backend: Backend;
  temps: Info[];
}

/** Runs the wasm backend's kernel `name`; the result is tracked as a temporary of `ctx`. */
function run(ctx: Ctx, name: string, inputs: Record<string, Info> | Info[], attrs: Record<string, unknown> = {}): Info {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm backend has no ${name} kernel`);
  const out = kernel.kernelFunc({ inputs: inputs as never, backend: ctx.backend as never, attrs: attrs as never }) as Info;
  ctx.temps.push(out);
  return out;
}

/** Runs `body` and frees every temporary except the returned one. */
function withTemps(backend: Backend, body: (ctx: Ctx) => Info): Info {
  const ctx: Ctx = { backend, temps: [] };
  let result: Info | undefined;
  try {
    result = body(ctx);
    return result;
  } finally {
    for (const t of ctx.temps) if (t !== result) backend.disposeData(t.dataId);
  }
}

const transpose = (ctx: Ctx, x: Info, perm: number[]) => run(ctx, 'Transpose', { x }, { perm });
const reshape = (ctx: Ctx, x: Info, shape: number[]) => run(ctx, 'Reshape', { x }, { shape });

/** Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor. */
function padOrCrop(ctx: Ctx, x: Info, top: number, bottom: number, left: number, right: number): Info {
  let y = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [b, h, w, c] = y.shape;
    const t = Math.max(0, -top), l = Math.max(0, -left);
    const size = [b, h - t - Math.max(0, -bottom), w - l - Math.max(0, -right), c];
    y = run(ctx, 'Slice', { x: y }, { begin: [0, t, l, 0], size });
  }
  const pt = Math.max(0, top), pb = Math.max(0, bottom), pl = Math.max(0, left), pr = Math.max(0, right);
  if (pt || pb || pl || pr) y = run(ctx, 'PadV2', { x: y }, { paddings: [[0, 0], [pt, pb], [pl, pr], [0, 0]], constantValue: 0 });
  return y;
}

/** The forward convolution's geometry, from its attributes. */
function geometry(xShape: number[], filterShape: number[], attrs: Record<string, unknown>) {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides as number | [number, number], (attrs.dilations as number | [number, number]) ?? 1,
    attrs.pad as 'same' | 'valid' | number, attrs.dimRoundingMode as 'floor' | undefined, false,
    tf.backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW') ?? 'NHWC'),
  );
  if (info.dataFormat !== 'channelsLast') throw new Error('widthwise wasm conv gradients support NHWC only');
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) throw new Error('widthwise wasm conv gradients support dilation 1 only');
  return info;
}

/**
 * dW[i, j, ci, co] = sum over b, oh, ow of xpad[b, oh*s + i, ow*s + j, ci] * dy[b, oh, ow, co].
 * That is itself a convolution with the roles swapped: input channels become the batch
 * (x as [Cin, H, W, B]), the batch becomes the channels being summed, and dy is the filter
 * ([Ho, Wo, B, Cout]) applied with dilation = the forward stride. One XNNPACK Conv2D does the
 * work; the result [Cin, kh, kw, Cout] is transposed to the filter layout.
 */
function conv2dBackpropFilter({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: Record<string, unknown> }): Info {
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as number[];
  const info = geometry(x.shape, filterShape, attrs);
  const [kh, kw] = filterShape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info;
  return withTemps(backend, (ctx) => {
    // Rows and columns the forward pass never read are cropped; missing ones are zero-padded.
    const needH = (ho - 1) * sh + kh;
    const needW = (wo - 1) * sw + kw;
    const xp = padOrCrop(ctx, x, padInfo.top, needH - x.shape[1] - padInfo.top, padInfo.left, needW - x.shape[2] - padInfo.left);
    const xT = transpose(ctx, xp, [3, 1, 2, 0]);
    const dyT = transpose(ctx, dy, [1, 2, 0, 3]);
    const conv = run(ctx, 'Conv2D', { x: xT, filter: dyT }, { strides: [1, 1], pad: 'valid', dilations: [sh, sw], dataFormat: 'NHWC', dimRoundingMode: undefined });
    return transpose(ctx, conv, [1, 2, 0, 3]);
  });
}

/**
 * dx = the forward convolution transposed: dy zero-inserted by the stride (reshape, pad, reshape),
 * convolved at stride 1 with the filter reversed in both spatial axes and its channel axes swapped,
 * padded by k - 1 - the forward padding (cropped where the forward pass dropped rows).
 */
function conv2dBackpropInput({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: Record<string, unknown> }): Info {
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as number[];
  const info = geometry(inputShape, filter.shape, attrs);
  const [kh, kw, cin, cout] = filter.shape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info;
  const [b, h, w] = inputShape;
  return withTemps(backend, (ctx) => {
    let d = dy;
    if (sh > 1 || sw > 1) {
      const r = reshape(ctx, dy, [b, ho, 1, wo, 1, cout]);
      const p = run(ctx, 'PadV2', { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
      d = reshape(ctx, p, [b, ho * sh, wo * sw, cout]);
    }
    // Rows of the zero-inserted dy beyond (ho - 1) * s + 1 are zeros; the padding below accounts for them.
    const dilatedH = d.shape[1];
    const dilatedW = d.shape[2];
    const top = kh - 1 - padInfo.top;
    const left = kw - 1 - padInfo.left;
    const bottom = h + kh - 1 - dilatedH - top;
    const right = w + kw - 1 - dilatedW - left;
    const dp = padOrCrop(ctx, d, top, bottom, left, right);
    const flipped = run(ctx, 'Reverse', { x: filter }, { dims: [0, 1] });
    const swapped = transpose(ctx, flipped, [0, 1, 3, 2]);
    return run(ctx, 'Conv2D', { x: dp, filter: swapped }, { strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: undefined });
  });
}

let registered = false;

/** Registers the project's wasm kernels (idempotent). Call after the wasm backend is loaded. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  for (const [name, kernelFunc] of [
    ['Conv2DBackpropFilter', conv2dBackpropFilter],
    ['Conv2DBackpropInput', conv2dBackpropInput],
  ] as const) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
