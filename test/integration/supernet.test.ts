import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../src/engine/tfjs-setup.js';
import { createRng } from '../../src/core/rng.js';
import { loadSpace, parseSpace, type SearchSpace } from '../../src/space/index.js';
import { buildModel, type WeightsRecord } from '../../src/train/model.js';
import { Supernet } from '../../src/train/supernet.js';
import { calibrate } from '../../src/train/supernet-evaluate.js';

before(async () => {
  await tf.setBackend('cpu');
});

/** A conv with a bias and no BN, a depthwise conv, then a flattened map into a dense layer. */
const flatSpace: SearchSpace = parseSpace(JSON.stringify({
  name: 'flat-test', dataset: 'synthetic', input: [6, 6, 2], classes: 3,
  groups: [{ name: 'a', base: 4, min: 1, max: 8, step: 1 }, { name: 'h', base: 4, min: 1, max: 8, step: 1 }],
  layers: [
    { type: 'conv', name: 'c1', group: 'a', kernel: 3, bias: true, activation: 'relu' },
    { type: 'depthwise', name: 'dw', kernel: 3, stride: 2, bn: true, activation: 'relu' },
    { type: 'flatten' },
    { type: 'dense', name: 'fc', group: 'h', activation: 'relu' },
    { type: 'dense', name: 'out' },
  ],
}), 'flat-test');

/** Random values for every weight of the supernet (BN scales around 1), so no slice is trivially equal. */
function randomise(supernet: Supernet, seed: number): WeightsRecord {
  const rng = createRng(`weights:${seed}`);
  const record = supernet.model.getWeights();
  for (const [name, w] of Object.entries(record)) {
    const values = new Float32Array(w.values.length);
    for (let i = 0; i < values.length; i++) {
      values[i] = name.endsWith('/gamma') ? 1 + 0.3 * rng.normal() : name.endsWith('/moving_variance') ? 1 : 0.3 * rng.normal();
    }
    record[name] = { shape: w.shape, values };
  }
  supernet.model.setWeights(record);
  return record;
}

/**
 * The test's own cut of a full tensor: the first `sub[i]` entries of axis i, by index arithmetic
 * on plain arrays. `flatPixels` (dense kernels reading a flattened map): rows are (pixel, channel)
 * pairs and each pixel keeps its first channels.
 */
function cut(values: ArrayLike<number>, full: number[], sub: number[], flatPixels?: number): Float32Array {
  if (flatPixels !== undefined) {
    const [rowsFull, cols] = full;
    const cFull = rowsFull / flatPixels;
    const cSub = sub[0] / flatPixels;
    const out = new Float32Array(sub[0] * sub[1]);
    for (let p = 0; p < flatPixels; p++)
      for (let c = 0; c < cSub; c++)
        for (let o = 0; o < sub[1]; o++) out[(p * cSub + c) * sub[1] + o] = values[(p * cFull + c) * cols + o];
    return out;
  }
  const count = sub.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let rest = i, offset = 0, stride = 1;
    const idx = new Array<number>(sub.length);
    for (let a = sub.length - 1; a >= 0; a--) {
      idx[a] = rest % sub[a];
      rest = Math.floor(rest / sub[a]);
    }
    for (let a = full.length - 1; a >= 0; a--) {
      offset += idx[a] * stride;
      stride *= full[a];
    }
    out[i] = values[offset];
  }
  return out;
}

/** The stand-alone network's weights, each cut from the supernet's record to the stand-alone shape. */
function cutWeights(full: WeightsRecord, standAlone: WeightsRecord, flatDense: Record<string, number>): WeightsRecord {
  const out: WeightsRecord = {};
  for (const [name, w] of Object.entries(standAlone)) {
    const layer = name.slice(0, name.indexOf('/'));
    const pixels = name.endsWith('/kernel') && full[name].shape[0] !== w.shape[0] ? flatDense[layer] : undefined;
    out[name] = { shape: w.shape, values: cut(full[name].values, full[name].shape, w.shape, pixels) };
  }
  return out;
}

