// AssemblyScript source of the forward convolution (built by scripts/build-kernels.ts). The module
// imports the wasm backend's memory; pointers are byte offsets of tensors on that heap.
//
//   y[b, oh, ow, co] = sum over i, j, ci of x[b, oh*sh + i - padTop, ow*sw + j - padLeft, ci] * w[i, j, ci, co]
//
// A tile of 4 neighbouring output pixels by 8 (or 4) output channels is accumulated in registers
// over the filter's rows and, within a row, over (j, ci), which is one contiguous run of x and of
// w. Pixels whose window crosses the left or right edge take the one-pixel path with the run
// clipped (the engine hands the kernel zero-padded images, so it has none); rows outside the
// image are skipped. A row's last 1-3 pixels take a tile that overlaps the one before. Cout must
// be a multiple of 4.

import { madd } from './lib/madd';

/** 4 pixels (xStep bytes apart in x) by 8 channels over filter rows [iLo, iHi) and runs of n = kw*cin. */
@inline function tile4x8(xp: usize, wp: usize, yp: usize, iLo: i32, iHi: i32, n: i32, xRowBytes: usize, wRowBytes: usize, wStep: usize, xStep: usize, yStep: usize): void {
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
  let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
  for (let i = iLo; i < iHi; i++) {
    let xq = xp + <usize>i * xRowBytes;
    let wq = wp + <usize>i * wRowBytes;
    for (let q = 0; q < n; q++) {
      const w0 = v128.load(wq);
      const w1 = v128.load(wq, 16);
      const g0 = v128.load32_splat(xq);
      a00 = madd(g0, w0, a00);
      a01 = madd(g0, w1, a01);
      const g1 = v128.load32_splat(xq + xStep);
      a10 = madd(g1, w0, a10);
      a11 = madd(g1, w1, a11);
      const g2 = v128.load32_splat(xq + 2 * xStep);
      a20 = madd(g2, w0, a20);
      a21 = madd(g2, w1, a21);
      const g3 = v128.load32_splat(xq + 3 * xStep);
      a30 = madd(g3, w0, a30);
      a31 = madd(g3, w1, a31);
      xq += 4;
      wq += wStep;
    }
  }
  v128.store(yp, a00); v128.store(yp, a01, 16);
  v128.store(yp + yStep, a10); v128.store(yp + yStep, a11, 16);
  v128.store(yp + 2 * yStep, a20); v128.store(yp + 2 * yStep, a21, 16);
  v128.store(yp + 3 * yStep, a30); v128.store(yp + 3 * yStep, a31, 16);
}

/** 4 pixels by 4 channels (the last channels when Cout is not a multiple of 8). */
@inline function tile4x4(xp: usize, wp: usize, yp: usize, iLo: i32, iHi: i32, n: i32, xRowBytes: usize, wRowBytes: usize, wStep: usize, xStep: usize, yStep: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let i = iLo; i < iHi; i++) {
    let xq = xp + <usize>i * xRowBytes;
    let wq = wp + <usize>i * wRowBytes;
    for (let q = 0; q < n; q++) {
      const w0 = v128.load(wq);
      a0 = madd(v128.load32_splat(xq), w0, a0);
      a1 = madd(v128.load32_splat(xq + xStep), w0, a1);
      a2 = madd(v128.load32_splat(xq + 2 * xStep), w0, a2);
      a3 = madd(v128.load32_splat(xq + 3 * xStep), w0, a3);
      xq += 4;
      wq += wStep;
    }
  }
  v128.store(yp, a0);
  v128.store(yp + yStep, a1);
  v128.store(yp + 2 * yStep, a2);
  v128.store(yp + 3 * yStep, a3);
}

/** One pixel by 8 or 4 channels (`wide`) over rows [iLo, iHi) and runs of n (clipped at an edge). */
@inline function pixel(xp: usize, wp: usize, yp: usize, iLo: i32, iHi: i32, n: i32, xRowBytes: usize, wRowBytes: usize, wStep: usize, wide: bool): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  for (let i = iLo; i < iHi; i++) {
    let xq = xp + <usize>i * xRowBytes;
    let wq = wp + <usize>i * wRowBytes;
    for (let q = 0; q < n; q++) {
      const g = v128.load32_splat(xq);
      a0 = madd(g, v128.load(wq), a0);
      if (wide) a1 = madd(g, v128.load(wq, 16), a1);
      xq += 4;
      wq += wStep;
    }
  }
  v128.store(yp, a0);
  if (wide) v128.store(yp, a1, 16);
}

