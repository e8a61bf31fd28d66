/**
 * Conv2DBackpropInput for the wasm backend, replacing the shipped loop: at stride 1 the engine's
 * SIMD forward convolution (src/engine/simd/conv2d.as) of padded dy with the flipped filter; at
 * other strides the SIMD scatter kernel (src/engine/simd/conv2d-input-grad.as); where no SIMD
 * build loads or Cin is not a multiple of 4, stride-1 convolutions on the backend's XNNPACK
 * Conv2D, one per output phase of a strided layer, interleaved in one pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, heapOutput, run, withTemps, type Ctx, type Info, type KernelArgs, type WasmBackend } from './heap.js';
import { convGeometry, cropForConv } from './conv-geometry.js';
import { forEachPaddedImage } from './conv2d-padded-copy.js';
import { simdKernels, type SimdKernels } from '../simd/kernel-module.js';

/**
 * The stride-1 input gradient as what it is, a forward convolution: dx = conv(dy zero-padded by
 * k - 1 - the forward padding, w reversed in both spatial axes with its channel axes swapped), on
 * the SIMD forward kernel. Each dx pixel then sums over kh * kw * Cout products in registers, where
 * the scatter kernel sums over Cout only and adds every tile into dx once per tap (at Cout = 16 its
 * register tile was loaded and stored every 16 multiply-adds). Undefined where it does not apply.
 */
function conv2dBackpropInputGather(kernels: SimdKernels, { inputs, backend, attrs }: KernelArgs): Info | undefined {
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as number[];
  const [b, h, w, cin] = inputShape;
  const info = convGeometry(inputShape, filter.shape, attrs);
  const [kh, kw, , cout] = filter.shape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info;
  const top = kh - 1 - padInfo.top, left = kw - 1 - padInfo.left;
  if (sh !== 1 || sw !== 1 || cin % 4 !== 0 || top < 0 || left < 0) return undefined;
  const heap = backend as unknown as WasmBackend;
  return withTemps(backend, (ctx) => {
    // wf[i, j, co, ci] = w[kh-1-i, kw-1-j, ci, co], one pass over the small filter.
    const wf = heapOutput(ctx, [kh, kw, cout, cin], (out, read) => {
      const src = read(filter);
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * cin * cout, to = (i * kw + j) * cout * cin;
          for (let ci = 0; ci < cin; ci++) for (let co = 0; co < cout; co++) out[to + co * cin + ci] = src[from + ci * cout + co];
        }
      }
    });
    const hp = h + kh - 1, wp = w + kw - 1;
    const dx = heapOutput(ctx, inputShape, () => undefined);
    const run = (source: number, batch: number, height: number, width: number, dxAt: number) =>
      kernels.conv2d(source, heapOffset(heap, wf), dxAt, batch, height, width, cout, h, w, cin, kh, kw, 1, 1, 0, 0, w * cin, cin);
    if (top > 0 || left > 0 || ho !== hp || wo !== wp) {
      const dxAt = heapOffset(heap, dx), imageBytes = 4 * h * w * cin;
      forEachPaddedImage(ctx, dy, hp, wp, top, left, (source, n) => run(source, 1, hp, wp, dxAt + n * imageBytes));
    } else {
      run(heapOffset(heap, dy), b, hp, wp, heapOffset(heap, dx));
    }
    return dx;
  });
}

/**
 * The strided input gradient by output phase on the SIMD forward kernel: the dx pixels (s*q + r)
 * of one phase (rh, rw) meet only the taps a + s*m of the filter (see conv2dBackpropInputXnnpack),
 * so each phase is a stride-1 convolution of dy, padded by M - 1 - c, with that sub-filter reversed
 * and channel-swapped, and the kernel writes it straight into its interleaved places in dx (output
 * steps of s pixels and s rows). Images are taken one at a time with every phase, so an image's dx
 * stays in the L2 cache while its phases fill it. Undefined where a phase would need dy cropped
 * (padding larger than the filter) or Cin is not a multiple of 4.
 */
