// AssemblyScript source of the input-gradient kernel (built by scripts/build-kernels.ts). The
// module imports the wasm backend's memory; pointers are byte offsets of tensors on that heap.
//
//   dx[b, oh*sh + i - padTop, ow*sw + j - padLeft, ci] += sum over co of dy[b, oh, ow, co] * w[i, j, ci, co]
//
// Each output pixel of the forward pass scatters its gradient through every filter tap, which
// serves any stride and padding with one loop and needs no zero-inserted or re-phased dy. A tile
// of 4 neighbouring dy pixels by 8 input channels is accumulated in registers over the Cout
// channels, then added into dx. The filter is read as wt[i, j, co, ci] (the caller transposes the
// small filter once per call), so the 8 channels of a tile are one contiguous run.
//
// The caller zero-fills the padded dx (below), crops it to dx, and needs Cin to be a multiple of
// 4 (the last tile of a pixel may be 4 channels wide instead of 8).

import { madd } from './lib/madd';

@inline function addInto(p: usize, offset: usize, v: v128): void {
  v128.store(p + offset, f32x4.add(v128.load(p + offset), v));
}

/** 4 dy pixels (dyStep bytes apart; their dx pixels dxStep apart) by 8 channels, over cout. */
@inline function tile4x8(dyp: usize, wp: usize, dxp: usize, cout: i32, dyStep: usize, dxStep: usize, wRow: usize): void {
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
  let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
  let d = dyp, wq = wp;
  for (let co = 0; co < cout; co++) {
    const w0 = v128.load(wq);
    const w1 = v128.load(wq, 16);
    const g0 = v128.load32_splat(d);
    a00 = madd(g0, w0, a00);
    a01 = madd(g0, w1, a01);
    const g1 = v128.load32_splat(d + dyStep);
    a10 = madd(g1, w0, a10);
    a11 = madd(g1, w1, a11);
    const g2 = v128.load32_splat(d + 2 * dyStep);
    a20 = madd(g2, w0, a20);
    a21 = madd(g2, w1, a21);
    const g3 = v128.load32_splat(d + 3 * dyStep);
    a30 = madd(g3, w0, a30);
    a31 = madd(g3, w1, a31);
    d += 4;
    wq += wRow;
  }
  addInto(dxp, 0, a00); addInto(dxp, 16, a01);
  addInto(dxp + dxStep, 0, a10); addInto(dxp + dxStep, 16, a11);
  addInto(dxp + 2 * dxStep, 0, a20); addInto(dxp + 2 * dxStep, 16, a21);
  addInto(dxp + 3 * dxStep, 0, a30); addInto(dxp + 3 * dxStep, 16, a31);
}

/** One dy pixel by 8 channels. */
@inline function tile1x8(dyp: usize, wp: usize, dxp: usize, cout: i32, wRow: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let d = dyp, wq = wp;
  for (let co = 0; co < cout; co++) {
    const g = v128.load32_splat(d);
    a0 = madd(g, v128.load(wq), a0);
    a1 = madd(g, v128.load(wq, 16), a1);
    d += 4;
    wq += wRow;
  }
  addInto(dxp, 0, a0); addInto(dxp, 16, a1);
}

/** One dy pixel by 4 channels (the last tile when Cin is not a multiple of 8). */
@inline function tile1x4(dyp: usize, wp: usize, dxp: usize, cout: i32, wRow: usize): void {
  let a0 = f32x4.splat(0);
  let d = dyp, wq = wp;
  for (let co = 0; co < cout; co++) {
    a0 = madd(v128.load32_splat(d), v128.load(wq), a0);
    d += 4;
    wq += wRow;
  }
  addInto(dxp, 0, a0);
}

/**
 * Adds the input gradient of a stride-(sh, sw), dilation-1 NHWC convolution into dxp, from dy and
 * the filter transposed to wt[kh, kw, cout, cin]. dxp is dx with the forward padding included:
 * [batch, (ho - 1) * sh + kh, (wo - 1) * sw + kw, cin], every position a tap can reach, so the
 * loops need no bounds and whole rows of dy pixels fill the 4-pixel tiles.
 */
export function conv2dInputGrad(
  dy: usize, wt: usize, dxp: usize,
  batch: i32, cin: i32, ho: i32, wo: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32,
): void {
  const hp = (ho - 1) * sh + kh;
  const wp = (wo - 1) * sw + kw;
  const dyStep = <usize>cout << 2;
  const dxStep = <usize>(sw * cin) << 2;
  const wRow = <usize>cin << 2;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < ho; oh++) {
      const dyRow = dy + (<usize>((b * ho + oh) * wo) * cout << 2);
      for (let i = 0; i < kh; i++) {
        const dxRow = dxp + (<usize>((b * hp + oh * sh + i) * wp) * cin << 2);
        for (let j = 0; j < kw; j++) {
          const wTap = wt + (<usize>((i * kw + j) * cout) * cin << 2);
          for (let ci0 = 0; ci0 < cin; ci0 += 8) {
            const wq = wTap + (<usize>ci0 << 2);
            let dyq = dyRow;
            let dxq = dxRow + (<usize>(j * cin + ci0) << 2);
            let ow = 0;
            if (ci0 + 8 <= cin) {
              for (; ow + 4 <= wo; ow += 4) {
                tile4x8(dyq, wq, dxq, cout, dyStep, dxStep, wRow);
                dyq += 4 * dyStep;
                dxq += 4 * dxStep;
              }
              for (; ow < wo; ow++) {
                tile1x8(dyq, wq, dxq, cout, wRow);
                dyq += dyStep;
                dxq += dxStep;
              }
            } else {
              for (; ow < wo; ow++) {
                tile1x4(dyq, wq, dxq, cout, wRow);
                dyq += dyStep;
                dxq += dxStep;
              }
            }
          }
        }
      }
    }
  }
}
