/**
 * Kernels written as plain loops over Float32Arrays, for the memory-bound steps of training where
 * the wasm backend's shipped kernels are slow or wrong: the max-pool gradient (tfjs-backend-wasm
 * 4.22's MaxPoolGrad is a slow loop and disagrees with the cpu backend for some shapes), sums over
 * leading axes (bias gradients), and a training-mode batch norm whose forward and backward are one
 * kernel each (tfjs composes the backward from ~15 ops, a Tile among them, which on wasm cost more
 * than the convolutions).
 *
 * The loops are backend-independent; thin adapters read and write the wasm heap (no copy) or the
 * cpu backend's arrays. Registering them for `cpu` too lets the tests hold the wasm version against
 * tfjs's own composition on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';

type Info = tf.TensorInfo;

/** Storage access for one backend: input views, and outputs allocated then filled. */
interface Storage {
  read(t: Info): Float32Array;
  /** Allocates outputs of these shapes (zero-filled), fills them with `fill`, returns their infos. */
  write(shapes: number[][], fill: (outs: Float32Array[], read: (t: Info) => Float32Array) => void): Info[];
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): Info;
  typedArrayFromHeap(t: Info): Float32Array;
}
interface CpuBackendLike {
  data: { get(id: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): Info;
}

function wasmStorage(backend: WasmBackendLike): Storage {
  return {
    read: (t) => backend.typedArrayFromHeap(t),
    write(shapes, fill) {
      // Allocate everything first: a heap allocation can grow (and detach) the wasm memory, so
      // views are taken only afterwards.
      const infos = shapes.map((s) => backend.makeOutput(s, 'float32'));
      const outs = infos.map((i) => backend.typedArrayFromHeap(i));
      for (const o of outs) o.fill(0);
      fill(outs, (t) => backend.typedArrayFromHeap(t));
      return infos;
    },
  };
}

function cpuStorage(backend: CpuBackendLike): Storage {
  const read = (t: Info) => backend.data.get(t.dataId).values as Float32Array;
  return {
    read,
    write(shapes, fill) {
      const outs = shapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)));
      fill(outs, read);
      return shapes.map((s, i) => backend.makeTensorInfo(s, 'float32', outs[i]));
    },
  };
}

const STORAGE: Record<string, (backend: unknown) => Storage> = {
  wasm: (b) => wasmStorage(b as WasmBackendLike),
  cpu: (b) => cpuStorage(b as CpuBackendLike),
};

function requireFloat(name: string, ...ts: Info[]): void {
  for (const t of ts) if (t.dtype !== 'float32') throw new Error(`${name}: expected float32 tensors, found ${t.dtype}`);
}

// ---------------------------------------------------------------------------------------------
// Max-pool gradient

/**
 * dx of a 2-D max pool (NHWC): each output's gradient goes to the first maximum of its window in
 * row-major order (strict >, the cpu backend's rule), windows clipped to the input. The window is
 * walked pixel by pixel with all channels of a pixel in one run, so memory is read in order.
 */
