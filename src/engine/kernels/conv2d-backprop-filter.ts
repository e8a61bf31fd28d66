/**
 * Conv2DBackpropFilter for the wasm backend, which ships none: the engine's compiled SIMD kernel
 * (src/engine/simd/conv2d-filter-grad.as) reading x and dy where they lie, or, where no SIMD build
 * loads, the gradient built around the backend's XNNPACK convolution and matrix product in the
 * formulation that is fastest for the layer's shape.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, heapOutput, reshape, run, transpose, withTemps, type Ctx, type Info, type KernelArgs, type WasmBackend } from './heap.js';
import { convGeometry, cropForConv, padOrCrop, stridesOf } from './conv-geometry.js';
import { simdKernels, type SimdKernels } from '../simd/kernel-module.js';

/** out[i, j, c, n] = o[n, kh-1-i, kw-1-j, c]: the swapped filter gradient back in filter layout, one pass. */
function flipToFilterLayout(ctx: Ctx, o: Info): Info {
  const [n, kh, kw, c] = o.shape;
  return heapOutput(ctx, [kh, kw, c, n], (out, read) => {
    const src = read(o);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const to = (i * kw + j) * c * n;
        for (let m = 0; m < n; m++) {
          const from = ((m * kh + (kh - 1 - i)) * kw + (kw - 1 - j)) * c;
          for (let d = 0; d < c; d++) out[to + d * n + m] = src[from + d];
        }
      }
    }
  });
}

/**
 * dW[i, j, ci, co] = sum over b, oh, ow of xpad[b, oh*s + i, ow*s + j, ci] * dy[b, oh, ow, co].
 * That is itself a convolution with the roles swapped: input channels become the batch
 * (x as [Cin, H, W, B]), the batch becomes the channels being summed, and dy is the filter
 * ([Ho, Wo, B, Cout]) applied with dilation = the forward stride. One XNNPACK Conv2D does the
 * work; the result [Cin, kh, kw, Cout] is transposed to the filter layout.
 */
function conv2dBackpropFilter({ inputs, backend, attrs }: KernelArgs): Info {
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as number[];
  const info = convGeometry(x.shape, filterShape, attrs);
  const [kh, kw] = filterShape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info;
  return withTemps(backend, (ctx) => {
    // Rows and columns the forward pass never read are cropped; missing ones are padded by the convolution.
    const needH = (ho - 1) * sh + kh;
    const needW = (wo - 1) * sw + kw;
    const { x: xc, pad } = cropForConv(ctx, x, padInfo.top, needH - x.shape[1] - padInfo.top, padInfo.left, needW - x.shape[2] - padInfo.left);
    // The wasm Transpose kernel, not a JavaScript pass: the pass was slower inside a training step
    // (results/experiments/engine.md).
    const xT = transpose(ctx, xc, [3, 1, 2, 0]);
    const dyT = transpose(ctx, dy, [1, 2, 0, 3]);
    const conv = run(ctx, 'Conv2D', { x: xT, filter: dyT }, { strides: [1, 1], pad, dilations: [sh, sw], dataFormat: 'NHWC', dimRoundingMode: undefined });
    return transpose(ctx, conv, [1, 2, 0, 3]);
  });
}

/**
 * The stride-1 filter gradient with the roles of the two big operands swapped, for layers that
 * widen (Cin < Cout). XNNPACK repacks a convolution's filter on every call, and packing, not the
 * arithmetic, is what a fresh multi-megabyte filter costs. Here dy is the input
 * ([Cout, Ho, Wo, B], padded by k - 1 - the forward padding) and x the filter ([H, W, B, Cin]), so
 * the packed operand has Cin rather than Cout channels. With O = conv(dy, x):
 *   O[co, u, v, ci] = sum over b, i, j of dy[b, u + i - (kh-1-pt), v + j - (kw-1-pl), co] x[b, i, j, ci]
 * which is dW[kh-1-u, kw-1-v, ci, co]: the result is reversed in both spatial axes and transposed
 * (one JavaScript pass over the small result).
 */
function conv2dBackpropFilterDyAsInput({ inputs, backend, attrs }: KernelArgs): Info {
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as number[];
  const info = convGeometry(x.shape, filterShape, attrs);
  const [kh, kw] = filterShape;
  const { padInfo } = info;
  if (info.strideHeight !== 1 || info.strideWidth !== 1) throw new Error('conv2dBackpropFilterDyAsInput: stride 1 only');
  return withTemps(backend, (ctx) => {
    const dyT = transpose(ctx, dy, [3, 1, 2, 0]);
    const { x: dc, pad } = cropForConv(ctx, dyT, kh - 1 - padInfo.top, kh - 1 - padInfo.bottom, kw - 1 - padInfo.left, kw - 1 - padInfo.right);
    const xT = transpose(ctx, x, [1, 2, 0, 3]);
    const conv = run(ctx, 'Conv2D', { x: dc, filter: xT }, { strides: [1, 1], pad, dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: undefined });
    return flipToFilterLayout(ctx, conv);
  });
}

