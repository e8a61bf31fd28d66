/**
 * Conv2DBackpropInput for the wasm backend, replacing the shipped loop: stride-1 convolutions on
 * the backend's XNNPACK Conv2D, one per output phase of a strided layer, interleaved in one pass.
 */
import * as tf from '@tensorflow/tfjs';
import { heapOutput, run, withTemps, type Ctx, type Info, type KernelArgs } from './heap.js';
import { convGeometry, cropForConv } from './conv-geometry.js';

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
function conv2dBackpropInput({ inputs, backend, attrs }: KernelArgs): Info {
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

/** The input gradient on wasm. */
export const conv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput as unknown as tf.KernelFunc,
};
