/**
 * The zero-padded copy of an NHWC activation that the SIMD forward convolution reads (every
 * window whole, so every output pixel takes the kernel's register tiles), shared by the forward
 * convolution and the stride-1 input gradient, which is a forward convolution of padded dy.
 */
import { heapOutput, type Ctx, type Info } from './heap.js';

/**
 * x [b, h, w, c] placed at row `top`, column `left` of a zero [b, hp, wp, c] tensor on the heap.
 * Rows and columns of x that fall outside it are dropped (a convolution that never reads them).
 */
export function zeroPaddedCopy(ctx: Ctx, x: Info, hp: number, wp: number, top: number, left: number): Info {
  const [b, h, w, c] = x.shape;
  return heapOutput(ctx, [b, hp, wp, c], (out, read) => {
    const src = read(x);
    out.fill(0);
    const rows = Math.min(h, hp - top), run = Math.min(w, wp - left) * c;
    for (let n = 0; n < b; n++) {
      for (let r = 0; r < rows; r++) {
        const from = (n * h + r) * w * c;
        out.set(src.subarray(from, from + run), ((n * hp + r + top) * wp + left) * c);
      }
    }
  });
}