function conv2dBackpropInputPhases(kernels: SimdKernels, { inputs, backend, attrs }: KernelArgs): Info | undefined {
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as number[];
  const [b, h, w, cin] = inputShape;
  if (cin % 4 !== 0) return undefined;
  const info = convGeometry(inputShape, filter.shape, attrs);
  const [kh, kw, , cout] = filter.shape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info;
  interface Phase { rh: number; rw: number; ah: number; aw: number; mh: number; mw: number; qh: number; qw: number; top: number; left: number }
  const phases: Phase[] = [];
  for (let rh = 0; rh < sh; rh++) {
    for (let rw = 0; rw < sw; rw++) {
      const ah = (rh + padInfo.top) % sh, aw = (rw + padInfo.left) % sw;
      const mh = ah < kh ? Math.ceil((kh - ah) / sh) : 0, mw = aw < kw ? Math.ceil((kw - aw) / sw) : 0;
      const qh = Math.ceil((h - rh) / sh), qw = Math.ceil((w - rw) / sw);
      if (mh === 0 || mw === 0 || qh <= 0 || qw <= 0) continue;
      const top = mh - 1 - (rh + padInfo.top - ah) / sh, left = mw - 1 - (rw + padInfo.left - aw) / sw;
      if (top < 0 || left < 0) return undefined;
      phases.push({ rh, rw, ah, aw, mh, mw, qh, qw, top, left });
    }
  }
  const heap = backend as unknown as WasmBackend;
  return withTemps(backend, (ctx) => {
    // Phases without taps leave their dx pixels zero (a 1x1 stride-2 layer: 3 of 4).
    const whole = phases.reduce((n, p) => n + p.qh * p.qw, 0) === h * w;
    const dx = heapOutput(ctx, inputShape, (out) => { if (!whole) out.fill(0); });
    const parts = phases.map((p) => ({
      ...p,
      sub: phaseFilter(ctx, filter, p.ah, p.aw, sh, sw, p.mh, p.mw),
      hp: p.qh + p.mh - 1, wp: p.qw + p.mw - 1,
      scratch: heapOutput(ctx, [p.qh + p.mh - 1, p.qw + p.mw - 1, cout], (out) => out.fill(0)),
    }));
    // Views after the last allocation (an allocation may grow the heap and detach older views).
    const src = heap.typedArrayFromHeap(dy);
    const views = parts.map((p) => heap.typedArrayFromHeap(p.scratch));
    const dxAt = heapOffset(heap, dx);
    for (let n = 0; n < b; n++) {
      parts.forEach((p, k) => {
        // dy of image n at (top, left) of the phase's scratch; its border stays zero.
        const rows = Math.min(ho, p.hp - p.top), run = Math.min(wo, p.wp - p.left) * cout;
        for (let r = 0; r < rows; r++) {
          const from = (n * ho + r) * wo * cout;
          views[k].set(src.subarray(from, from + run), ((r + p.top) * p.wp + p.left) * cout);
        }
        kernels.conv2d(heapOffset(heap, p.scratch), heapOffset(heap, p.sub), dxAt + 4 * ((n * h + p.rh) * w + p.rw) * cin,
          1, p.hp, p.wp, cout, p.qh, p.qw, cin, p.mh, p.mw, 1, 1, 0, 0, sh * w * cin, sw * cin);
      });
    }
    return dx;
  });
}

/** The input gradient on the SIMD kernel (Cin a multiple of 4), or undefined where it does not apply. */
function conv2dBackpropInputSimd(kernels: SimdKernels, { inputs, backend, attrs }: KernelArgs): Info | undefined {
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as number[];
  const [b, h, w, cin] = inputShape;
  if (cin % 4 !== 0) return undefined;
  const info = convGeometry(inputShape, filter.shape, attrs);
  const [kh, kw, , cout] = filter.shape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info;
  const heap = backend as unknown as WasmBackend;
  return withTemps(backend, (ctx) => {
    // wt[i, j, co, ci] = w[i, j, ci, co]: the tile's input channels contiguous, one pass over the small filter.
    const wt = heapOutput(ctx, [kh, kw, cout, cin], (out, read) => {
      const src = read(filter);
      for (let tap = 0; tap < kh * kw; tap++) {
        const base = tap * cin * cout;
        for (let ci = 0; ci < cin; ci++) for (let co = 0; co < cout; co++) out[base + co * cin + ci] = src[base + ci * cout + co];
      }
    });
    // dx with the forward padding around it (every position a tap reaches), cropped afterwards.
    const hp = (ho - 1) * sh + kh, wp = (wo - 1) * sw + kw;
    const padded = heapOutput(ctx, [b, hp, wp, cin], (out) => out.fill(0));
    kernels.conv2dInputGrad(heapOffset(heap, dy), heapOffset(heap, wt), heapOffset(heap, padded), b, cin, ho, wo, cout, kh, kw, sh, sw);
    const { top, left } = padInfo;
    if (top === 0 && left === 0 && hp === h && wp === w) return padded;
    return heapOutput(ctx, inputShape, (dx, read) => {
      const src = read(padded);
      // Rows and columns the forward pass never read (beyond hp, wp) keep a zero gradient.
      const rows = Math.min(h, hp - top), run = Math.min(w, wp - left) * cin;
      dx.fill(0);
      for (let n = 0; n < b; n++) {
        for (let r = 0; r < rows; r++) {
          const from = ((n * hp + r + top) * wp + left) * cin;
          dx.set(src.subarray(from, from + run), (n * h + r) * w * cin);
        }
      }
    });
  });
}

