/**
 * The project's own kernels for the wasm backend, registered in one place. tfjs-backend-wasm
 * ships no `Conv2DBackpropFilter` and a slow, loop-based `Conv2DBackpropInput`; both are rebuilt
 * here around the backend's own XNNPACK convolution (Conv2D, with Transpose, Slice, Reshape,
 * Concat and BatchMatMul kernels), called directly through `getKernel(...).kernelFunc`. Small
 * rearrangements (filter flips, the phase interleave of a strided input gradient) are single
 * JavaScript passes on the wasm heap. Every temporary is freed with `backend.disposeData`.
 * BatchMatMul and Identity are wrapped to take faster paths (see each).
 *
 * What decides the speed, as measured: XNNPACK repacks a convolution's filter on every call, so
 * the filter gradient, whose "filter" is a whole activation, pays for packing it (about as much
 * as the arithmetic); the formulation that packs the smaller operand is chosen per layer.
 */
import * as tf from '@tensorflow/tfjs';

type Info = tf.TensorInfo;
type Backend = { disposeData(id: object): void };

interface Ctx {
  backend: Backend;
  temps: Info[];
}

/** Runs the wasm backend's kernel `name`; the result is tracked as a temporary of `ctx`. */
function run(ctx: Ctx, name: string, inputs: Record<string, Info> | Info[], attrs: Record<string, unknown> = {}): Info {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm backend has no ${name} kernel`);
  const out = kernel.kernelFunc({ inputs: inputs as never, backend: ctx.backend as never, attrs: attrs as never }) as Info;
  ctx.temps.push(out);
  return out;
}

/** Runs `body` and frees every temporary except the returned one. */
function withTemps(backend: Backend, body: (ctx: Ctx) => Info): Info {
  const ctx: Ctx = { backend, temps: [] };
  let result: Info | undefined;
  try {
    result = body(ctx);
    return result;
  } finally {
    for (const t of ctx.temps) if (t !== result) backend.disposeData(t.dataId);
  }
}

const transpose = (ctx: Ctx, x: Info, perm: number[]) => run(ctx, 'Transpose', { x }, { perm });
const reshape = (ctx: Ctx, x: Info, shape: number[]) => run(ctx, 'Reshape', { x }, { shape });

type Explicit = [[number, number], [number, number], [number, number], [number, number]];

/**
 * Crops the spatial axes of an NHWC tensor where an amount is negative and returns the rest as an
 * explicit padding for the wasm Conv2D, which pads inside XNNPACK instead of in a separate pass.
 */
function cropForConv(ctx: Ctx, x: Info, top: number, bottom: number, left: number, right: number): { x: Info; pad: Explicit } {
  let y = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [b, h, w, c] = y.shape;
    const t = Math.max(0, -top), l = Math.max(0, -left);
    const size = [b, h - t - Math.max(0, -bottom), w - l - Math.max(0, -right), c];
    y = run(ctx, 'Slice', { x: y }, { begin: [0, t, l, 0], size });
  }
  return { x: y, pad: [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]] };
}

/** Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor. */
function padOrCrop(ctx: Ctx, x: Info, top: number, bottom: number, left: number, right: number): Info {
  const { x: y, pad } = cropForConv(ctx, x, top, bottom, left, right);
  if (pad.every(([a, b]) => a === 0 && b === 0)) return y;
  return run(ctx, 'PadV2', { x: y }, { paddings: pad, constantValue: 0 });
}

interface HeapBackend extends Backend {
  makeOutput(shape: number[], dtype: 'float32'): Info;
  typedArrayFromHeap(t: Info): Float32Array;
}

/** A new float32 tensor on the wasm heap, tracked as a temporary; `fill` writes it (views are taken after allocation). */
function heapOutput(ctx: Ctx, shape: number[], fill: (out: Float32Array, read: (t: Info) => Float32Array) => void): Info {
  const backend = ctx.backend as HeapBackend;
  const out = backend.makeOutput(shape, 'float32');
  ctx.temps.push(out);
  fill(backend.typedArrayFromHeap(out), (t) => backend.typedArrayFromHeap(t));
  return out;
}

/** out[i, j, c, n] = o[n, kh-1-i, kw-1-j, c]: the swapped filter gradient back in filter layout, one pass. */
function flipToFilterLayout(ctx: Ctx, o: Info): Info {
  const [n, kh, kw, c] = o.shape;
  return heapOutput(ctx, [kh, kw, c, n], (out, read) => {
    const src = read(o);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const to = (i * kw + j) * c * n;
        for (let m = 0; m < n; m++) {
          const from = ((m * kh + (kh - 1 - i)) * kw + (kw - 1 - j)) * c;
          for (let d = 0; d < c; d++) out[to + d * n + m] = src[from + d];
        }
      }
    }
  });
}

/** The forward convolution's geometry, from its attributes. */
function geometry(xShape: number[], filterShape: number[], attrs: Record<string, unknown>) {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides as number | [number, number], (attrs.dilations as number | [number, number]) ?? 1,
    attrs.pad as 'same' | 'valid' | number, attrs.dimRoundingMode as 'floor' | undefined, false,
    tf.backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW') ?? 'NHWC'),
  );
  if (info.dataFormat !== 'channelsLast') throw new Error('widthwise wasm conv gradients support NHWC only');
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) throw new Error('widthwise wasm conv gradients support dilation 1 only');
  return info;
}

/**
 * dW[i, j, ci, co] = sum over b, oh, ow of xpad[b, oh*s + i, ow*s + j, ci] * dy[b, oh, ow, co].
 * That is itself a convolution with the roles swapped: input channels become the batch
 * (x as [Cin, H, W, B]), the batch becomes the channels being summed, and dy is the filter
 * ([Ho, Wo, B, Cout]) applied with dilation = the forward stride. One XNNPACK Conv2D does the
 * work; the result [Cin, kh, kw, Cout] is transposed to the filter layout.
 */
function conv2dBackpropFilter({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: Record<string, unknown> }): Info {
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as number[];
  const info = geometry(x.shape, filterShape, attrs);
  const [kh, kw] = filterShape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info;
  return withTemps(backend, (ctx) => {
    // Rows and columns the forward pass never read are cropped; missing ones are padded by the convolution.
    const needH = (ho - 1) * sh + kh;
    const needW = (wo - 1) * sw + kw;
    const { x: xc, pad } = cropForConv(ctx, x, padInfo.top, needH - x.shape[1] - padInfo.top, padInfo.left, needW - x.shape[2] - padInfo.left);
    // The wasm Transpose kernel: JavaScript passes on the heap were faster alone but slower inside
    // a training step (ResNet-20, same-process A/B: 1604 vs 1671 ms median).
    const xT = transpose(ctx, xc, [3, 1, 2, 0]);
    const dyT = transpose(ctx, dy, [1, 2, 0, 3]);
    const conv = run(ctx, 'Conv2D', { x: xT, filter: dyT }, { strides: [1, 1], pad, dilations: [sh, sw], dataFormat: 'NHWC', dimRoundingMode: undefined });
    return transpose(ctx, conv, [1, 2, 0, 3]);
  });
}

/**
 * The stride-1 filter gradient with the roles of the two big operands swapped, for layers that
 * widen (Cin < Cout). XNNPACK repacks a convolution's filter on every call, and packing, not the
 * arithmetic, is what a fresh multi-megabyte filter costs (measured: a 32x32x64x32 dy as the filter
 * costs 3.8 ms to convolve when packed and cached, 19 ms when packed anew). Here dy is the input
 * ([Cout, Ho, Wo, B], padded by k - 1 - the forward padding) and x the filter ([H, W, B, Cin]), so
 * the packed operand has Cin rather than Cout channels. With O = conv(dy, x):
 *   O[co, u, v, ci] = sum over b, i, j of dy[b, u + i - (kh-1-pt), v + j - (kw-1-pl), co] x[b, i, j, ci]
 * which is dW[kh-1-u, kw-1-v, ci, co]: the result is reversed in both spatial axes and transposed
 * (one JavaScript pass over the small result).
 */
function conv2dBackpropFilterDyAsInput({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: Record<string, unknown> }): Info {
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as number[];
  const info = geometry(x.shape, filterShape, attrs);
  const [kh, kw] = filterShape;
  const { padInfo } = info;
  if (info.strideHeight !== 1 || info.strideWidth !== 1) throw new Error('conv2dBackpropFilterDyAsInput: stride 1 only');
  return withTemps(backend, (ctx) => {
    const dyT = transpose(ctx, dy, [3, 1, 2, 0]);
    const { x: dc, pad } = cropForConv(ctx, dyT, kh - 1 - padInfo.top, kh - 1 - padInfo.bottom, kw - 1 - padInfo.left, kw - 1 - padInfo.right);
    const xT = transpose(ctx, x, [1, 2, 0, 3]);
    const conv = run(ctx, 'Conv2D', { x: dc, filter: xT }, { strides: [1, 1], pad, dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: undefined });
    return flipToFilterLayout(ctx, conv);
  });
}

/**
 * The same filter gradient as one matrix product, dW as [kh*kw*Cin, Cout] = cols x dyWide, built
 * so that every copy is a long contiguous run (the wasm Slice and Concat kernels copy runs with
 * `TypedArray.set`, so short runs are what makes a naive im2col slow).
 *
 * x (padded or cropped to Hq*sh rows, Wq*sw columns) is split by one Transpose into its sh*sw
 * stride phases, [sh, sw, Cin, B*Hq*Wq]. Window tap (i, j) reads phase (i mod sh, j mod sw)
 * shifted by (i div sh) rows and (j div sw) columns of the Hq x Wq phase grid, which over the
 * flattened B*Hq*Wq axis is one shift by `off`: a [Cin, L] slice. Output positions are indexed on
 * the same flattened grid; those outside Ho x Wo (grid margins) read junk that meets zeros in dy,
 * which is zero-padded from [B, Ho, Wo] to [B, Hq, Wq]. The product runs on the wasm BatchMatMul's
 * XNNPACK path (batch 1, no transposes) and lands in the [kh, kw, Cin, Cout] filter layout.
 */
function conv2dBackpropFilterShifted({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: Record<string, unknown> }): Info {
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as number[];
  const info = geometry(x.shape, filterShape, attrs);
  const [kh, kw, cin, cout] = filterShape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info;
  const b = x.shape[0];
  const hq = ho + Math.floor((kh - 1) / sh);
  const wq = wo + Math.floor((kw - 1) / sw);
  const grid = b * hq * wq;
  const len = grid - Math.floor((kh - 1) / sh) * wq - Math.floor((kw - 1) / sw);
  return withTemps(backend, (ctx) => {
    const xp = padOrCrop(ctx, x, padInfo.top, hq * sh - x.shape[1] - padInfo.top, padInfo.left, wq * sw - x.shape[2] - padInfo.left);
    let phases: Info;
    if (sh === 1 && sw === 1) {
      phases = cin === 1 ? xp : transpose(ctx, xp, [3, 0, 1, 2]);
    } else {
      const split = reshape(ctx, xp, [b, hq, sh, wq, sw, cin]);
      phases = transpose(ctx, split, [2, 4, 5, 0, 1, 3]);
    }
    const flat = reshape(ctx, phases, [sh * sw * cin, grid]);
    const taps: Info[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const phase = (i % sh) * sw + (j % sw);
        const off = Math.floor(i / sh) * wq + Math.floor(j / sw);
        const whole = off === 0 && len === grid && sh * sw === 1;
        const tap = whole ? flat : run(ctx, 'Slice', { x: flat }, { begin: [phase * cin, off], size: [cin, len] });
        taps.push(reshape(ctx, tap, [1, cin * len]));
      }
    }
    const cols = taps.length === 1 ? taps[0] : run(ctx, 'Concat', taps, { axis: 0 });
    const a = reshape(ctx, cols, [1, kh * kw * cin, len]);
    let d = dy;
    if (hq !== ho || wq !== wo) d = run(ctx, 'PadV2', { x: dy }, { paddings: [[0, 0], [0, hq - ho], [0, wq - wo], [0, 0]], constantValue: 0 });
    let d2 = reshape(ctx, d, [grid, cout]);
    if (len !== grid) d2 = run(ctx, 'Slice', { x: d2 }, { begin: [0, 0], size: [len, cout] });
    const prod = run(ctx, 'BatchMatMul', { a, b: reshape(ctx, d2, [1, len, cout]) }, { transposeA: false, transposeB: false });
    return reshape(ctx, prod, filterShape);
  });
}

/**
 * Picks the faster formulation, as measured on the reference CNN's layers (2-core x86, 1 thread,
 * batch 64; ms per call, dilated convolution vs shifted-window product): 3x3 s1 on 32x32x3->32
 * 22 vs 27, 16x16x32->64 39 vs 51, 8x8x64->128 34 vs 47; 3x3 s2 16x16x32->64 10 vs 70 (the 6-D
 * phase transpose is slow); 1x1 s1 16x16x32->64 19 vs 3. The product wins only for 1x1 stride 1,
 * where it is a transpose and one XNNPACK matrix product. For widening 3x3 stride-1 layers, dy as
 * the input (less to pack) took the reference CNN step from 190 to 176 ms (same-process A/B).
 */
function conv2dBackpropFilterFastest(args: { inputs: Record<string, Info>; backend: Backend; attrs: Record<string, unknown> }): Info {
  const [kh, kw] = args.attrs.filterShape as number[];
  const strides = args.attrs.strides as number | [number, number];
  const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
  if (sh !== 1 || sw !== 1) return conv2dBackpropFilter(args);
  if (kh === 1 && kw === 1) return conv2dBackpropFilterShifted(args);
  const [, , cin, cout] = args.attrs.filterShape as number[];
  return cin < cout ? conv2dBackpropFilterDyAsInput(args) : conv2dBackpropFilter(args);
}

/**
 * dx = the forward convolution transposed. At stride 1 it is one convolution of dy with the filter
 * reversed in both spatial axes and its channel axes swapped, padded by k - 1 - the forward padding
 * (cropped where the forward pass dropped rows).
 *
 * At stride s it is split by output phase instead of zero-inserting dy (which made the convolution
 * s*s times larger, three quarters of it multiplying zeros): the rows i = s*q + r of dx only meet
 * filter taps k = a + s*m with a = (r + pad) mod s, so
 *   dx[s*q + r] = sum over m of dy[q + c - m] * w[a + s*m],   c = (r + pad - a) / s,
 * a stride-1 convolution of dy with that reversed sub-filter, padded by M - 1 - c on top (M taps).
 * The s*s phase results are interleaved into dx in one pass; a phase with no taps stays zero.
 */
function conv2dBackpropInput({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: Record<string, unknown> }): Info {
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as number[];
  const info = geometry(inputShape, filter.shape, attrs);
  const [kh, kw] = filter.shape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info;
  const [b, h, w, cin] = inputShape;
  const convolve = (ctx: Ctx, sub: Info, top: number, bottom: number, left: number, right: number) => {
    const { x: dc, pad } = cropForConv(ctx, dy, top, bottom, left, right);
    return run(ctx, 'Conv2D', { x: dc, filter: sub }, { strides: [1, 1], pad, dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: undefined });
  };
  return withTemps(backend, (ctx) => {
    if (sh === 1 && sw === 1) {
      const top = kh - 1 - padInfo.top, left = kw - 1 - padInfo.left;
      return convolve(ctx, phaseFilter(ctx, filter, 0, 0, 1, 1, kh, kw), top, h + kh - 1 - ho - top, left, w + kw - 1 - wo - left);
    }
    const phases: { rh: number; rw: number; out: Info }[] = [];
    for (let rh = 0; rh < sh; rh++) {
      const ah = (rh + padInfo.top) % sh;
      const mh = ah < kh ? Math.ceil((kh - ah) / sh) : 0;
      const qh = Math.ceil((h - rh) / sh);
      if (mh === 0 || qh <= 0) continue;
      const ch = (rh + padInfo.top - ah) / sh;
      for (let rw = 0; rw < sw; rw++) {
        const aw = (rw + padInfo.left) % sw;
        const mw = aw < kw ? Math.ceil((kw - aw) / sw) : 0;
        const qw = Math.ceil((w - rw) / sw);
        if (mw === 0 || qw <= 0) continue;
        const cw = (rw + padInfo.left - aw) / sw;
        const sub = phaseFilter(ctx, filter, ah, aw, sh, sw, mh, mw);
        const top = mh - 1 - ch, left = mw - 1 - cw;
        phases.push({ rh, rw, out: convolve(ctx, sub, top, qh + mh - 1 - ho - top, left, qw + mw - 1 - wo - left) });
      }
    }
    return heapOutput(ctx, [b, h, w, cin], (dx, read) => {
      dx.fill(0);
      for (const { rh, rw, out } of phases) {
        const src = read(out);
        const [, qh, qw] = out.shape;
        for (let n = 0; n < b; n++) {
          for (let q = 0; q < qh; q++) {
            for (let p = 0; p < qw; p++) {
              const from = ((n * qh + q) * qw + p) * cin;
              const to = ((n * h + sh * q + rh) * w + sw * p + rw) * cin;
              for (let c = 0; c < cin; c++) dx[to + c] = src[from + c];
            }
          }
        }
      }
    });
  });
}

/**
 * The taps a + s*m of one output phase, reversed, with channel axes swapped: [M_h, M_w, Cout, Cin]
 * (at stride 1, a = 0 and M = k: the whole filter flipped and swapped). One JavaScript pass:
 * filters are small, and the wasm Reverse kernel took 2 ms for a 3x3x64x128 filter.
 */
function phaseFilter(ctx: Ctx, w: Info, ah: number, aw: number, sh: number, sw: number, mh: number, mw: number): Info {
  const [, kw, cin, cout] = w.shape;
  return heapOutput(ctx, [mh, mw, cout, cin], (out, read) => {
    const src = read(w);
    for (let i = 0; i < mh; i++) {
      for (let j = 0; j < mw; j++) {
        const from = ((ah + sh * (mh - 1 - i)) * kw + (aw + sw * (mw - 1 - j))) * cin * cout;
        const to = (i * mw + j) * cout * cin;
        for (let a = 0; a < cin; a++) for (let o = 0; o < cout; o++) out[to + o * cin + a] = src[from + a * cout + o];
      }
    }
  });
}

/**
 * BatchMatMul with a transposed operand: the wasm backend sends those to a plain loop, while the
 * untransposed product runs on XNNPACK. A dense layer's gradients are exactly such products
 * (x^T dy and dy W^T), so for mlp-mnist they cost 20 and 17 ms where an explicit Transpose and the
 * XNNPACK product cost 2.1 and 3.8 ms. The transposes are made explicit here and the shipped
 * kernel does the product.
 */
function batchMatMulTransposing(shipped: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: Info; b: Info };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return shipped(args);
    const swapLast = (rank: number) => [...Array(rank - 2).keys(), rank - 1, rank - 2];
    return withTemps(args.backend as Backend, (ctx) => {
      const at = transposeA ? transpose(ctx, a, swapLast(a.shape.length)) : a;
      const bt = transposeB ? transpose(ctx, b, swapLast(b.shape.length)) : b;
      const out = shipped({ inputs: { a: at, b: bt }, backend: args.backend, attrs: { ...args.attrs, transposeA: false, transposeB: false } }) as Info;
      ctx.temps.push(out);
      return out;
    });
  };
}

/**
 * Identity shares the input's data (a reference count), as the cpu backend's does, where the wasm
 * backend copied it: tfjs clones every tensor it saves for the backward pass, so a training step
 * copied its activations once more (28 copies of a 128x32x32x16 activation in a ResNet-20 step).
 * Safe because no kernel writes into its inputs; a variable's assign swaps its data, never writes.
 */
function identitySharing(shipped: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: Info };
    if (x.dtype === 'string') return shipped(args);
    (args.backend as unknown as { incRef(id: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

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

let registered = false;

/**
 * Registers the project's wasm kernels (idempotent): Conv2DBackpropFilter (absent from
 * tfjs-backend-wasm), Conv2DBackpropInput (replacing the shipped loop), BatchMatMul with
 * transposed operands on the XNNPACK path, an Identity that shares data, plus the StridedSlice
 * gradient that tfjs-core lacks (a gradient is backend-independent, so it serves every backend).
 * Call after the wasm backend is loaded.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  if (!tf.getGradient('StridedSlice')) tf.registerGradient({ kernelName: 'StridedSlice', inputsToSave: ['x'], gradFunc: stridedSliceGrad as never });
  const shippedIdentity = tf.getKernel('Identity', 'wasm');
  if (shippedIdentity) {
    tf.unregisterKernel('Identity', 'wasm');
    tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: identitySharing(shippedIdentity.kernelFunc) });
  }
  const shippedMatMul = tf.getKernel('BatchMatMul', 'wasm');
  if (shippedMatMul) {
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: batchMatMulTransposing(shippedMatMul.kernelFunc), setupFunc: shippedMatMul.setupFunc });
  }
  for (const [name, kernelFunc] of [
    ['Conv2DBackpropFilter', conv2dBackpropFilterFastest],
    ['Conv2DBackpropInput', conv2dBackpropInput],
  ] as const) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
