// Float64 totals of float32 vector sums, shared by the kernels that sum over blocks of rows.

/** Adds the 4 lanes of a float32 vector into 4 float64 totals at p. */
@inline export function addToTotals(p: usize, v: v128): void {
  v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(v)));
  v128.store(p, f64x2.add(v128.load(p, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
}

/** Rows per block: at most 256 (rounding grows with the block) and about 16 KiB of data. */
@inline export function blockRows(width: i32): i32 {
  return max(16, min(256, 4096 / width));
}
