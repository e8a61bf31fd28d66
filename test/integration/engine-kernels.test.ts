import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../../src/core/rng.js';
import { initBackend } from '../../src/engine/backend.js';
import { relError } from '../helpers/rel-error.js';
import { preferSimdBuild, simdMode, type SimdPreference } from '../../src/engine/simd/kernel-module.js';

before(async () => {
  await initBackend('wasm');
});

const rngValues = (n: number, seed: string) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.next() - 0.5);
};

/** Input and filter gradients of sum(conv(x, w) * dy) on one backend, and the convolution itself. */
function convGrads(backend: string, x: number[], w: number[], dyv: number[], xShape: number[], wShape: number[], stride: number, pad: Pad) {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, xShape as [number, number, number, number]);
    const wt = tf.tensor4d(w, wShape as [number, number, number, number]);
    const outShape = tf.conv2d(xt, wt, stride, pad as never).shape;
    const dy = tf.tensor(dyv.slice(0, outShape.reduce((a, b) => a * b, 1)), outShape);
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad as never).mul(dy).sum())([xt, wt]);
    const y = tf.conv2d(xt, wt, stride, pad as never);
    return [Array.from(gx.dataSync()), Array.from(gw.dataSync()), gx.shape, gw.shape, Array.from(y.dataSync())] as const;
  });
}

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
const explicit = (t: number, b: number, l: number, r: number): Pad => [[0, 0], [t, b], [l, r], [0, 0]];

const GRID: { h: number; w: number; k: number; stride: number; pad: Pad; batch: number; cin: number; cout: number }[] = [];
for (const [h, w] of [[7, 9], [5, 5], [8, 6]]) for (const k of [1, 3]) for (const stride of [1, 2]) for (const pad of ['same', 'valid', explicit(1, 0, 2, 1)] as Pad[]) {
  GRID.push({ h, w, k, stride, pad, batch: GRID.length % 2 ? 1 : 3, cin: [1, 3, 4][GRID.length % 3], cout: [4, 1, 3][GRID.length % 3] });
}

// Channels that are not multiples of the SIMD tile (4 input by 8 output channels), and maps wide
// and tall enough that the SIMD filter gradient walks several chunks of output rows.
for (const [h, w, cin, cout, k, stride, pad, batch] of [
  [23, 37, 5, 9, 3, 1, 'same'], [23, 37, 5, 13, 3, 2, 'valid'], [40, 40, 8, 16, 3, 1, 'same'], [19, 21, 7, 6, 3, 2, 'same'], [17, 18, 6, 7, 1, 1, 'valid'],
  [9, 9, 12, 17, 5, 2, 'same'], [13, 30, 3, 12, 3, 1, 'same', 1], [12, 29, 8, 20, 3, 2, 'valid'], [6, 11, 4, 8, 5, 1, 'same'],
  [10, 13, 5, 8, 3, 1, explicit(2, 0, 1, 2)], [11, 14, 4, 12, 3, 2, explicit(0, 1, 2, 0), 1],
] as [number, number, number, number, number, number, Pad, number?][]) GRID.push({ h, w, k, stride, pad, batch: batch ?? 2, cin, cout });

/** Each build of the SIMD kernels, and none (the XNNPACK formulations). */
const BUILDS: SimdPreference[] = ['relaxed-simd', 'simd', 'none'];

