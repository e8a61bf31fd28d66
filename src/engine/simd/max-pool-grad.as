// AssemblyScript source of the gradient of a 2x2, stride-2 max pool whose windows lie inside the
// input (NHWC), built by scripts/build-kernels.ts. The module imports the wasm backend's memory;
// pointers are byte offsets on that heap.
//
// Each window's gradient goes to its first maximum in row-major order (strict >, the cpu
// backend's rule). Which of the four positions that is comes from vector comparisons as lane
// masks, with no branches (after ReLU the comparisons are coin tosses). A window holding NaN
// sends its gradient to its first position. The caller zero-fills dx (rows and columns past the
// last whole window receive nothing).

/** dx (zero-filled) of a 2x2 stride-2 max pool of x [batch, h, w, c] with output [batch, ho, wo, c]. */
export function maxPoolGrad2x2(dy: usize, x: usize, dx: usize, batch: i32, h: i32, w: i32, c: i32, ho: i32, wo: i32): void {
  const pixel = <usize>c << 2;
  const row = <usize>(w * c) << 2;
  const vecChannels = c & ~3;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const p00 = <usize>(((b * h + 2 * oy) * w + 2 * ox) * c) << 2;
        const g = dy + (<usize>(((b * ho + oy) * wo + ox) * c) << 2);
        for (let d = 0; d < vecChannels; d += 4) {
          const o = p00 + (<usize>d << 2);
          const v0 = v128.load(x + o), v1 = v128.load(x + o + pixel);
          const v2 = v128.load(x + o + row), v3 = v128.load(x + o + row + pixel);
          const is1 = v128.and(f32x4.gt(v1, v0), v128.and(f32x4.ge(v1, v2), f32x4.ge(v1, v3)));
          const is2 = v128.and(f32x4.gt(v2, v0), v128.and(f32x4.gt(v2, v1), f32x4.ge(v2, v3)));
          const is3 = v128.and(f32x4.gt(v3, v0), v128.and(f32x4.gt(v3, v1), f32x4.gt(v3, v2)));
          const grad = v128.load(g + (<usize>d << 2));
          v128.store(dx + o, v128.andnot(grad, v128.or(is1, v128.or(is2, is3))));
          v128.store(dx + o + pixel, v128.and(grad, is1));
          v128.store(dx + o + row, v128.and(grad, is2));
          v128.store(dx + o + row + pixel, v128.and(grad, is3));
        }
        for (let d = vecChannels; d < c; d++) {
          const o = p00 + (<usize>d << 2);
          const v0 = load<f32>(x + o), v1 = load<f32>(x + o + pixel);
          const v2 = load<f32>(x + o + row), v3 = load<f32>(x + o + row + pixel);
          const is1 = <i32>(v1 > v0) & <i32>(v1 >= v2) & <i32>(v1 >= v3);
          const is2 = <i32>(v2 > v0) & <i32>(v2 > v1) & <i32>(v2 >= v3);
          const is3 = <i32>(v3 > v0) & <i32>(v3 > v1) & <i32>(v3 > v2);
          const grad = load<f32>(g + (<usize>d << 2));
          store<f32>(dx + o, select<f32>(0, grad, is1 | is2 | is3));
          store<f32>(dx + o + pixel, select<f32>(grad, 0, is1));
          store<f32>(dx + o + row, select<f32>(grad, 0, is2));
          store<f32>(dx + o + row + pixel, select<f32>(grad, 0, is3));
        }
      }
    }
  }
}