/** One output pixel's channels [co0, co0 + 8 or 4) with the window's columns clipped to the image. */
function edgePixel(w: usize, y: usize, xRow: usize, ow: i32, co0: i32, wide: bool,
  wd: i32, cin: i32, cout: i32, kw: i32, sw: i32, padLeft: i32, iLo: i32, iHi: i32, xRowBytes: usize, wRowBytes: usize): void {
  const left = ow * sw - padLeft;
  const jLo = max(0, -left), jHi = min(kw, wd - left);
  if (jLo >= jHi) {
    v128.store(y, f32x4.splat(0));
    if (wide) v128.store(y, f32x4.splat(0), 16);
    return;
  }
  const xp = xRow + (<usize>((left + jLo) * cin) << 2);
  const wp = w + (<usize>(jLo * cin * cout + co0) << 2);
  const n = (jHi - jLo) * cin;
  if (wide) pixel(xp, wp, y, iLo, iHi, n, xRowBytes, wRowBytes, <usize>cout << 2, true);
  else pixel(xp, wp, y, iLo, iHi, n, xRowBytes, wRowBytes, <usize>cout << 2, false);
}

/**
 * y = the stride-(sh, sw), dilation-1 NHWC convolution of x with w[kh, kw, cin, cout]. Output
 * pixel (b, oh, ow) starts at float (b * ho + oh) * yRow + ow * yPixel of y: yRow = wo * cout and
 * yPixel = cout for a plain NHWC output; larger steps write one output phase of a strided input
 * gradient straight into its interleaved places in dx.
 */
export function conv2d(
  x: usize, w: usize, y: usize,
  batch: i32, h: i32, wd: i32, cin: i32, ho: i32, wo: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32,
  yRow: i32, yPixel: i32,
): void {
  const xRowBytes = <usize>(wd * cin) << 2;
  const wRowBytes = <usize>(kw * cin * cout) << 2;
  const wStep = <usize>cout << 2;
  const xStep = <usize>(sw * cin) << 2;
  const yStep = <usize>yPixel << 2;
  const n = kw * cin;
  // Output columns whose whole window lies inside the image: [owA, owB).
  let owA = 0;
  while (owA < wo && owA * sw - padLeft < 0) owA++;
  let owB = wo;
  while (owB > owA && (owB - 1) * sw - padLeft + kw > wd) owB--;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < ho; oh++) {
      const top = oh * sh - padTop;
      const iLo = max(0, -top), iHi = min(kh, h - top);
      // x at row `top` (possibly outside the image: only rows iLo..iHi - 1 of it are read), column 0.
      const xRow = x + (<usize>((b * h + top) * wd) * cin << 2);
      const yAt = y + (<usize>((b * ho + oh) * yRow) << 2);
      for (let co0 = 0; co0 < cout; co0 += 8) {
        const wide = co0 + 8 <= cout;
        const wCo = w + (<usize>co0 << 2);
        for (let ow = 0; ow < owA; ow++) {
          edgePixel(w, yAt + (<usize>(ow * yPixel + co0) << 2), xRow, ow, co0, wide, wd, cin, cout, kw, sw, padLeft, iLo, iHi, xRowBytes, wRowBytes);
        }
        let ow = owA;
        let xp = xRow + (<usize>((ow * sw - padLeft) * cin) << 2);
        let yp = yAt + (<usize>(ow * yPixel + co0) << 2);
        if (wide) {
          for (; ow + 4 <= owB; ow += 4) {
            tile4x8(xp, wCo, yp, iLo, iHi, n, xRowBytes, wRowBytes, wStep, xStep, yStep);
            xp += 4 * xStep;
            yp += 4 * yStep;
          }
        } else {
          for (; ow + 4 <= owB; ow += 4) {
            tile4x4(xp, wCo, yp, iLo, iHi, n, xRowBytes, wRowBytes, wStep, xStep, yStep);
            xp += 4 * xStep;
            yp += 4 * yStep;
          }
        }
        // The last 1-3 whole-window pixels: one more tile ending at owB, overlapping the previous
        // one (it stores the same values again). The one-pixel path has 2 accumulator chains
        // where a tile has 8, so on a 7-pixel row its 3 pixels cost more than the first 4.
        if (ow < owB && owB - owA >= 4) {
          const back = <usize>(4 - (owB - ow));
          if (wide) tile4x8(xp - back * xStep, wCo, yp - back * yStep, iLo, iHi, n, xRowBytes, wRowBytes, wStep, xStep, yStep);
          else tile4x4(xp - back * xStep, wCo, yp - back * yStep, iLo, iHi, n, xRowBytes, wRowBytes, wStep, xStep, yStep);
          ow = owB;
        }
        for (; ow < wo; ow++) {
          edgePixel(w, yAt + (<usize>(ow * yPixel + co0) << 2), xRow, ow, co0, wide, wd, cin, cout, kw, sw, padLeft, iLo, iHi, xRowBytes, wRowBytes);
        }
      }
    }
  }
}