function assertClose(a: tf.Tensor, b: tf.Tensor, what: string): void {
  const x = a.dataSync(), y = b.dataSync();
  assert.equal(x.length, y.length, what);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / (1 + Math.abs(y[i])));
  assert.ok(worst < 1e-4, `${what}: largest relative difference ${worst}`);
}

const cases: { space: SearchSpace; max: number[]; subs: number[][]; flatDense?: Record<string, number> }[] = [
  { space: loadSpace('cnn-mnist'), max: [12, 16, 24, 16], subs: [[4, 8, 8, 8], [12, 4, 24, 16], [8, 16, 16, 8]] },
  { space: loadSpace('mlp-mnist'), max: [24, 16], subs: [[8, 16], [24, 8]] },
  { space: flatSpace, max: [6, 5], subs: [[2, 3], [6, 1], [3, 5]], flatDense: { fc: 9 } },
  // Residual streams: identity and option-A (pad) shortcuts.
  { space: loadSpace('resnet20-cifar'), max: [8, 12, 16, ...Array(9).fill(8)], subs: [[4, 8, 8, 4, 8, 4, 8, 4, 8, 4, 8, 4], [8, 4, 16, 8, 4, 8, 4, 8, 4, 8, 4, 8]] },
  // Projection shortcuts.
  { space: loadSpace('resnet18-cifar'), max: [8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8], subs: [[4, 6, 8, 2, 4, 8, 6, 4, 2, 8, 4, 6]] },
  // Inverted residual blocks (expand, depthwise, project) with residual adds.
  { space: loadSpace('cbm-mobilenet'), max: [8, 16, 16, 16, 12, 16, 8], subs: [[4, 8, 16, 4, 12, 8, 2], [8, 4, 8, 16, 6, 12, 8]] },
];

for (const { space, max, subs, flatDense } of cases) {
  test(`${space.name}: a sub-network's forward pass equals the stand-alone network of its widths loaded with the cut weights`, () => {
    assert.equal(max.length, space.groups.length, 'case setup');
    const supernet = new Supernet(space, max, 0);
    const full = randomise(supernet, 1);
    const rng = createRng('x');
    for (const widths of [max, ...subs]) {
      const standAlone = buildModel(space, widths, 5);
      standAlone.setWeights(cutWeights(full, standAlone.getWeights(), flatDense ?? {}));
      const n = 3;
      const size = space.input[0] * space.input[1] * space.input[2];
      const xs = Float32Array.from({ length: n * size }, () => rng.normal());
      const x = tf.tensor4d(xs, [n, ...space.input] as [number, number, number, number]);
      const net = supernet.subnet(widths);
      // Training mode: BN on the batch's statistics in both.
      const ours = supernet.apply(x, net, { kind: 'batch' });
      const theirs = standAlone.apply(x, true);
      assertClose(ours, theirs, `${space.name} at ${widths.join(',')} (batch statistics)`);
      // Calibrated on this one batch, the inference forward is the batch-statistics forward.
      const stats = calibrate(supernet, net, { x: xs, y: new Int32Array(n), count: n }, space.input, { calibrationBatch: n });
      assertClose(supernet.apply(x, net, { kind: 'fixed', stats }), theirs, `${space.name} at ${widths.join(',')} (calibrated)`);
      // And with those statistics as the stand-alone network's moving averages, inference agrees too.
      const exported = supernet.subnetWeights(widths, stats);
      const other = buildModel(space, widths, 7);
      other.setWeights(exported);
      const x2 = tf.randomNormal([2, ...space.input]) as tf.Tensor4D;
      assertClose(supernet.apply(x2, net, { kind: 'fixed', stats }), other.apply(x2, false), `${space.name} at ${widths.join(',')} (exported, inference)`);
      tf.dispose([x, x2, ours, theirs]);
      for (const s of stats.values()) tf.dispose([s.mean, s.variance]);
      standAlone.dispose();
      other.dispose();
    }
    supernet.dispose();
  });
}

test('a width above the supernet\'s is refused with the group named', () => {
  const supernet = new Supernet(flatSpace, [6, 5], 0);
  assert.throws(() => supernet.subnet([7, 5]), /group "a".*1 to 6/);
  supernet.dispose();
});