for (const build of BUILDS) test(`wasm conv gradients (SIMD build: ${build}) and the convolution equal the cpu backend over strides 1/2, same/valid/explicit padding, odd sizes and channels, 1x1/3x3/5x5, batch 1/2/3`, () => {
  preferSimdBuild(build);
  if (build !== 'none') assert.equal(simdMode(), build, 'this Node should load every build');
  for (const c of GRID) {
    const xShape = [c.batch, c.h, c.w, c.cin], wShape = [c.k, c.k, c.cin, c.cout];
    const x = rngValues(xShape.reduce((a, b) => a * b), `x${JSON.stringify(c)}`);
    const w = rngValues(wShape.reduce((a, b) => a * b), `w${JSON.stringify(c)}`);
    const dy = rngValues(c.batch * (c.h + 3) * (c.w + 3) * c.cout, `dy${JSON.stringify(c)}`);
    const wasm = convGrads('wasm', x, w, dy, xShape, wShape, c.stride, c.pad);
    const cpu = convGrads('cpu', x, w, dy, xShape, wShape, c.stride, c.pad);
    assert.deepEqual(wasm[2], cpu[2]);
    assert.deepEqual(wasm[3], cpu[3]);
    assert.ok(relError(wasm[0], cpu[0]) < 1e-4, `input gradient ${JSON.stringify(c)}: ${relError(wasm[0], cpu[0])}`);
    assert.ok(relError(wasm[1], cpu[1]) < 1e-4, `filter gradient ${JSON.stringify(c)}: ${relError(wasm[1], cpu[1])}`);
    assert.ok(relError(wasm[4], cpu[4]) < 1e-4, `convolution ${JSON.stringify(c)}: ${relError(wasm[4], cpu[4])}`);
  }
  preferSimdBuild('auto');
  tf.setBackend('wasm');
});

test('wasm conv gradients agree with central finite differences of the loss', () => {
  tf.setBackend('wasm');
  for (const c of GRID.filter((_, i) => i % 3 === 0)) {
    const xShape = [c.batch, c.h, c.w, c.cin], wShape = [c.k, c.k, c.cin, c.cout];
    const x = rngValues(xShape.reduce((a, b) => a * b), `fx${JSON.stringify(c)}`);
    const w = rngValues(wShape.reduce((a, b) => a * b), `fw${JSON.stringify(c)}`);
    const dy = rngValues(c.batch * (c.h + 3) * (c.w + 3) * c.cout, `fdy${JSON.stringify(c)}`);
    const [gx, gw] = convGrads('wasm', x, w, dy, xShape, wShape, c.stride, c.pad);
    // The loss is linear in x and in w, so a central difference is exact up to float32 rounding.
    const loss = (xv: number[], wv: number[]) => tf.tidy(() => {
      const y = tf.conv2d(tf.tensor4d(xv, xShape as never), tf.tensor4d(wv, wShape as never), c.stride, c.pad as never);
      return tf.tensor(dy.slice(0, y.size), y.shape).mul(y).sum().dataSync()[0];
    });
    const eps = 1e-2;
    const rng = createRng(`fd${JSON.stringify(c)}`);
    for (let t = 0; t < 4; t++) {
      const i = rng.int(x.length);
      const xp = x.slice(); xp[i] += eps;
      const xm = x.slice(); xm[i] -= eps;
      assert.ok(Math.abs((loss(xp, w) - loss(xm, w)) / (2 * eps) - gx[i]) < 2e-3, `dx[${i}] ${JSON.stringify(c)}`);
      const j = rng.int(w.length);
      const wp = w.slice(); wp[j] += eps;
      const wm = w.slice(); wm[j] -= eps;
      assert.ok(Math.abs((loss(x, wp) - loss(x, wm)) / (2 * eps) - gw[j]) < 2e-3, `dw[${j}] ${JSON.stringify(c)}`);
    }
  }
});

