import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spaceCost } from '../../src/cost/index.js';
import { scaledOnGrid, uniformScaling } from '../../src/search/uniform-scaling.js';
import { loadSpace } from '../../src/space/index.js';

test('uniform scaling: the largest multiplier that fits, checked against a fine scan of multipliers', () => {
  for (const [name, start, ratio] of [['cnn-mnist', [64, 32, 16, 16], 0.5], ['cnn-mnist', [32, 32, 32, 32], 0.5], ['cnn-mnist', [16, 32, 64, 64], 0.5], ['mlp-mnist', [256, 128], 0.3]] as const) {
    const space = loadSpace(name);
    const budget = { macs: Math.floor(spaceCost(space, [...start]).macs * ratio) };
    const u = uniformScaling(space, [...start], budget)!;
    assert.ok(spaceCost(space, u.widths).macs <= budget.macs);
    // Every multiplier a little above the answer, scanned finely, gives a network over the budget
    // or the same widths.
    for (let m = u.multiplier; m < u.multiplier + 0.5; m += 1e-4) {
      const w = scaledOnGrid(space, [...start], m);
      assert.ok(spaceCost(space, w).macs > budget.macs || w.join() === u.widths.join(), `${name} at ${m.toFixed(4)}: ${w} fits and differs from ${u.widths}`);
    }
  }
  // By hand: the base MLP at exactly its own MACs is itself (multiplier 1).
  const mlp = loadSpace('mlp-mnist');
  const same = uniformScaling(mlp, [256, 128], { macs: spaceCost(mlp, [256, 128]).macs })!;
  assert.deepEqual(same.widths, [256, 128]);
  assert.equal(uniformScaling(mlp, [256, 128], { macs: 10 }), null);
});
