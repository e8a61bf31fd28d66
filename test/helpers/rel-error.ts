/**
 * The largest absolute difference between `a` and the reference `b`, relative to the largest
 * magnitude in `b` (1 when `b` is all zeros): how far a kernel's output is from a trusted one.
 */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}
