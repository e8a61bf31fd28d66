// AssemblyScript source of the filter-gradient kernel (compiled by scripts/build-kernels.ts into
// conv2d-filter-grad.simd.wasm and conv2d-filter-grad.relaxed.wasm). The module imports the wasm
// backend's memory, so every pointer below is a byte offset of a tensor on that heap.
//
//   dW[i, j, ci, co] = sum over b, oh, ow of x[b, oh*sh + i - padTop, ow*sw + j - padLeft, ci] * dy[b, oh, ow, co]
//
// Both operands are read where they lie (NHWC): for one filter tap the sum is a product
// x_tap^T (Cin x P) times dy (P x Cout) over the P output pixels, accumulated in registers for a
// tile of 4 input channels by 8 output channels while the pixels stream past. Pixels are taken in
// chunks of output rows small enough to stay in the L1 cache while every tap and tile reads them.
//
// Tiles read whole vectors past the last channel (up to 3 floats of x, 7 of dy); those lanes and
// rows only reach padding rows and columns of `dw`, which is laid out as
// [kh * kw * cinPad, dwRow] with cinPad = Cin rounded up to 4 and dwRow = Cout rounded up to 8.
// The caller zero-fills dw, keeps 32 bytes of heap after x and dy, and drops the padding.

import { madd } from './lib/madd';

/** Accumulates the tile (ci0..ci0+3, co0..co0+7) of one tap over output rows [row0, row1). */
@inline function tile4x8(
  x: usize, dy: usize, acc: usize, dwRow: i32,
  h: i32, w: i32, cin: i32, ho: i32, wo: i32, cout: i32,
  i: i32, j: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32,
  owLo: i32, owHi: i32, row0: i32, row1: i32, ci0: i32, co0: i32, pix: i32,
): void {
  const rowBytes = <usize>dwRow << 2;
  let a00 = v128.load(acc), a01 = v128.load(acc, 16);
  let a10 = v128.load(acc + rowBytes), a11 = v128.load(acc + rowBytes, 16);
  let a20 = v128.load(acc + 2 * rowBytes), a21 = v128.load(acc + 2 * rowBytes, 16);
  let a30 = v128.load(acc + 3 * rowBytes), a31 = v128.load(acc + 3 * rowBytes, 16);
  const xStep = <usize>(sw * pix) << 2;
  const dyStep = <usize>cout << 2;
  const n = owHi - owLo;
  // Image and output row of row0, then stepped row by row (no division per row: on 8x8 maps a
  // row is only 8 pixels of multiply-adds).
  let b = row0 / ho;
  let oh = row0 - b * ho - 1;
  for (let r = row0; r < row1; r++) {
    if (++oh == ho) { oh = 0; b++; }
    const ih = oh * sh + i - padTop;
    if (<u32>ih >= <u32>h) continue;
    let xp = x + ((<usize>((b * h + ih) * w + owLo * sw + j - padLeft) * pix + ci0) << 2);
    let dp = dy + ((<usize>(r * wo + owLo) * cout + co0) << 2);
    for (let k = 0; k < n; k++) {
      const d0 = v128.load(dp);
      const d1 = v128.load(dp, 16);
      const x0 = v128.load32_splat(xp);
      a00 = madd(x0, d0, a00);
      a01 = madd(x0, d1, a01);
      const x1 = v128.load32_splat(xp, 4);
      a10 = madd(x1, d0, a10);
      a11 = madd(x1, d1, a11);
      const x2 = v128.load32_splat(xp, 8);
      a20 = madd(x2, d0, a20);
      a21 = madd(x2, d1, a21);
      const x3 = v128.load32_splat(xp, 12);
      a30 = madd(x3, d0, a30);
      a31 = madd(x3, d1, a31);
      xp += xStep;
      dp += dyStep;
    }
  }
  v128.store(acc, a00); v128.store(acc, a01, 16);
  v128.store(acc + rowBytes, a10); v128.store(acc + rowBytes, a11, 16);
  v128.store(acc + 2 * rowBytes, a20); v128.store(acc + 2 * rowBytes, a21, 16);
  v128.store(acc + 3 * rowBytes, a30); v128.store(acc + 3 * rowBytes, a31, 16);
}

/**
 * Adds the filter gradient of a stride-(sh, sw), dilation-1 NHWC convolution into dw (layout
 * above). Output rows (b, oh) are walked in chunks of `chunkRows`.
 *
 * `pix` is the distance in floats between neighbouring pixels of x, Cin for a plain call. With
 * pix < cin the "channels" overlap: called with kw = 1 and cin = kw * Cin on an x padded left and
 * right (so that no tap leaves the image), channel q of a pixel is x at float q past the pixel's
 * window start, which is tap j = q / Cin, channel q % Cin of the real filter; for Cin = 1 a tile
 * of 4 such channels holds 3 taps instead of 1 channel and 3 lanes of padding.
 */
export function conv2dFilterGrad(
  x: usize, dy: usize, dw: usize,
  batch: i32, h: i32, w: i32, cin: i32, ho: i32, wo: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32,
  dwRow: i32, chunkRows: i32, pix: i32,
): void {
  const cinPad = (cin + 3) & ~3;
  const rows = batch * ho;
  for (let row0 = 0; row0 < rows; row0 += chunkRows) {
    const row1 = min(rows, row0 + chunkRows);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        // Output columns whose input column ow*sw + j - padLeft lies inside the image.
        let owLo = 0;
        while (owLo < wo && owLo * sw + j - padLeft < 0) owLo++;
        let owHi = wo;
        while (owHi > owLo && (owHi - 1) * sw + j - padLeft >= w) owHi--;
        if (owLo >= owHi) continue;
        const tapBase = dw + (<usize>((i * kw + j) * cinPad) * dwRow << 2);
        for (let ci0 = 0; ci0 < cin; ci0 += 4) {
          const accRow = tapBase + (<usize>(ci0 * dwRow) << 2);
          for (let co0 = 0; co0 < cout; co0 += 8) {
            tile4x8(x, dy, accRow + (<usize>co0 << 2), dwRow, h, w, cin, ho, wo, cout,
              i, j, sh, sw, padTop, padLeft, owLo, owHi, row0, row1, ci0, co0, pix);
          }
        }
      }
    }
  }
}