export function maxPoolGradLoop(dy: Float32Array, x: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  if (isPlain2x2(info)) return maxPoolGrad2x2(dy, x, dx, info);
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, dilationHeight: dh, dilationWidth: dw } = info;
  const padTop = info.padInfo.top, padLeft = info.padInfo.left;
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * inWidth * c;
    for (let oy = 0; oy < outHeight; oy++) {
      const top = oy * strideHeight - padTop;
      let rMin = top;
      while (rMin < 0) rMin += dh;
      const rMax = Math.min(inHeight, top + fh);
      for (let ox = 0; ox < outWidth; ox++) {
        const left = ox * strideWidth - padLeft;
        let cMin = left;
        while (cMin < 0) cMin += dw;
        const cMax = Math.min(inWidth, left + fw);
        best.fill(-Infinity);
        where.fill(-1);
        for (let r = rMin; r < rMax; r += dh) {
          for (let col = cMin; col < cMax; col += dw) {
            const base = xBatch + (r * inWidth + col) * c;
            for (let d = 0; d < c; d++) {
              const v = x[base + d];
              if (v > best[d]) {
                best[d] = v;
                where[d] = base + d;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * c;
        for (let d = 0; d < c; d++) if (where[d] >= 0) dx[where[d]] += dy[dyBase + d];
      }
    }
  }
}

/** A 2x2 window with stride 2, every window inside the input, no dilation: the networks' usual pooling. */
function isPlain2x2(info: tf.backend_util.Conv2DInfo): boolean {
  return info.filterHeight === 2 && info.filterWidth === 2 && info.strideHeight === 2 && info.strideWidth === 2
    && info.dilationHeight === 1 && info.dilationWidth === 1
    && 2 * info.outHeight <= info.inHeight && 2 * info.outWidth <= info.inWidth && info.padInfo.top === 0 && info.padInfo.left === 0;
}

/**
 * The same rule for 2x2 windows at stride 2 (windows do not overlap, so each input receives at
 * most one gradient), without branches: which of the four is the first maximum is computed as
 * 0/1 integers from comparisons and every position gets dy times its indicator. After ReLU the
 * comparisons are coin tosses, and branching on them mispredicts about half the time.
 * (A window holding NaN sends its gradient to its first position; the training stops on NaN anyway.)
 */
function maxPoolGrad2x2(dy: Float32Array, x: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const row = inWidth * c;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const p00 = ((b * inHeight + 2 * oy) * inWidth + 2 * ox) * c;
        const p01 = p00 + c, p10 = p00 + row, p11 = p10 + c;
        const g = ((b * outHeight + oy) * outWidth + ox) * c;
        for (let d = 0; d < c; d++) {
          const v0 = x[p00 + d], v1 = x[p01 + d], v2 = x[p10 + d], v3 = x[p11 + d];
          const is1 = ((v1 > v0) as unknown as number) & ((v1 >= v2) as unknown as number) & ((v1 >= v3) as unknown as number);
          const is2 = ((v2 > v0) as unknown as number) & ((v2 > v1) as unknown as number) & ((v2 >= v3) as unknown as number);
          const is3 = ((v3 > v0) as unknown as number) & ((v3 > v1) as unknown as number) & ((v3 > v2) as unknown as number);
          const grad = dy[g + d];
          dx[p00 + d] = grad * (1 - is1 - is2 - is3);
          dx[p01 + d] = grad * is1;
          dx[p10 + d] = grad * is2;
          dx[p11 + d] = grad * is3;
        }
      }
    }
  }
}

function maxPoolGradKernel(storage: (backend: unknown) => Storage): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: Info; input: Info };
    requireFloat('MaxPoolGrad', dy, input);
    const a = attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'same' | 'valid' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    const s = storage(backend);
    return s.write([input.shape], ([dx], read) => maxPoolGradLoop(read(dy), read(input), dx, info))[0];
  };
}

// ---------------------------------------------------------------------------------------------
// Sum over leading axes (bias gradients)

/** out[j] = sum over i of x[i * out.length + j], float64 accumulation. */
export function sumLeadingLoop(x: Float32Array, out: Float32Array): void {
  const n = out.length;
  const rows = x.length / n;
  const acc = new Float64Array(n);
  for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const end = Math.min(rows, r0 + BLOCK_ROWS) * n;
    for (let j = 0; j < n; j++) {
      let t = 0;
      for (let i = r0 * n + j; i < end; i += n) t += x[i];
      acc[j] += t;
    }
  }
  out.set(acc);
}

/**
 * The wasm Sum transposes its input whenever the reduced axes are not the innermost ones; a bias
 * gradient (sum of dy over batch, height and width) is the opposite case, so it paid a full
 * transpose of dy. Sums over leading axes of float32 run as one loop; every other sum goes to the
 * shipped kernel.
 */
function sumKernel(shipped: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: Info };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) return shipped(args);
    const rest = x.shape.slice(axes.length);
    const shape = keepDims ? [...axes.map(() => 1), ...rest] : rest;
    return STORAGE.wasm(args.backend).write([shape], ([out], read) => sumLeadingLoop(read(x), out))[0];
  };
}

