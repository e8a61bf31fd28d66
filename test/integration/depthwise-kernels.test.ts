/**
 * The engine's depthwise-convolution gradients on wasm (the backend ships the forward pass only)
 * against the cpu backend's kernels and against central finite differences of the loss.
 */
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

interface Case { batch: number; h: number; w: number; c: number; mult: number; k: number; stride: number; pad: 'same' | 'valid' }

/** Odd and even sizes, strides 1 and 2, 1x1/3x3/5x5, one and two outputs per channel, batch 1-3. */
const GRID: Case[] = [];
for (const [h, w] of [[7, 9], [8, 6], [5, 5]]) for (const k of [1, 3]) for (const stride of [1, 2]) for (const pad of ['same', 'valid'] as const) {
  const i = GRID.length;
  GRID.push({ batch: 1 + (i % 3), h, w, c: [1, 3, 5, 8][i % 4], mult: i % 5 === 0 ? 2 : 1, k, stride, pad });
}
GRID.push({ batch: 2, h: 16, w: 16, c: 24, mult: 1, k: 3, stride: 2, pad: 'same' }, { batch: 2, h: 11, w: 13, c: 7, mult: 1, k: 5, stride: 1, pad: 'same' }, { batch: 1, h: 9, w: 9, c: 6, mult: 3, k: 5, stride: 2, pad: 'valid' });

const shapes = (c: Case) => ({ xShape: [c.batch, c.h, c.w, c.c] as [number, number, number, number], wShape: [c.k, c.k, c.c, c.mult] as [number, number, number, number] });

/** The depthwise convolution, and the gradients of sum(conv(x, w) * dy) for x and w, on one backend. */
function depthwiseGrads(backend: string, c: Case, x: number[], w: number[], dyv: number[]) {
  tf.setBackend(backend);
  const { xShape, wShape } = shapes(c);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, xShape);
    const wt = tf.tensor4d(w, wShape);
    const y = tf.depthwiseConv2d(xt, wt, c.stride, c.pad);
    const dy = tf.tensor(dyv.slice(0, y.size), y.shape);
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad).mul(dy).sum())([xt, wt]);
    return { y: Array.from(y.dataSync()), gx: Array.from(gx.dataSync()), gw: Array.from(gw.dataSync()), shapes: [gx.shape, gw.shape] };
  });
}

const inputsOf = (c: Case, tag: string) => {
  const { xShape, wShape } = shapes(c);
  const key = `${tag}${JSON.stringify(c)}`;
  return {
    x: rngValues(xShape.reduce((a, b) => a * b), `x${key}`),
    w: rngValues(wShape.reduce((a, b) => a * b), `w${key}`),
    dy: rngValues(c.batch * (c.h + 2) * (c.w + 2) * c.c * c.mult, `dy${key}`),
  };
};

/** Each build of the SIMD kernels, and none (the loops on the heap). */
const BUILDS: SimdPreference[] = ['relaxed-simd', 'simd', 'none'];

for (const build of BUILDS) test(`wasm depthwise conv and both its gradients (SIMD build: ${build}) equal the cpu backend (strides 1/2, same/valid, odd sizes and channels, multipliers 1-3)`, () => {
  preferSimdBuild(build);
  if (build !== 'none') assert.equal(simdMode(), build, 'this Node should load every build');
  for (const c of GRID) {
    const { x, w, dy } = inputsOf(c, '');
    const wasm = depthwiseGrads('wasm', c, x, w, dy);
    const cpu = depthwiseGrads('cpu', c, x, w, dy);
    assert.deepEqual(wasm.shapes, cpu.shapes);
    assert.ok(relError(wasm.y, cpu.y) < 1e-5, `forward ${JSON.stringify(c)}: ${relError(wasm.y, cpu.y)}`);
    assert.ok(relError(wasm.gx, cpu.gx) < 1e-5, `input gradient ${JSON.stringify(c)}: ${relError(wasm.gx, cpu.gx)}`);
    assert.ok(relError(wasm.gw, cpu.gw) < 1e-5, `filter gradient ${JSON.stringify(c)}: ${relError(wasm.gw, cpu.gw)}`);
  }
  preferSimdBuild('auto');
  tf.setBackend('wasm');
});

test('wasm depthwise gradients agree with central finite differences of the loss', () => {
  tf.setBackend('wasm');
  for (const c of GRID.filter((_, i) => i % 3 === 0)) {
    const { x, w, dy } = inputsOf(c, 'fd');
    const { gx, gw } = depthwiseGrads('wasm', c, x, w, dy);
    const { xShape, wShape } = shapes(c);
    const loss = (xv: number[], wv: number[]) => tf.tidy(() => {
      const y = tf.depthwiseConv2d(tf.tensor4d(xv, xShape), tf.tensor4d(wv, wShape), c.stride, c.pad);
      return tf.tensor(dy.slice(0, y.size), y.shape).mul(y).sum().dataSync()[0];
    });
    // The loss is linear in x and in w: a central difference is exact up to float32 rounding.
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

test('wasm depthwise gradients free what they allocate: tensors and heap bytes stay flat over repeated steps', () => {
  tf.setBackend('wasm');
  const c = GRID[GRID.length - 3];
  const { x, w, dy } = inputsOf(c, 'mem');
  depthwiseGrads('wasm', c, x, w, dy);
  const before = tf.memory();
  for (let i = 0; i < 5; i++) depthwiseGrads('wasm', c, x, w, dy);
  const after = tf.memory();
  assert.equal(after.numTensors, before.numTensors);
  assert.equal(after.numBytes, before.numBytes);
});
