// AssemblyScript source of the depthwise-convolution gradients (one filter per channel, channel
// multiplier 1, NHWC, dilation 1), built by scripts/build-kernels.ts. The module imports the wasm
// backend's memory; pointers are byte offsets of tensors on that heap.
//
//   y[b, oy, ox, c] = sum over taps (i, j) of x[b, oy*sh + i - padTop, ox*sw + j - padLeft, c] * w[i, j, c]
//
// Both gradients walk (example, output pixel, tap) with the taps clipped to the input (padding
// reads zeros and contributes nothing), and handle the channels of a pixel as one contiguous run,
// four lanes at a time: there is no reduction across channels, so every lane is independent.

import { madd } from './lib/madd';

/** dx (zero-filled by the caller) of a depthwise conv: each (output pixel, tap) adds dy * w into one input pixel. */
export function depthwiseInputGrad(
  dy: usize, w: usize, dx: usize,
  batch: i32, h: i32, wd: i32, c: i32, ho: i32, wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32,
): void {
  const vec = c & ~3;
  const pixel = <usize>c << 2;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < ho; oy++) {
      const y0 = oy * sh - padTop;
      const iMin = max(0, -y0), iMax = min(kh, h - y0);
      for (let ox = 0; ox < wo; ox++) {
        const x0 = ox * sw - padLeft;
        const jMin = max(0, -x0), jMax = min(kw, wd - x0);
        const g = dy + <usize>((b * ho + oy) * wo + ox) * pixel;
        for (let i = iMin; i < iMax; i++) {
          for (let j = jMin; j < jMax; j++) {
            const to = dx + <usize>((b * h + y0 + i) * wd + x0 + j) * pixel;
            const tap = w + <usize>(i * kw + j) * pixel;
            let d = 0;
            for (; d < vec; d += 4) {
              const o = <usize>d << 2;
              v128.store(to + o, madd(v128.load(g + o), v128.load(tap + o), v128.load(to + o)));
            }
            for (; d < c; d++) {
              const o = <usize>d << 2;
              store<f32>(to + o, load<f32>(to + o) + load<f32>(g + o) * load<f32>(tap + o));
            }
          }
        }
      }
    }
  }
}

/**
 * dw (zero-filled by the caller, [kh, kw, c]) of a depthwise conv. Each example's products are
 * summed in `partial` (kh*kw*c floats of scratch), then added into dw, so no float32 sum runs
 * over more than one example's output pixels.
 */
export function depthwiseFilterGrad(
  x: usize, dy: usize, dw: usize, partial: usize,
  batch: i32, h: i32, wd: i32, c: i32, ho: i32, wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32,
): void {
  const vec = c & ~3;
  const pixel = <usize>c << 2;
  const taps = kh * kw * c;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < taps; t++) store<f32>(partial + (<usize>t << 2), 0);
    for (let oy = 0; oy < ho; oy++) {
      const y0 = oy * sh - padTop;
      const iMin = max(0, -y0), iMax = min(kh, h - y0);
      for (let ox = 0; ox < wo; ox++) {
        const x0 = ox * sw - padLeft;
        const jMin = max(0, -x0), jMax = min(kw, wd - x0);
        const g = dy + <usize>((b * ho + oy) * wo + ox) * pixel;
        for (let i = iMin; i < iMax; i++) {
          for (let j = jMin; j < jMax; j++) {
            const from = x + <usize>((b * h + y0 + i) * wd + x0 + j) * pixel;
            const acc = partial + <usize>(i * kw + j) * pixel;
            let d = 0;
            for (; d < vec; d += 4) {
              const o = <usize>d << 2;
              v128.store(acc + o, madd(v128.load(g + o), v128.load(from + o), v128.load(acc + o)));
            }
            for (; d < c; d++) {
              const o = <usize>d << 2;
              store<f32>(acc + o, load<f32>(acc + o) + load<f32>(g + o) * load<f32>(from + o));
            }
          }
        }
      }
    }
    let t = 0;
    for (; t + 4 <= taps; t += 4) {
      const o = <usize>t << 2;
      v128.store(dw + o, f32x4.add(v128.load(dw + o), v128.load(partial + o)));
    }
    for (; t < taps; t++) {
      const o = <usize>t << 2;
      store<f32>(dw + o, load<f32>(dw + o) + load<f32>(partial + o));
    }
  }
}
