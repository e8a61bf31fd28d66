import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { BATCH_NORM_TRAIN } from '../../src/engine/kernels/batch-norm-train.js';
import { relError } from '../helpers/rel-error.js';
import { preferSimdBuild, simdMode, type SimdPreference } from '../../src/engine/simd/kernel-module.js';

before(async () => {
  await initBackend('cpu');
  await initBackend('wasm');
});

const wave = (n: number, f: number) => Array.from({ length: n }, (_, i) => Math.sin(i * f + 0.3));

/** Gradient of sum(maxPool(x) * weights) on one backend; x is ReLU'd so windows hold tied zeros. */
function maxPoolGrad(backend: string, xv: number[], shape: [number, number, number, number], size: number, stride: number, pad: 'same' | 'valid') {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.relu(tf.tensor4d(xv, shape));
    const g = tf.grad((t: tf.Tensor) => {
      const y = tf.maxPool(t as tf.Tensor4D, size, stride, pad);
      return tf.sum(tf.mul(y, tf.reshape(tf.tensor1d(wave(y.size, 0.7)), y.shape)));
    })(x);
    return Array.from(g.dataSync());
  });
}

/** Each build of the SIMD kernels, and none (the JavaScript loops). */
const BUILDS: SimdPreference[] = ['relaxed-simd', 'simd', 'none'];

for (const build of BUILDS) test(`MaxPoolGrad on wasm (SIMD build: ${build}) equals the cpu backend: odd sizes, same/valid, 2x2 and 3x3 windows, tied zeros, channels not a multiple of 4`, () => {
  preferSimdBuild(build);
  const cases: [number, number, number, number, number, number, 'same' | 'valid'][] = [
    [4, 8, 10, 4, 2, 2, 'valid'], [4, 9, 11, 4, 2, 2, 'same'], [2, 7, 7, 3, 3, 2, 'same'],
    [3, 6, 5, 5, 3, 1, 'valid'], [2, 16, 16, 32, 2, 2, 'valid'], [1, 5, 9, 2, 3, 3, 'same'], [2, 9, 11, 3, 2, 2, 'valid'],
    [3, 10, 12, 7, 2, 2, 'valid'], [1, 7, 9, 13, 2, 2, 'valid'],
  ];
  for (const [b, h, w, c, size, stride, pad] of cases) {
    const xv = wave(b * h * w * c, 1.3);
    const wasm = maxPoolGrad('wasm', xv, [b, h, w, c], size, stride, pad);
    const cpu = maxPoolGrad('cpu', xv, [b, h, w, c], size, stride, pad);
    assert.ok(relError(wasm, cpu) < 1e-6, `${b}x${h}x${w}x${c} pool ${size}/${stride} ${pad}: ${relError(wasm, cpu)}`);
  }
  preferSimdBuild('auto');
  tf.setBackend('wasm');
});

/** Loss through all three outputs of training-mode batch norm, with fixed weights per output. */
function bnLoss(y: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor): tf.Scalar {
  const wy = tf.reshape(tf.tensor1d(wave(y.size, 0.37)), y.shape);
  const wm = tf.tensor1d(wave(mean.size, 1.1));
  const wv = tf.tensor1d(wave(variance.size, 0.9));
  return tf.addN([tf.sum(tf.mul(y, wy)), tf.sum(tf.mul(mean, wm)), tf.sum(tf.mul(variance, wv))]) as tf.Scalar;
}

const loopBn = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
  const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, scale: g, offset: b }, { varianceEpsilon: 1e-5 } as never) as tf.Tensor[];
  return { y, mean, variance };
};
/** tfjs's own composition: moments over all axes but the last, then batchNorm. */
const composedBn = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
  const { mean, variance } = tf.moments(x, x.shape.slice(0, -1).map((_, i) => i));
  return { y: tf.batchNorm(x, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5), mean, variance };
};

function bnRun(backend: string, impl: typeof loopBn, shape: number[]) {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const c = shape[shape.length - 1];
    const x = tf.add(tf.mul(tf.tensor(wave(shape.reduce((p, q) => p * q, 1), 0.61), shape), 3), 1.5);
    const g = tf.tensor1d(wave(c, 2.3).map((v) => 1 + v / 2));
    const b = tf.tensor1d(wave(c, 1.7));
    const out = impl(x, g, b);
    const grads = tf.grads((a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
      const r = impl(a, gg, bb);
      return bnLoss(r.y, r.mean, r.variance);
    })([x, g, b]);
    return [out.y, out.mean, out.variance, ...grads].map((t) => Array.from(t.dataSync()));
  });
}