/**
 * dx = the forward convolution transposed. At stride 1 it is one convolution of dy with the filter
 * reversed in both spatial axes and its channel axes swapped, padded by k - 1 - the forward padding
 * (cropped where the forward pass dropped rows).
 *
 * At stride s it is split by output phase instead of zero-inserting dy (which made the convolution
 * s*s times larger, three quarters of it multiplying zeros): the rows i = s*q + r of dx only meet
 * filter taps k = a + s*m with a = (r + pad) mod s, so
 *   dx[s*q + r] = sum over m of dy[q + c - m] * w[a + s*m],   c = (r + pad - a) / s,
 * a stride-1 convolution of dy with that reversed sub-filter, padded by M - 1 - c on top (M taps).
 * The s*s phase results are interleaved into dx in one pass; a phase with no taps stays zero.
 */
function conv2dBackpropInputXnnpack({ inputs, backend, attrs }: KernelArgs): Info {
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as number[];
  const info = convGeometry(inputShape, filter.shape, attrs);
  const [kh, kw] = filter.shape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info;
  const [b, h, w, cin] = inputShape;
  const convolve = (ctx: Ctx, sub: Info, top: number, bottom: number, left: number, right: number) => {
    const { x: dc, pad } = cropForConv(ctx, dy, top, bottom, left, right);
    return run(ctx, 'Conv2D', { x: dc, filter: sub }, { strides: [1, 1], pad, dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: undefined });
  };
  return withTemps(backend, (ctx) => {
    if (sh === 1 && sw === 1) {
      const top = kh - 1 - padInfo.top, left = kw - 1 - padInfo.left;
      return convolve(ctx, phaseFilter(ctx, filter, 0, 0, 1, 1, kh, kw), top, h + kh - 1 - ho - top, left, w + kw - 1 - wo - left);
    }
    const phases: { rh: number; rw: number; out: Info }[] = [];
    for (let rh = 0; rh < sh; rh++) {
      const ah = (rh + padInfo.top) % sh;
      const mh = ah < kh ? Math.ceil((kh - ah) / sh) : 0;
      const qh = Math.ceil((h - rh) / sh);
      if (mh === 0 || qh <= 0) continue;
      const ch = (rh + padInfo.top - ah) / sh;
      for (let rw = 0; rw < sw; rw++) {
        const aw = (rw + padInfo.left) % sw;
        const mw = aw < kw ? Math.ceil((kw - aw) / sw) : 0;
        const qw = Math.ceil((w - rw) / sw);
        if (mw === 0 || qw <= 0) continue;
        const cw = (rw + padInfo.left - aw) / sw;
        const sub = phaseFilter(ctx, filter, ah, aw, sh, sw, mh, mw);
        const top = mh - 1 - ch, left = mw - 1 - cw;
        phases.push({ rh, rw, out: convolve(ctx, sub, top, qh + mh - 1 - ho - top, left, qw + mw - 1 - wo - left) });
      }
    }
    return heapOutput(ctx, [b, h, w, cin], (dx, read) => {
      dx.fill(0);
      for (const { rh, rw, out } of phases) {
        const src = read(out);
        const [, qh, qw] = out.shape;
        for (let n = 0; n < b; n++) {
          for (let q = 0; q < qh; q++) {
            for (let p = 0; p < qw; p++) {
              const from = ((n * qh + q) * qw + p) * cin;
              const to = ((n * h + sh * q + rh) * w + sw * p + rw) * cin;
              for (let c = 0; c < cin; c++) dx[to + c] = src[from + c];
            }
          }
        }
      }
    });
  });
}

/**
 * The taps a + s*m of one output phase, reversed, with channel axes swapped: [M_h, M_w, Cout, Cin]
 * (at stride 1, a = 0 and M = k: the whole filter flipped and swapped). One JavaScript pass:
 * filters are small, and the wasm Reverse kernel was slower than the pass.
 */
function phaseFilter(ctx: Ctx, w: Info, ah: number, aw: number, sh: number, sw: number, mh: number, mw: number): Info {
  const [, kw, cin, cout] = w.shape;
  return heapOutput(ctx, [mh, mw, cout, cin], (out, read) => {
    const src = read(w);
    for (let i = 0; i < mh; i++) {
      for (let j = 0; j < mw; j++) {
        const from = ((ah + sh * (mh - 1 - i)) * kw + (aw + sw * (mw - 1 - j))) * cin * cout;
        const to = (i * mw + j) * cout * cin;
        for (let a = 0; a < cin; a++) for (let o = 0; o < cout; o++) out[to + o * cin + a] = src[from + a * cout + o];
      }
    }
  });
}

/** The SIMD forward kernel at stride 1, the SIMD scatter kernel at other strides, otherwise the XNNPACK formulation. */
function conv2dBackpropInput(args: KernelArgs): Info {
  const kernels = simdKernels(args.backend as unknown as WasmBackend);
  if (!kernels) return conv2dBackpropInputXnnpack(args);
  return conv2dBackpropInputGather(kernels, args) ?? conv2dBackpropInputPhases(kernels, args) ?? conv2dBackpropInputSimd(kernels, args) ?? conv2dBackpropInputXnnpack(args);
}

/** The input gradient on wasm. */
export const conv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput as unknown as tf.KernelFunc,
};