/**
 * The same filter gradient as one matrix product, dW as [kh*kw*Cin, Cout] = cols x dyWide, built
 * so that every copy is a long contiguous run (the wasm Slice and Concat kernels copy runs with
 * `TypedArray.set`, so short runs are what makes a naive im2col slow).
 *
 * x (padded or cropped to Hq*sh rows, Wq*sw columns) is split by one Transpose into its sh*sw
 * stride phases, [sh, sw, Cin, B*Hq*Wq]. Window tap (i, j) reads phase (i mod sh, j mod sw)
 * shifted by (i div sh) rows and (j div sw) columns of the Hq x Wq phase grid, which over the
 * flattened B*Hq*Wq axis is one shift by `off`: a [Cin, L] slice. Output positions are indexed on
 * the same flattened grid; those outside Ho x Wo (grid margins) read junk that meets zeros in dy,
 * which is zero-padded from [B, Ho, Wo] to [B, Hq, Wq]. The product runs on the wasm BatchMatMul's
 * XNNPACK path (batch 1, no transposes) and lands in the [kh, kw, Cin, Cout] filter layout.
 */
function conv2dBackpropFilterShifted({ inputs, backend, attrs }: KernelArgs): Info {
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as number[];
  const info = convGeometry(x.shape, filterShape, attrs);
  const [kh, kw, cin, cout] = filterShape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info;
  const b = x.shape[0];
  const hq = ho + Math.floor((kh - 1) / sh);
  const wq = wo + Math.floor((kw - 1) / sw);
  const grid = b * hq * wq;
  const len = grid - Math.floor((kh - 1) / sh) * wq - Math.floor((kw - 1) / sw);
  return withTemps(backend, (ctx) => {
    const xp = padOrCrop(ctx, x, padInfo.top, hq * sh - x.shape[1] - padInfo.top, padInfo.left, wq * sw - x.shape[2] - padInfo.left);
    let phases: Info;
    if (sh === 1 && sw === 1) {
      phases = cin === 1 ? xp : transpose(ctx, xp, [3, 0, 1, 2]);
    } else {
      const split = reshape(ctx, xp, [b, hq, sh, wq, sw, cin]);
      phases = transpose(ctx, split, [2, 4, 5, 0, 1, 3]);
    }
    const flat = reshape(ctx, phases, [sh * sw * cin, grid]);
    const taps: Info[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const phase = (i % sh) * sw + (j % sw);
        const off = Math.floor(i / sh) * wq + Math.floor(j / sw);
        const whole = off === 0 && len === grid && sh * sw === 1;
        const tap = whole ? flat : run(ctx, 'Slice', { x: flat }, { begin: [phase * cin, off], size: [cin, len] });
        taps.push(reshape(ctx, tap, [1, cin * len]));
      }
    }
    const cols = taps.length === 1 ? taps[0] : run(ctx, 'Concat', taps, { axis: 0 });
    const a = reshape(ctx, cols, [1, kh * kw * cin, len]);
    let d = dy;
    if (hq !== ho || wq !== wo) d = run(ctx, 'PadV2', { x: dy }, { paddings: [[0, 0], [0, hq - ho], [0, wq - wo], [0, 0]], constantValue: 0 });
    let d2 = reshape(ctx, d, [grid, cout]);
    if (len !== grid) d2 = run(ctx, 'Slice', { x: d2 }, { begin: [0, 0], size: [len, cout] });
    const prod = run(ctx, 'BatchMatMul', { a, b: reshape(ctx, d2, [1, len, cout]) }, { transposeA: false, transposeB: false });
    return reshape(ctx, prod, filterShape);
  });
}

/**
 * The SIMD kernel where a build of it loads; otherwise the faster XNNPACK formulation per layer,
 * as measured on the reference CNN's layers (figures in results/experiments/engine.md): the
 * dilated convolution for strided layers, the matrix product for 1x1 stride 1 (a transpose and
 * one XNNPACK product), and for 3x3 stride 1 whichever operand arrangement gives XNNPACK the
 * smaller filter to pack.
 */
function conv2dBackpropFilterFastest(args: KernelArgs): Info {
  const kernels = simdKernels(args.backend as unknown as WasmBackend);
  const simd = kernels && conv2dBackpropFilterSimd(kernels, args);
  if (simd) return simd;
  const [kh, kw] = args.attrs.filterShape as number[];
  const [sh, sw] = stridesOf(args.attrs);
  if (sh !== 1 || sw !== 1) return conv2dBackpropFilter(args);
  if (kh === 1 && kw === 1) return conv2dBackpropFilterShifted(args);
  const [, , cin, cout] = args.attrs.filterShape as number[];
  return cin < cout ? conv2dBackpropFilterDyAsInput(args) : conv2dBackpropFilter(args);
}