for (const build of BUILDS) test(`batch-norm kernel on wasm (SIMD build: ${build}) equals tfjs moments + batchNorm on the cpu backend: outputs and gradients through y, mean and variance`, () => {
  preferSimdBuild(build);
  if (build !== 'none') assert.equal(simdMode(), build);
  // Channels in vectors of 4 with a scalar rest, one to many blocks of rows, a large mean.
  for (const shape of [[4, 5, 3, 6], [16, 8, 8, 32], [7, 3], [3, 7, 9, 13], [128, 5, 5, 16]]) {
    const loop = bnRun('wasm', loopBn, shape);
    const ref = bnRun('cpu', composedBn, shape);
    ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'].forEach((name, i) => {
      assert.equal(loop[i].length, ref[i].length);
      assert.ok(relError(loop[i], ref[i]) < 2e-5, `${shape} ${name}: ${relError(loop[i], ref[i])}`);
    });
  }
  preferSimdBuild('auto');
  tf.setBackend('wasm');
});

test('batch-norm loop kernel gradients agree with central finite differences (float64 loss on the cpu loop kernel)', () => {
  tf.setBackend('cpu');
  const shape = [3, 2, 2, 3];
  const n = shape.reduce((p, q) => p * q, 1);
  const x0 = wave(n, 0.83).map((v) => 2 * v + 0.5);
  const g0 = [0.7, 1.3, -0.4], b0 = [0.1, -0.2, 0.3];
  const loss = (xv: number[], gv: number[], bv: number[]) => tf.tidy(() => {
    const r = loopBn(tf.tensor(xv, shape), tf.tensor1d(gv), tf.tensor1d(bv));
    return bnLoss(r.y, r.mean, r.variance).dataSync()[0];
  });
  const analytic = tf.tidy(() => tf.grads((a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
    const r = loopBn(a, gg, bb);
    return bnLoss(r.y, r.mean, r.variance);
  })([tf.tensor(x0, shape), tf.tensor1d(g0), tf.tensor1d(b0)]).map((t) => Array.from(t.dataSync())));
  const h = 1e-2;
  const numeric = [x0, g0, b0].map((v, which) => v.map((_, i) => {
    const args = (d: number) => [x0, g0, b0].map((u, k) => (k === which ? u.map((e, j) => (j === i ? e + d : e)) : u)) as [number[], number[], number[]];
    return (loss(...args(h)) - loss(...args(-h))) / (2 * h);
  }));
  numeric.forEach((num, k) => assert.ok(relError(analytic[k], num) < 1e-3, `input ${k}: analytic ${analytic[k]} numeric ${num}`));
  tf.setBackend('wasm');
});

for (const build of BUILDS) test(`Sum on wasm (SIMD build: ${build}) equals the cpu backend: leading axes, keepDims, other axes (shipped kernel), int32, odd widths`, () => {
  preferSimdBuild(build);
  const shape = [3, 4, 5, 6];
  const xv = wave(360, 0.77).map((v) => v * 100);
  const cases: [number[], boolean][] = [[[0, 1, 2], false], [[0], true], [[1, 0], false], [[2, 3], false], [[1], false], [[0, 1, 2, 3], false]];
  for (const [axes, keep] of cases) {
    const [wasm, cpu] = ['wasm', 'cpu'].map((be) => {
      tf.setBackend(be);
      return tf.tidy(() => {
        const s = tf.sum(tf.tensor(xv, shape), axes, keep);
        return { shape: s.shape, values: Array.from(s.dataSync()) };
      });
    });
    assert.deepEqual(wasm.shape, cpu.shape, `axes ${axes} keepDims ${keep}`);
    assert.ok(relError(wasm.values, cpu.values) < 1e-6, `axes ${axes} keepDims ${keep}: ${relError(wasm.values, cpu.values)}`);
  }
  // Many blocks of rows (a bias gradient of a batch of 64).
  const big = [64, 9, 9, 21];
  const bv = wave(big.reduce((p, q) => p * q, 1), 0.53).map((v) => v + 0.25);
  const [wasmBig, cpuBig] = ['wasm', 'cpu'].map((be) => {
    tf.setBackend(be);
    return tf.tidy(() => Array.from(tf.sum(tf.tensor(bv, big), [0, 1, 2]).dataSync()));
  });
  assert.ok(relError(wasmBig, cpuBig) < 1e-6, `${big} over leading axes: ${relError(wasmBig, cpuBig)}`);
  preferSimdBuild('auto');
  tf.setBackend('wasm');
  assert.deepEqual(Array.from(tf.sum(tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32'), 0).dataSync()), [4, 6]);
});
