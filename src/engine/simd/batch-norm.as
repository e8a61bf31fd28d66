// AssemblyScript source of the batch-norm passes (built by scripts/build-kernels.ts). The module
// imports the wasm backend's memory; pointers are byte offsets on that heap. Tensors are [rows, c]
// with the channels contiguous (NHWC flattened).
//
// Sums run over blocks of rows in float32 vectors of 4 channels, and each block's sums are added
// into float64 totals, so rounding grows with the block (at most 256 rows), not with the batch.
// Blocks are small enough (16 KiB) that the channel-vector passes over a block hit the L1 cache.

import { addToTotals, blockRows } from './lib/totals';

/**
 * totals[ch] += sum of (u - ref[ch]), totals[c + ch] += sum of (u - ref[ch]) * (w - wRef[ch]):
 * with w = u and wRef = ref, the shifted first and second moments (forward pass); with u = dy,
 * ref = 0, w = x, wRef = mean, the two sums of the backward pass. totals are float64, zeroed by
 * the caller.
 */
export function channelSums(u: usize, ref: usize, w: usize, wRef: usize, rows: i32, c: i32, totals: usize): void {
  const block = blockRows(c);
  const rowBytes = <usize>c << 2;
  const vecChannels = c & ~3;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = min(rows, r0 + block);
    for (let ch = 0; ch < vecChannels; ch += 4) {
      const off = <usize>ch << 2;
      const a = v128.load(ref + off), b = v128.load(wRef + off);
      let s1 = f32x4.splat(0), s2 = f32x4.splat(0);
      let pu = u + <usize>r0 * rowBytes + off, pw = w + <usize>r0 * rowBytes + off;
      for (let r = r0; r < r1; r++) {
        const du = f32x4.sub(v128.load(pu), a);
        s1 = f32x4.add(s1, du);
        s2 = f32x4.add(s2, f32x4.mul(du, f32x4.sub(v128.load(pw), b)));
        pu += rowBytes;
        pw += rowBytes;
      }
      addToTotals(totals + (<usize>ch << 3), s1);
      addToTotals(totals + (<usize>(c + ch) << 3), s2);
    }
    for (let ch = vecChannels; ch < c; ch++) {
      const off = <usize>ch << 2;
      const a = load<f32>(ref + off), b = load<f32>(wRef + off);
      let s1: f32 = 0, s2: f32 = 0;
      for (let r = r0; r < r1; r++) {
        const p = <usize>r * rowBytes + off;
        const du = load<f32>(u + p) - a;
        s1 += du;
        s2 += du * (load<f32>(w + p) - b);
      }
      store<f64>(totals + (<usize>ch << 3), load<f64>(totals + (<usize>ch << 3)) + <f64>s1);
      store<f64>(totals + (<usize>(c + ch) << 3), load<f64>(totals + (<usize>(c + ch) << 3)) + <f64>s2);
    }
  }
}

/**
 * out = a[ch] * u + k[ch] * (w - m[ch]) + b[ch] over rows of c channels: y = scale (x - mean) + beta
 * in the forward pass (a = 0), dx in the backward pass. The centring by m keeps the large parts of
 * x out of the float32 products.
 */
export function channelAffine(u: usize, a: usize, w: usize, k: usize, m: usize, b: usize, out: usize, rows: i32, c: i32): void {
  const vecChannels = c & ~3;
  let p: usize = 0;
  for (let r = 0; r < rows; r++) {
    for (let ch = 0; ch < vecChannels; ch += 4) {
      const off = <usize>ch << 2;
      const centred = f32x4.sub(v128.load(w + p), v128.load(m + off));
      const v = f32x4.add(f32x4.add(f32x4.mul(v128.load(a + off), v128.load(u + p)), f32x4.mul(v128.load(k + off), centred)), v128.load(b + off));
      v128.store(out + p, v);
      p += 16;
    }
    for (let ch = vecChannels; ch < c; ch++) {
      const off = <usize>ch << 2;
      store<f32>(out + p, load<f32>(a + off) * load<f32>(u + p) + load<f32>(k + off) * (load<f32>(w + p) - load<f32>(m + off)) + load<f32>(b + off));
      p += 4;
    }
  }
}
