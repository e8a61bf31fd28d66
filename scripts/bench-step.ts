/**
 * ms per training step of the reference CNN (32x32x3, batch 64: conv3x3 32, max-pool, conv3x3 64,
 * max-pool, conv3x3 128, global average pool, dense 10; ReLU; SGD) on one backend, after warm-up,
 * with a per-kernel profile of one step.
 *   npx tsx scripts/bench-step.ts [--backend wasm] [--steps 20]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice } from '../src/engine/backend.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const info = await initBackend(arg('backend', 'wasm') as BackendChoice);
const steps = Number(arg('steps', '20'));
const batch = 64;
const he = (shape: number[], fanIn: number) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', 1));
const w1 = he([3, 3, 3, 32], 27), w2 = he([3, 3, 32, 64], 288), w3 = he([3, 3, 64, 128], 576), wd = he([128, 10], 128);
const b1 = tf.variable(tf.zeros([32])), b2 = tf.variable(tf.zeros([64])), b3 = tf.variable(tf.zeros([128])), bd = tf.variable(tf.zeros([10]));
const vars = [w1, b1, w2, b2, w3, b3, wd, bd];
const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32'), 10);
const opt = tf.train.sgd(0.01);
const loss = () => {
  let h = tf.fused.conv2d({ x, filter: w1 as tf.Tensor4D, strides: 1, pad: 'same', bias: b1, activation: 'relu' });
  h = tf.maxPool(h, 2, 2, 'valid');
  h = tf.fused.conv2d({ x: h, filter: w2 as tf.Tensor4D, strides: 1, pad: 'same', bias: b2, activation: 'relu' });
  h = tf.maxPool(h, 2, 2, 'valid');
  h = tf.fused.conv2d({ x: h, filter: w3 as tf.Tensor4D, strides: 1, pad: 'same', bias: b3, activation: 'relu' });
  const g = tf.mean(h, [1, 2]) as tf.Tensor2D;
  return tf.losses.softmaxCrossEntropy(y, tf.fused.matMul({ a: g, b: wd as tf.Tensor2D, bias: bd })) as tf.Scalar;
};
const step = () => {
  const l = opt.minimize(loss, true, vars)!;
  l.dataSync();
  l.dispose();
};
for (let i = 0; i < 3; i++) step();
const tensorsBefore = tf.memory().numTensors;
const t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const ms = (performance.now() - t0) / steps;
const profile = await tf.profile(() => { step(); });
const byKernel = new Map<string, number>();
for (const k of profile.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
console.log(`backend ${info.name}${info.threads ? ` (${info.threads} thread)` : ''}: ${ms.toFixed(1)} ms per step over ${steps} steps; tensors before ${tensorsBefore}, after ${tf.memory().numTensors}`);
console.log('kernel time in one step (ms):');
for (const [name, t] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${name.padEnd(24)} ${t.toFixed(1)}`);