test('a small conv-BN net trains on wasm with the losses of the cpu backend and no tensor growth', async () => {
  const { buildModel } = await import('../../src/train/model.js');
  const { parseSpace } = await import('../../src/space/index.js');
  const { train } = await import('../../src/train/trainer.js');
  const { defaultRecipe } = await import('../../src/core/recipe.js');
  const { makeSynthetic } = await import('../../src/data/synthetic.js');
  // Every op the shipped spaces use: conv+BN+ReLU, max-pool, identity / option-A / projection
  // blocks with stride 2 on an odd map, global average pool, dense with bias.
  const space = parseSpace(JSON.stringify({
    name: 'tiny', input: [9, 9, 3], classes: 5, dataset: 'synthetic',
    groups: [{ name: 's1', base: 4, min: 4, max: 8, step: 4 }, { name: 's2', base: 8, min: 4, max: 8, step: 4 }, { name: 's3', base: 8, min: 4, max: 8, step: 4 },
      { name: 'i1', base: 4, min: 4, max: 8, step: 4 }, { name: 'i2', base: 4, min: 4, max: 8, step: 4 }, { name: 'i3', base: 4, min: 4, max: 8, step: 4 }],
    layers: [
      { type: 'conv', name: 'stem', group: 's1', kernel: 3, bn: true, activation: 'relu' },
      { type: 'block', name: 'b1', inner: 'i1', group: 's1', shortcut: 'identity' },
      { type: 'block', name: 'b2', inner: 'i2', group: 's2', stride: 2, shortcut: 'pad' },
      { type: 'block', name: 'b3', inner: 'i3', group: 's3', stride: 2, shortcut: 'projection' },
      { type: 'conv', name: 'head', group: 's3', kernel: 1, bias: true, activation: 'relu' },
      { type: 'maxpool', size: 2 },
      { type: 'gap' }, { type: 'dense', name: 'fc' },
    ],
  }), 'tiny.json');
  const widths = space.groups.map((g) => g.base);
  const data = makeSynthetic({ inputShape: [9, 9, 3], classes: 5, trainCount: 48, testCount: 8 }, 1);
  const losses = async (backend: string) => {
    tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const model = buildModel(space, widths, 3);
    const seen: number[] = [];
    await train(model, data.train, [9, 9, 3], defaultRecipe({ epochs: 2, batchSize: 16, seed: 2 }), {
      onStep: (s) => seen.push(s.loss),
    });
    model.dispose();
    return { seen, leaked: tf.memory().numTensors - before };
  };
  const wasm = await losses('wasm');
  const cpu = await losses('cpu');
  tf.setBackend('wasm');
  assert.equal(wasm.leaked, 0);
  assert.equal(wasm.seen.length, cpu.seen.length);
  wasm.seen.forEach((l, i) => assert.ok(Math.abs(l - cpu.seen[i]) < 1e-3 * Math.max(1, Math.abs(cpu.seen[i])), `step ${i}: wasm ${l} cpu ${cpu.seen[i]}`));
});

/** Parameters of a hand-built net: conv3x3-BN-ReLU, max-pool, fused conv3x3 stride 2 (bias, ReLU),
 * 1x1 conv with explicit padding, option-A shortcut (subsample + channel zero-pad), GAP, dense. */
function netLoss(p: tf.Tensor[], x: tf.Tensor4D, labels: tf.Tensor2D): tf.Scalar {
  const [w1, g1, b1, w2, c2, w3, wd, bd] = p;
  let h = tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same');
  const { mean, variance } = tf.moments(h, [0, 1, 2]);
  h = tf.relu<tf.Tensor4D>(tf.add(tf.mul(tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, 1e-5))), g1), b1) as tf.Tensor4D);
  h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
  const short = tf.pad(tf.stridedSlice(h, [0, 0, 0, 0], h.shape, [1, 2, 2, 1]), [[0, 0], [0, 0], [0, 0], [0, 2]]);
  let m = tf.fused.conv2d({ x: h as tf.Tensor4D, filter: w2 as tf.Tensor4D, strides: 2, pad: 'same', bias: c2, activation: 'relu' });
  m = tf.conv2d(m, w3 as tf.Tensor4D, 1, [[0, 0], [1, 0], [0, 1], [0, 0]]);
  m = tf.slice(m, [0, 0, 0, 0], short.shape) as tf.Tensor4D;
  const g = tf.mean(tf.relu(tf.add(m, short)), [1, 2]) as tf.Tensor2D;
  const logits = tf.fused.matMul({ a: g, b: wd as tf.Tensor2D, bias: bd });
  const ce = tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  // A second path through logSoftmax and matMul, so both have their gradients checked.
  return tf.add(ce, tf.mul(-1e-2, tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(tf.matMul(g, wd))), 1)))) as tf.Scalar;
}

