/** The per-channel affine pass shared by the batch-norm kernels. */
import { BLOCK_ROWS } from './heap.js';

/** out = a * u (+ k * v) + b per channel, over rows of `c` channels. */
export function affineRows(u: Float32Array, a: Float64Array, v: { x: Float32Array; k: Float64Array } | undefined, b: Float64Array, out: Float32Array, c: number): void {
  const rows = u.length / c;
  for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const end = Math.min(rows, r0 + BLOCK_ROWS) * c;
    for (let d = 0; d < c; d++) {
      const ad = a[d], bd = b[d];
      if (v) {
        const xv = v.x, kd = v.k[d];
        for (let i = r0 * c + d; i < end; i += c) out[i] = ad * u[i] + kd * xv[i] + bd;
      } else {
        for (let i = r0 * c + d; i < end; i += c) out[i] = ad * u[i] + bd;
      }
    }
  }
}
