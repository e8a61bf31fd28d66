/**
 * The zero padding that the SIMD forward convolution needs (every window whole, so every output
 * pixel takes the kernel's register tiles), shared by the forward convolution and the stride-1
 * input gradient, which is a forward convolution of padded dy.
 *
 * The padding is made one image at a time in a scratch block of one padded image (74 KiB for a
 * 34x34x16 image, inside the L2 cache), which the kernel then reads: a padded copy of the whole
 * batch (9.5 MB for 128x34x34x16) went out to memory and was read back from it, 4 % of the
 * process's CPU time in a profiled ResNet-20 run.
 */
import { heapOffset, heapOutput, type Ctx, type Info, type WasmBackend } from './heap.js';

/**
 * Calls `convolve(source, image)` for every image of x [b, h, w, c], where `source` is the byte
 * offset on the heap of that image placed at row `top`, column `left` of zeros [hp, wp, c]. Rows
 * and columns of x that fall outside it are dropped (a convolution that never reads them). The
 * scratch block is a temporary of `ctx`; `convolve` must not allocate on the heap.
 */
export function forEachPaddedImage(ctx: Ctx, x: Info, hp: number, wp: number, top: number, left: number,
  convolve: (source: number, image: number) => void): void {
  const [b, h, w, c] = x.shape;
  const heap = ctx.backend as WasmBackend;
  const scratch = heapOutput(ctx, [hp, wp, c], (out) => out.fill(0));
  // Views after the last allocation (an allocation may grow the heap and detach older views).
  const out = heap.typedArrayFromHeap(scratch), src = heap.typedArrayFromHeap(x);
  const at = heapOffset(heap, scratch);
  const rows = Math.max(0, Math.min(h, hp - top)), run = Math.max(0, Math.min(w, wp - left)) * c;
  for (let n = 0; n < b; n++) {
    // Only the interior is written: the border of the scratch block stays zero from the first fill.
    for (let r = 0; r < rows; r++) {
      const from = (n * h + r) * w * c;
      out.set(src.subarray(from, from + run), ((r + top) * wp + left) * c);
    }
    convolve(at, n);
  }
}
