// The vector multiply-add every kernel is built on, in both builds: relaxed SIMD's fused
// `f32x4.relaxed_madd` where the build enables it, a multiply then an add otherwise.

/** a * b + c, lane by lane. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return v128.relaxed_madd<f32>(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}