// ---------------------------------------------------------------------------------------------
// Training-mode batch norm over every axis but the last (channels)

export const BATCH_NORM_TRAIN = 'WidthwiseBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'WidthwiseBatchNormTrainGrad';

/**
 * y = gamma * (x - mean) / sqrt(var + eps) + beta with the batch mean and the biased batch variance
 * per channel, written to `y`, `mean`, `variance`: one pass for the statistics, one for y.
 */
export function batchNormTrainLoop(x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, y: Float32Array, mean: Float32Array, variance: Float32Array): void {
  const c = gamma.length;
  const rows = x.length / c;
  // One pass for both moments, shifted by the first row so that E[t^2] - E[t]^2 does not cancel
  // when the mean is large against the spread; float64 sums.
  const ref = Float64Array.from(x.subarray(0, c));
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const end = Math.min(rows, r0 + BLOCK_ROWS) * c;
    for (let d = 0; d < c; d++) {
      const r = ref[d];
      let s1 = 0, s2 = 0;
      for (let i = r0 * c + d; i < end; i += c) {
        const t = x[i] - r;
        s1 += t;
        s2 += t * t;
      }
      sum[d] += s1;
      sq[d] += s2;
    }
  }
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let d = 0; d < c; d++) {
    const shiftedMean = sum[d] / rows;
    const m = ref[d] + shiftedMean;
    const v = Math.max(0, sq[d] / rows - shiftedMean * shiftedMean);
    mean[d] = m;
    variance[d] = v;
    scale[d] = gamma[d] / Math.sqrt(v + eps);
    shift[d] = beta[d] - m * scale[d];
  }
  affineRows(x, scale, undefined, shift, y, c);
}

/**
 * Rows of this many channel vectors are walked one channel at a time with the running values in
 * locals: about twice as fast in V8 as the row-by-row loop with per-channel arrays (3.3 vs 7.1 ms
 * for the statistics of a 128x32x32x16 activation), while a block still sits in the L1 cache.
 */
const BLOCK_ROWS = 256;

/** out = a * u (+ k * v) + b per channel, over rows of `c` channels. */
function affineRows(u: Float32Array, a: Float64Array, v: { x: Float32Array; k: Float64Array } | undefined, b: Float64Array, out: Float32Array, c: number): void {
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

/**
 * Gradients of the batch-norm kernel's three outputs (y, mean, variance) with respect to x, gamma
 * and beta. With r = 1/sqrt(var + eps), N rows, S1 = sum dy and S2 = sum dy * (x - mean) per channel:
 *   dbeta = S1,  dgamma = r * S2,
 *   dx = gamma r dy - gamma r S1 / N - gamma r^3 S2 (x - mean) / N   (through y)
 *        + dmean / N + 2 dvar (x - mean) / N                         (through the statistics).
 */
export function batchNormTrainGradLoop(
  dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, variance: Float32Array, dMean: Float32Array, dVariance: Float32Array, eps: number,
  dx: Float32Array, dGamma: Float32Array, dBeta: Float32Array,
): void {
  const c = gamma.length;
  const rows = x.length / c;
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const end = Math.min(rows, r0 + BLOCK_ROWS) * c;
    for (let d = 0; d < c; d++) {
      const m = mean[d];
      let t1 = 0, t2 = 0;
      for (let i = r0 * c + d; i < end; i += c) {
        const g = dy[i];
        t1 += g;
        t2 += g * (x[i] - m);
      }
      s1[d] += t1;
      s2[d] += t2;
    }
  }
  const a = new Float64Array(c);
  const k = new Float64Array(c);
  const b = new Float64Array(c);
  for (let d = 0; d < c; d++) {
    const r = 1 / Math.sqrt(variance[d] + eps);
    dBeta[d] = s1[d];
    dGamma[d] = r * s2[d];
    a[d] = gamma[d] * r;
    k[d] = (-gamma[d] * r * r * r * s2[d] + 2 * dVariance[d]) / rows;
    // dx = a dy + k (x - mean) + (dmean - a S1) / N, folded into a dy + k x + b.
    b[d] = (dMean[d] - a[d] * s1[d]) / rows - k[d] * mean[d];
  }
  affineRows(dy, a, { x, k }, b, dx, c);
}