test('every op the model builder uses has a gradient on wasm equal to the cpu one; SGD losses match and tensors stay flat', () => {
  const shapes = [[3, 3, 3, 4], [4], [4], [3, 3, 4, 6], [6], [1, 1, 6, 6], [6, 5], [5]];
  const init = shapes.map((s, i) => rngValues(s.reduce((a, b) => a * b, 1), `p${i}`).map((v) => (s.length === 1 && i === 1 ? 1 + v : v)));
  const xv = rngValues(4 * 9 * 11 * 3, 'netx');
  const labelsv = Array.from({ length: 4 }, (_, i) => i % 5);
  const trainOn = (backend: string) => {
    tf.setBackend(backend);
    const params = init.map((v, i) => tf.variable(tf.tensor(v, shapes[i])));
    const x = tf.tensor4d(xv, [4, 9, 11, 3]);
    const labels = tf.oneHot(tf.tensor1d(labelsv, 'int32'), 5) as tf.Tensor2D;
    const losses: number[] = [];
    const grads: number[][] = [];
    const counts: number[] = [];
    for (let step = 0; step < 4; step++) {
      tf.tidy(() => {
        const { value, grads: g } = tf.variableGrads(() => netLoss(params, x, labels), params);
        losses.push(value.dataSync()[0]);
        if (step === 0) for (const p of params) grads.push(Array.from(g[p.name].dataSync()));
        for (const p of params) p.assign(tf.sub(p, tf.mul(0.1, g[p.name])));
      });
      counts.push(tf.memory().numTensors);
    }
    tf.dispose([...params, x, labels]);
    return { losses, grads, counts };
  };
  const wasm = trainOn('wasm');
  const cpu = trainOn('cpu');
  tf.setBackend('wasm');
  wasm.grads.forEach((g, i) => assert.ok(relError(g, cpu.grads[i]) < 1e-4, `parameter ${i} (shape ${shapes[i]}): ${relError(g, cpu.grads[i])}`));
  wasm.losses.forEach((l, i) => assert.ok(Math.abs(l - cpu.losses[i]) < 1e-4 * Math.max(1, Math.abs(cpu.losses[i])), `step ${i}: wasm ${l} cpu ${cpu.losses[i]}`));
  assert.ok(wasm.losses[3] < wasm.losses[0], `loss should fall: ${wasm.losses}`);
  assert.deepEqual(new Set(wasm.counts).size, 1, `tensor count grew over steps: ${wasm.counts}`);
});

test('wasm BatchMatMul with transposed operands (made explicit for XNNPACK) equals the cpu backend, batch 1 and 3', () => {
  for (const [batch, m, k, n] of [[1, 5, 7, 3], [3, 4, 6, 2], [1, 128, 33, 17]]) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const aShape: number[] = batch === 1 ? (ta ? [k, m] : [m, k]) : (ta ? [batch, k, m] : [batch, m, k]);
      const bShape: number[] = batch === 1 ? (tb ? [n, k] : [k, n]) : (tb ? [batch, n, k] : [batch, k, n]);
      const av = rngValues(batch * m * k, `a${batch}${m}${ta}`), bv = rngValues(batch * k * n, `b${batch}${n}${tb}`);
      const [wasm, cpu] = ['wasm', 'cpu'].map((be) => {
        tf.setBackend(be);
        return tf.tidy(() => {
          const out = tf.matMul(tf.tensor(av, aShape as never) as tf.Tensor2D, tf.tensor(bv, bShape as never) as tf.Tensor2D, ta, tb);
          return { shape: out.shape, values: Array.from(out.dataSync()) };
        });
      });
      assert.deepEqual(wasm.shape, cpu.shape);
      assert.ok(relError(wasm.values, cpu.values) < 1e-5, `batch ${batch} ${m}x${k}x${n} transposeA ${ta} transposeB ${tb}: ${relError(wasm.values, cpu.values)}`);
    }
  }
  tf.setBackend('wasm');
});

test('wasm Identity shares data by reference count: a clone keeps its values after the original is disposed, and memory is freed with the last holder', () => {
  tf.setBackend('wasm');
  const before = tf.memory().numBytes;
  const a = tf.tensor([1.5, -2, 3.25, 7], [2, 2]);
  const b = a.clone();
  const c = tf.clone(b);
  a.dispose();
  assert.deepEqual(Array.from(b.dataSync()), [1.5, -2, 3.25, 7]);
  b.dispose();
  assert.deepEqual(Array.from(c.dataSync()), [1.5, -2, 3.25, 7]);
  const d = tf.add(c, 1);
  assert.deepEqual(Array.from(d.dataSync()), [2.5, -1, 4.25, 8]);
  d.dispose();
  c.dispose();
  assert.equal(tf.memory().numBytes, before);
});
