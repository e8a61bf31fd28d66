// AssemblyScript source of sums over the leading axes of a [rows, n] tensor (bias gradients),
// built by scripts/build-kernels.ts. The module imports the wasm backend's memory; pointers are
// byte offsets on that heap. Each block of rows is summed in float32 vectors of 4 columns and
// added into float64 totals, so rounding grows with the block, not with the batch.

import { addToTotals, blockRows } from './lib/totals';

/** totals[j] (float64, zeroed by the caller) += sum over rows of x[row, j]. */
export function columnSums(x: usize, rows: i32, n: i32, totals: usize): void {
  const block = blockRows(n);
  const rowBytes = <usize>n << 2;
  const vecColumns = n & ~3;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = min(rows, r0 + block);
    for (let j = 0; j < vecColumns; j += 4) {
      let s = f32x4.splat(0);
      let p = x + <usize>r0 * rowBytes + (<usize>j << 2);
      for (let r = r0; r < r1; r++) {
        s = f32x4.add(s, v128.load(p));
        p += rowBytes;
      }
      addToTotals(totals + (<usize>j << 3), s);
    }
    for (let j = vecColumns; j < n; j++) {
      let s: f32 = 0;
      let p = x + <usize>r0 * rowBytes + (<usize>j << 2);
      for (let r = r0; r < r1; r++) {
        s += load<f32>(p);
        p += rowBytes;
      }
      const t = totals + (<usize>j << 3);
      store<f64>(t, load<f64>(t) + <f64>s);
    }
  }
}
