import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spaceCost, spaceKernelWeights } from '../../src/cost/index.js';
import { baseWidths, loadSpace, resolveNetwork, scaledWidths, shippedSpaceNames } from '../../src/space/index.js';
import { kernelBudgets, randomMask, sparsityPlan } from '../../src/train/sparsity-plan.js';

test('water level by hand: the largest layer is cut to the next largest, then both', () => {
  const layers = [
    { name: 'a', weights: 100, outputs: 10, fanIn: 10 },
    { name: 'b', weights: 60, outputs: 6, fanIn: 10 },
    { name: 'c', weights: 20, outputs: 2, fanIn: 10 },
  ];
  // 120 weights: c keeps 20; a and b share 100 -> 50 each.
  assert.deepEqual(sparsityPlan(layers, 120).map((l) => l.nonzero), [50, 50, 20]);
  // 150: a is cut to 70 (not below b's 60) -> 70, 60, 20.
  assert.deepEqual(sparsityPlan(layers, 150).map((l) => l.nonzero), [70, 60, 20]);
  // 121: the remainder weight goes to the largest cut layer.
  assert.deepEqual(sparsityPlan(layers, 121).map((l) => l.nonzero), [51, 50, 20]);
});

test('a layer that would keep fewer than one weight per output stays dense', () => {
  const layers = [
    { name: 'wide', weights: 1000, outputs: 10, fanIn: 100 },
    { name: 'mid', weights: 1000, outputs: 10, fanIn: 100 },
    { name: 'head', weights: 500, outputs: 400, fanIn: 2 },
  ];
  // A level of 366 would leave head 366 < 400 outputs: head stays dense, the others share 600.
  const plan = sparsityPlan(layers, 1100);
  assert.deepEqual(plan.map((l) => l.nonzero), [300, 300, 500]);
  // At 1200 the level is 400: head keeps one weight per output and is sparse.
  assert.deepEqual(sparsityPlan(layers, 1200).map((l) => l.nonzero), [400, 400, 400]);
});

test('for every shipped space and scale, the nonzero count equals the base kernel-weight count exactly', () => {
  for (const name of shippedSpaceNames()) {
    const space = loadSpace(name);
    const baseKernels = spaceKernelWeights(space, baseWidths(space));
    // Independent count: params minus biases and BN, from the cost model's per-layer numbers is not
    // separable, so check against the kernel shapes: k*k*cin*cout and in*out summed by hand below.
    const net = resolveNetwork(space, baseWidths(space));
    // Inverted blocks: the 1x1 expand and project convs as any conv; the depthwise conv has one
    // k x k filter per channel.
    const byHand = net.ops.flatMap((op) => (op.kind === 'block' ? [op.conv1, op.conv2, ...(op.shortcut.kind === 'projection' ? [op.shortcut.conv] : [])] : op.kind === 'inverted' ? [op.expand, op.depthwise, op.project] : [op]))
      .reduce((s, op) => s + (op.kind === 'conv' ? op.kernel * op.kernel * (op.depthwise ? 1 : op.inShape[2]) * op.outShape[2] : op.kind === 'dense' ? op.inUnits * op.outUnits : 0), 0);
    assert.equal(baseKernels, byHand, name);
    for (const scale of [1, 1.41, 2, 2.83]) {
      const wide = resolveNetwork(space, scaledWidths(space, scale));
      const plan = sparsityPlan(kernelBudgets(wide), baseKernels);
      assert.equal(plan.reduce((s, l) => s + l.nonzero, 0), baseKernels, `${name} x${scale}`);
      for (const l of plan) assert.ok(l.nonzero >= Math.min(l.weights, l.outputs) && l.nonzero <= l.weights, `${name} x${scale} ${l.name}`);
      assert.ok(spaceCost(space, scaledWidths(space, scale)).params >= spaceCost(space, baseWidths(space)).params);
    }
  }
});

test('masks have exactly the asked number of ones, and differ by seed', () => {
  const m = randomMask(1000, 137, 's1');
  assert.equal(m.reduce((s, v) => s + v, 0), 137);
  assert.notDeepEqual(m, randomMask(1000, 137, 's2'));
  assert.deepEqual(m, randomMask(1000, 137, 's1'));
});
