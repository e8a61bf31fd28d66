import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// Gradients, chained ops and the cpu backend (this test sets the backend without initBackend).
import '../../src/engine/tfjs-setup.js';
import { parseSpace } from '../../src/space/index.js';
import { resolveNetwork } from '../../src/space/network.js';
import { buildModel } from '../../src/train/model.js';
import { TelemetryRecorder } from '../../src/train/telemetry.js';
import { inputChannelNorms, outputChannelNorms } from '../../src/variance/norms.js';

before(async () => {
  await tf.setBackend('cpu');
});

// A stem, an identity block and a strided zero-padding block in one residual stream, then a
// hidden dense layer: every way a channel can be read.
const space = parseSpace(JSON.stringify({
  name: 'tiny-res', input: [8, 8, 3], classes: 3, dataset: 'synthetic',
  groups: [
    { name: 's', base: 4, min: 4, max: 8, step: 4 }, { name: 't', base: 8, min: 4, max: 16, step: 4 },
    { name: 'i1', base: 4, min: 4, max: 8, step: 4 }, { name: 'i2', base: 4, min: 4, max: 8, step: 4 }, { name: 'f', base: 5, min: 5, max: 10, step: 5 },
  ],
  layers: [
    { type: 'conv', name: 'stem', group: 's', kernel: 3, bn: true, activation: 'relu' },
    { type: 'block', name: 'b1', group: 's', inner: 'i1', stride: 1, shortcut: 'identity' },
    { type: 'block', name: 'b2', group: 't', inner: 'i2', stride: 2, shortcut: 'pad' },
    { type: 'gap' },
    { type: 'dense', name: 'fc1', group: 'f', activation: 'relu' },
    { type: 'dense', name: 'out' },
  ],
}), 'tiny-res (inline)');

const kernelOf = (model: ReturnType<typeof buildModel>, name: string) => {
  const v = model.param(`${name}/kernel`);
  return { values: v.dataSync() as Float32Array, shape: v.shape };
};
const rss = (vs: ArrayLike<number>[], n: number) => Array.from({ length: n }, (_, c) => Math.sqrt(vs.reduce((a, v) => a + v[c] ** 2, 0)));
const near = (a: number[] | null, b: number[], tol = 1e-6) => {
  assert.ok(a, 'expected a vector');
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `channel ${i}: ${x} vs ${b[i]}`));
};

test('group channel telemetry: residual readers, BN scale and displacement, against hand-listed readers', () => {
  const net = resolveNetwork(space, [4, 8, 4, 4, 5]);
  const model = buildModel(space, [4, 8, 4, 4, 5], 0);
  const recorder = new TelemetryRecorder(net);
  recorder.record(model, 0, 0);
  // Move one kernel by a known amount and set one BN scale, then record again.
  const stem = kernelOf(model, 'stem');
  const delta = new Float32Array(stem.values.length).map((_, i) => (i % 4 === 1 ? 0.5 : 0));
  model.param('stem/kernel').assign(tf.tensor(stem.values.map((v, i) => v + delta[i]), stem.shape));
  model.param('b1.conv2/gamma').assign(tf.tensor1d([1, 2, 3, 4]));
  recorder.record(model, 1, 7);
  const groups = recorder.groupResult();
  // Groups come in the order their first layer runs.
  assert.deepEqual(groups.map((g) => [g.group, g.width, g.layers]), [
    ['s', 4, ['stem', 'b1.conv2']], ['i1', 4, ['b1.conv1']], ['i2', 4, ['b2.conv1']], ['t', 8, ['b2.conv2']], ['f', 5, ['fc1']],
  ]);
  const byName = (name: string) => groups.find((g) => g.group === name)!.points[1];
  const s = groups[0].points[1];
  assert.deepEqual([s.epoch, s.step], [1, 7]);
  // Group s is the stem and b1's conv2 added channel for channel. Its readers, listed by hand: b1's
  // conv1 (reads the stem), b2's conv1 (reads the stream after b1) and fc1 (reads the stream after
  // b2's zero-padding shortcut, where s's channel c is input c of 8).
  const readers = ['b1.conv1', 'b2.conv1', 'fc1'].map((n) => Array.from(inputChannelNorms(kernelOf(model, n).values, kernelOf(model, n).shape)));
  near(s.reader, rss(readers, 4));
  near(s.outgoing, rss(['stem', 'b1.conv2'].map((n) => Array.from(outputChannelNorms(kernelOf(model, n).values, kernelOf(model, n).shape))), 4));
  // gamma: the stem's (still ones) and b1.conv2's (1, 2, 3, 4), root-sum-square.
  near(s.gamma, [1, 2, 3, 4].map((g) => Math.sqrt(1 + g * g)));
  // displacement: only the stem moved, by 0.5 at every weight of output channel 1 (27 weights).
  near(s.displacement, [0, Math.sqrt(27 * 0.25), 0, 0]);
  near(groups[0].points[0].displacement, [0, 0, 0, 0]);
  // t is read by fc1 only; i1 by b1's conv2; i2 by b2's conv2; f by the output layer.
  near(byName('t').reader, Array.from(inputChannelNorms(kernelOf(model, 'fc1').values, kernelOf(model, 'fc1').shape)));
  near(byName('i1').reader, Array.from(inputChannelNorms(kernelOf(model, 'b1.conv2').values, kernelOf(model, 'b1.conv2').shape)));
  near(byName('i2').reader, Array.from(inputChannelNorms(kernelOf(model, 'b2.conv2').values, kernelOf(model, 'b2.conv2').shape)));
  near(byName('f').reader, Array.from(inputChannelNorms(kernelOf(model, 'out').values, kernelOf(model, 'out').shape)));
  // A dense layer has no batch norm.
  assert.equal(byName('f').gamma, null);
  model.dispose();
});
