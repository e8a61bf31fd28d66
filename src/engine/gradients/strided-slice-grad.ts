/** The gradient of StridedSlice, which tfjs-core lacks; backend-independent. */
import * as tf from '@tensorflow/tfjs-core';

/**
 * tfjs-core 4.22 ships no gradient for StridedSlice (on any backend): `tf.grad` through
 * `tf.stridedSlice` throws. This one covers positive strides with begin/end masks (no ellipsis,
 * new-axis or shrink masks): dy is zero-inserted by the stride along every axis (reshape, pad,
 * reshape), then placed at `begin` inside zeros of x's shape (pad, or slice where the last stride
 * overhangs x).
 */
function stridedSliceGrad(dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap): { x: () => tf.Tensor } {
  const [x] = saved;
  const a = attrs as unknown as { begin: number[]; end: number[]; strides: number[]; beginMask: number; endMask: number; ellipsisMask: number; newAxisMask: number; shrinkAxisMask: number };
  const info = tf.slice_util.sliceInfo(x.shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
  if (a.ellipsisMask || a.newAxisMask || a.shrinkAxisMask || info.strides.some((st) => st <= 0)) {
    throw new Error('widthwise StridedSlice gradient: only positive strides without ellipsis, new-axis or shrink masks are supported');
  }
  return {
    x: () => tf.tidy(() => {
      const n = dy.shape;
      const st = info.strides;
      let g = dy;
      if (st.some((v) => v > 1)) {
        // A unit axis after each strided axis only: XNNPACK pads at most rank 6.
        g = g.reshape(n.flatMap((d, i) => (st[i] > 1 ? [d, 1] : [d])));
        g = tf.pad(g, n.flatMap((_, i) => (st[i] > 1 ? [[0, 0], [0, st[i] - 1]] : [[0, 0]]) as [number, number][]));
        g = g.reshape(n.map((d, i) => d * st[i]));
      }
      const cut = g.shape.map((d, i) => Math.min(d, x.shape[i] - info.begin[i]));
      if (cut.some((d, i) => d !== g.shape[i])) g = tf.slice(g, g.shape.map(() => 0), cut);
      return tf.pad(g, x.shape.map((d, i) => [info.begin[i], d - info.begin[i] - g.shape[i]] as [number, number]));
    }),
  };
}

/** Registered only where tfjs-core has none. */
export const stridedSliceGradConfig: tf.GradConfig = { kernelName: 'StridedSlice', inputsToSave: ['x'], gradFunc: stridedSliceGrad as never };