/**
 * Output pixels per chunk of the SIMD kernel: small enough that a chunk's dy and x rows stay in
 * the L1 cache while every tap and tile reads them (the fastest of 32, 64, 256 and 1024 pixels in
 * a same-process A/B; results/experiments/engine.md).
 */
const CHUNK_PIXELS = 64;
/** Bytes the SIMD kernel may read past the end of x or dy (whole vectors over the last channels). */
const OVERREAD_BYTES = 32;

/** The share of a 4-lane tile's lanes that n rows fill. */
const laneFill = (n: number) => n / (Math.ceil(n / 4) * 4);

/**
 * The filter gradient on the SIMD kernel. Its output is laid out with Cin rounded up to 4 rows and
 * Cout to 8 columns per tap (the kernel's tile); where that is not the filter's own layout, the
 * padding is dropped in one pass.
 *
 * Where Cin leaves lanes of the tile empty and the kw * Cin values of a filter row fill more of
 * them (Cin = 1: 3 of 4 lanes instead of 1), the kernel takes each filter row as one tile of
 * overlapping channels (see `pix` in conv2d-filter-grad.as) on a copy of x padded left and right.
 */
function conv2dBackpropFilterSimd(kernels: SimdKernels, { inputs, backend, attrs }: KernelArgs): Info | undefined {
  const { x, dy } = inputs;
  const heap = backend as unknown as WasmBackend;
  const filterShape = attrs.filterShape as number[];
  const info = convGeometry(x.shape, filterShape, attrs);
  const [kh, kw, cin, cout] = filterShape;
  const [b, h, w] = x.shape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info;
  const xAt = heapOffset(heap, x), dyAt = heapOffset(heap, dy);
  const end = Math.max(xAt + 4 * x.shape.reduce((p, q) => p * q, 1), dyAt + 4 * dy.shape.reduce((p, q) => p * q, 1));
  // Allocating the output may grow the heap, never shrink it, so this bound holds for the call.
  if (end + OVERREAD_BYTES > heap.wasm.HEAPU8.length) return undefined;
  const chunkRows = Math.max(1, Math.floor(CHUNK_PIXELS / wo));
  const dwRow = Math.ceil(cout / 8) * 8;
  if (kw > 1 && laneFill(kw * cin) > laneFill(cin)) {
    return withTemps(backend, (ctx) => {
      const rowChannels = kw * cin, rowPad = Math.ceil(rowChannels / 4) * 4;
      // x with every column a tap reaches, [b, h, wp, cin], and room for the tile's last lanes.
      const wp = (wo - 1) * sw + kw, left = padInfo.left, cols = Math.max(0, Math.min(w, wp - left));
      const padded = heapOutput(ctx, [b * h * wp * cin + OVERREAD_BYTES / 4], (out, read) => {
        const src = read(x);
        out.fill(0);
        for (let r = 0; r < b * h; r++) out.set(src.subarray(r * w * cin, (r * w + cols) * cin), (r * wp + left) * cin);
      });
      const acc = heapOutput(ctx, [kh * rowPad, dwRow], (out) => out.fill(0));
      kernels.conv2dFilterGrad(heapOffset(heap, padded), dyAt, heapOffset(heap, acc), b, h, wp, rowChannels, ho, wo, cout, kh, 1, sh, sw,
        padInfo.top, 0, dwRow, chunkRows, cin);
      return heapOutput(ctx, filterShape, (out, read) => {
        const src = read(acc);
        for (let i = 0; i < kh; i++) {
          for (let q = 0; q < rowChannels; q++) out.set(src.subarray((i * rowPad + q) * dwRow, (i * rowPad + q) * dwRow + cout), (i * rowChannels + q) * cout);
        }
      });
    });
  }
  const cinPad = Math.ceil(cin / 4) * 4;
  const direct = cinPad === cin && dwRow === cout;
  return withTemps(backend, (ctx) => {
    const acc = heapOutput(ctx, direct ? filterShape : [kh * kw * cinPad, dwRow], (out) => out.fill(0));
    kernels.conv2dFilterGrad(xAt, dyAt, heapOffset(heap, acc), b, h, w, cin, ho, wo, cout, kh, kw, sh, sw, padInfo.top, padInfo.left,
      dwRow, chunkRows, cin);
    if (direct) return acc;
    return heapOutput(ctx, filterShape, (out, read) => {
      const src = read(acc);
      for (let tap = 0; tap < kh * kw; tap++) {
        for (let ci = 0; ci < cin; ci++) {
          const from = (tap * cinPad + ci) * dwRow, to = (tap * cin + ci) * cout;
          out.set(src.subarray(from, from + cout), to);
        }
      }
    });
  });
}

/** The filter gradient on wasm. */
export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilterFastest as unknown as tf.KernelFunc,
};
