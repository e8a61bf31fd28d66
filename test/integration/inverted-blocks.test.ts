/**
 * Depthwise convs and inverted-residual blocks through the model builder, telemetry and export:
 * the residual rule seen in the outputs, hand-listed channel readers, wasm training against the
 * cpu backend, the Channel-Bench-Macro MobileNet's variable count against the table, and its ONNX
 * export (depthwise as `Conv` with `group`) against ONNX Runtime.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { makeSynthetic } from '../../src/data/synthetic.js';
import { buildOnnxModel } from '../../src/export/onnx.js';
import { checkParity } from '../../src/export/parity.js';
import { loadSpace, parseSpace, resolveNetwork } from '../../src/space/index.js';
import { buildModel } from '../../src/train/model.js';
import { TelemetryRecorder } from '../../src/train/telemetry.js';
import { defaultRecipe } from '../../src/core/recipe.js';
import { train } from '../../src/train/trainer.js';
import { inputChannelNorms } from '../../src/variance/norms.js';

before(async () => {
  await initBackend('wasm');
});

// A stem, a residual inverted block, a strided one that changes the stream, a standalone
// depthwise conv, a dense layer: every way the new layers connect.
const space = parseSpace(JSON.stringify({
  name: 'tiny-mobile', input: [9, 9, 3], classes: 5, dataset: 'synthetic',
  groups: [
    { name: 'a', base: 4, min: 4, max: 8, step: 4 }, { name: 'h1', base: 12, min: 4, max: 12, step: 4 },
    { name: 'h2', base: 6, min: 2, max: 6, step: 2 }, { name: 'b', base: 5, min: 5, max: 10, step: 5 },
  ],
  layers: [
    { type: 'conv', name: 'stem', group: 'a', kernel: 3, bn: true, activation: 'relu' },
    { type: 'inverted', name: 'blk1', expand: 'h1', group: 'a' },
    { type: 'inverted', name: 'blk2', expand: 'h2', group: 'b', stride: 2 },
    { type: 'depthwise', name: 'dw', kernel: 3, bn: true, activation: 'relu' },
    { type: 'gap' },
    { type: 'dense', name: 'out' },
  ],
}), 'tiny-mobile (inline)');
const widths = space.groups.map((g) => g.base);

const kernelOf = (model: ReturnType<typeof buildModel>, name: string) => {
  const v = model.param(`${name}/kernel`);
  return { values: Array.from(v.dataSync()), shape: v.shape };
};
const near = (a: ArrayLike<number> | null, b: number[], tol = 1e-5) => {
  assert.ok(a, 'expected a vector');
  assert.equal(a.length, b.length);
  Array.from(a).forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `channel ${i}: ${x} vs ${b[i]}`));
};

test('an inverted block adds its input only at stride 1 on its own stream, with no activation after the projection or the addition', () => {
  tf.setBackend('cpu');
  const model = buildModel(space, widths, 0);
  // Projection BN scale 0 and offset -1: a block's main path then outputs exactly -1 everywhere.
  for (const blk of ['blk1', 'blk2']) {
    model.param(`${blk}.project/gamma`).assign(tf.zeros(model.param(`${blk}.project/gamma`).shape));
    model.param(`${blk}.project/beta`).assign(tf.fill(model.param(`${blk}.project/beta`).shape, -1));
  }
  const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  // The outputs of the first three ops (stem, blk1, blk2), through the builder's own op runner.
  const applyOp = (model as unknown as { applyOp(op: unknown, x: tf.Tensor, training: boolean): tf.Tensor }).applyOp.bind(model);
  tf.tidy(() => {
    const stem = applyOp(model.net.ops[0], x, false);
    const blk1 = applyOp(model.net.ops[1], stem, false);
    const blk2 = applyOp(model.net.ops[2], blk1, false);
    // blk1 (stride 1, stream a -> a): the stem's output plus -1, negatives kept (no ReLU after the add).
    near(blk1.dataSync(), Array.from(stem.dataSync(), (v) => v - 1), 1e-6);
    assert.ok(blk1.min().dataSync()[0] < 0);
    // blk2 (stride 2, a -> b) has no shortcut: -1 everywhere, on a 5x5 map of b's 5 channels.
    assert.deepEqual(blk2.shape, [2, 5, 5, 5]);
    near(blk2.dataSync(), new Array(blk2.size).fill(-1), 1e-6);
  });
  x.dispose();
  model.dispose();
  tf.setBackend('wasm');
});

test('telemetry of inverted blocks: groups, hand-listed readers, a depthwise reader reads channel c with its own filter', () => {
  tf.setBackend('cpu');
  const net = resolveNetwork(space, widths);
  const model = buildModel(space, widths, 0);
  const recorder = new TelemetryRecorder(net);
  recorder.record(model, 0, 0);
  const groups = recorder.groupResult();
  assert.deepEqual(groups.map((g) => [g.group, g.width, g.layers]), [
    ['a', 4, ['stem', 'blk1.project']], ['h1', 12, ['blk1.expand', 'blk1.depthwise']], ['h2', 6, ['blk2.expand', 'blk2.depthwise']], ['b', 5, ['blk2.project', 'dw']],
  ]);
  // The norm of depthwise filter c, by hand from its [3, 3, 1, C] kernel.
  const filterNorms = (name: string) => {
    const k = kernelOf(model, name);
    const c = k.shape[3]!;
    return Array.from({ length: c }, (_, ch) => Math.sqrt(k.values.filter((_, i) => i % c === ch).reduce((s, v) => s + v * v, 0)));
  };
  const columns = (name: string) => Array.from(inputChannelNorms(kernelOf(model, name).values, kernelOf(model, name).shape));
  const rss = (vs: number[][]) => vs[0].map((_, c) => Math.sqrt(vs.reduce((s, v) => s + v[c] ** 2, 0)));
  const point = (g: string) => groups.find((x) => x.group === g)!.points[0];
  // a (stem + blk1's projection, one stream) is read by blk1's expand and, past the residual add, blk2's expand.
  near(point('a').reader, rss([columns('blk1.expand'), columns('blk2.expand')]));
  // h1 is read by its own depthwise conv (filter c reads channel c) and by the projection.
  near(point('h1').reader, rss([filterNorms('blk1.depthwise'), columns('blk1.project')]));
  // b: the standalone depthwise conv reads it, then the output layer (through the pool) reads dw.
  near(point('b').reader, rss([filterNorms('dw'), columns('out')]));
  // The expand conv's unique reader is the depthwise conv: paired norm = own norm x filter norm.
  const layers = recorder.result();
  const expand = layers.find((l) => l.layer === 'blk1.expand')!;
  assert.ok(expand.paired && expand.paired.length === 1);
  model.dispose();
  tf.setBackend('wasm');
});

test('a net of inverted blocks and depthwise convs trains on wasm with the losses of the cpu backend, no tensor growth', async () => {
  const data = makeSynthetic({ inputShape: [9, 9, 3], classes: 5, trainCount: 48, testCount: 8 }, 1);
  const losses = async (backend: string) => {
    tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const model = buildModel(space, widths, 3);
    const seen: number[] = [];
    await train(model, data.train, [9, 9, 3], defaultRecipe({ epochs: 2, batchSize: 16, seed: 2 }), { onStep: (s) => seen.push(s.loss) });
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

test('cbm-mobilenet 1111111: the table\'s params as variables; trained on wasm, its ONNX export (depthwise Conv with group) agrees with ONNX Runtime', async () => {
  tf.setBackend('wasm');
  const cbm = loadSpace('cbm-mobilenet');
  const small = [32, 192, 192, 192, 64, 384, 256];
  const table = JSON.parse(readFileSync(new URL('../fixtures/cbm-counts.json', import.meta.url), 'utf8'))['cbm-mobilenet']['1111111'];
  const model = buildModel(cbm, small, 1);
  assert.equal(model.countTrainableParams(), table.params);
  const data = makeSynthetic({ inputShape: cbm.input, classes: cbm.classes, trainCount: 32, testCount: 8 }, 2);
  // One epoch moves the BN statistics and the weights away from their initial values.
  await train(model, data.train, cbm.input, defaultRecipe({ epochs: 1, batchSize: 16 }));
  const parity = await checkParity(model, buildOnnxModel(model), data.test.x, data.test.count);
  assert.ok(parity.maxAbsDiff <= 1e-4 && parity.argmaxAgreement === 1, JSON.stringify(parity));
  model.dispose();
});

test('probe cbm-mobilenet on synthetic CIFAR-shaped data: per-group telemetry with the depthwise and projection layers in their groups', async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const out = join(mkdtempSync(join(tmpdir(), 'ww-probe-')), 'probe');
  const bin = new URL('../../bin/widthwise.js', import.meta.url).pathname;
  const run = spawnSync(process.execPath, [bin, 'probe', 'cbm-mobilenet', '--widths', '32,192,192,192,64,384,256', '--dataset', 'synthetic',
    '--max-train', '64', '--epochs', '2', '--batch-size', '32', '--backend', 'wasm', '--out', out], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(run.status, 0, run.stderr);
  const probe = JSON.parse(readFileSync(join(out, 'probe.json'), 'utf8'));
  assert.deepEqual(probe.groupTelemetry.map((g: { group: string; layers: string[] }) => [g.group, g.layers]), [
    ['c0', ['stem', 'blockA.project', 'blockB.project']], ['c1', ['blockA.expand', 'blockA.depthwise']], ['c2', ['blockB.expand', 'blockB.depthwise']],
    ['c3', ['blockC.expand', 'blockC.depthwise']], ['c4', ['blockC.project', 'blockD.project']], ['c5', ['blockD.expand', 'blockD.depthwise']], ['c6', ['head']],
  ]);
  // Every group has a score, and its record at the start and after each epoch.
  assert.equal(probe.groups.length, 7);
  for (const g of probe.groupTelemetry) assert.equal(g.points.length, 3, g.group);
});

test('inference holds one op\'s tensors at a time, and evaluation batches keep each activation under 128 MB', async () => {
  const { evaluationBatchSize } = await import('../../src/train/trainer.js');
  tf.setBackend('wasm');
  const model = buildModel(space, widths, 0);
  const x = tf.randomNormal([3, 9, 9, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const logits = model.apply(x, false);
  // Only the logits outlive the call: every intermediate was freed as the forward pass went.
  assert.equal(tf.memory().numTensors, before + 1);
  tf.dispose([x, logits]);
  model.dispose();
  // cbm-mobilenet at its base: the largest map is blockA's hidden 16x16x384 (393,216 bytes an
  // example), so 341 examples a batch; the tiny net's largest is its 9x9x12 hidden map, under the cap of 500.
  const cbm = loadSpace('cbm-mobilenet');
  const big = buildModel(cbm, cbm.groups.map((g) => g.base), 0);
  assert.equal(evaluationBatchSize(big), Math.floor((128 * 2 ** 20) / (16 * 16 * 384 * 4)));
  big.dispose();
  const small = buildModel(space, widths, 0);
  assert.equal(evaluationBatchSize(small), 500);
  small.dispose();
});