function batchNormTrainKernel(storage: (backend: unknown) => Storage): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, scale, offset } = inputs as { x: Info; scale: Info; offset: Info };
    requireFloat(BATCH_NORM_TRAIN, x, scale, offset);
    const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
    const c = x.shape[x.shape.length - 1];
    return storage(backend).write([x.shape, [c], [c]], ([y, mean, variance], read) =>
      batchNormTrainLoop(read(x), read(scale), read(offset), eps, y, mean, variance));
  };
}

function batchNormTrainGradKernel(storage: (backend: unknown) => Storage): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, x, scale, mean, variance, dMean, dVariance } = inputs as Record<string, Info>;
    requireFloat(BATCH_NORM_TRAIN_GRAD, dy, x, scale, mean, variance, dMean, dVariance);
    const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
    const c = x.shape[x.shape.length - 1];
    return storage(backend).write([x.shape, [c], [c]], ([dx, dGamma, dBeta], read) =>
      batchNormTrainGradLoop(read(dy), read(x), read(scale), read(mean), read(variance), read(dMean), read(dVariance), eps, dx, dGamma, dBeta));
  };
}

/** The gradient of BATCH_NORM_TRAIN: one grad kernel call gives all three input gradients. */
const batchNormTrainGradConfig: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dMean, dVariance] = dys as tf.Tensor[];
    const [x, scale, mean, variance] = saved;
    // Computed here, not inside the thunks: the engine runs each thunk in its own tidy, which
    // would dispose the outputs that thunk does not return.
    const [dx, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy, x, scale, mean, variance, dMean, dVariance }, attrs) as tf.Tensor[];
    return { x: () => dx, scale: () => dScale, offset: () => dOffset };
  },
};

/** Whether the loop kernels serve the active backend. */
export function loopKernelsActive(): boolean {
  return tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) !== undefined;
}

/**
 * Training-mode batch norm (statistics over all axes but the last). On backends with the loop
 * kernels it is one kernel forward and one backward; elsewhere (tfjs-node) tfjs's own ops.
 * Returns y and the batch mean and biased variance (for the moving averages).
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (loopKernelsActive()) {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, scale: gamma, offset: beta }, { varianceEpsilon: eps } as never) as tf.Tensor[];
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return { y: tf.batchNorm(x, mean, variance, beta, gamma, eps), mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

const registered = new Set<string>();

/**
 * Registers the loop kernels for `backendName` (`wasm` or `cpu`; idempotent; call once the
 * backend's own kernels are registered). On wasm, MaxPoolGrad replaces the shipped one and Sum
 * takes over sums over leading axes; on cpu the shipped kernels stay, as the independent reference.
 */
export function registerLoopKernels(backendName: 'wasm' | 'cpu'): void {
  if (registered.has(backendName)) return;
  registered.add(backendName);
  const storage = STORAGE[backendName];
  tf.registerKernel({ kernelName: BATCH_NORM_TRAIN, backendName, kernelFunc: batchNormTrainKernel(storage) });
  tf.registerKernel({ kernelName: BATCH_NORM_TRAIN_GRAD, backendName, kernelFunc: batchNormTrainGradKernel(storage) });
  if (backendName === 'wasm') {
    if (tf.getKernel('MaxPoolGrad', 'wasm')) tf.unregisterKernel('MaxPoolGrad', 'wasm');
    tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName, kernelFunc: maxPoolGradKernel(storage) });
    const shippedSum = tf.getKernel('Sum', 'wasm');
    if (shippedSum) {
      tf.unregisterKernel('Sum', 'wasm');
      tf.registerKernel({ kernelName: 'Sum', backendName, kernelFunc: sumKernel(shippedSum.kernelFunc), setupFunc: shippedSum.setupFunc });
    }
  }
  if (!tf.getGradient(BATCH_NORM_TRAIN)) tf.registerGradient(batchNormTrainGradConfig);
}
