import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { makeSynthetic } from '../../src/data/synthetic.js';
import { loadSpace, scaledWidths } from '../../src/space/index.js';
import { buildModel } from '../../src/train/model.js';
import { spaceKernelWeights } from '../../src/cost/cost.js';
import { sparsify } from '../../src/train/sparse.js';
import { defaultRecipe } from '../../src/core/recipe.js';
import { train } from '../../src/train/trainer.js';

before(async () => {
  await initBackend('wasm');
});

test('pruned weights stay exactly zero through many SGD-momentum and weight-decay steps, and Adam steps', async () => {
  const space = loadSpace('cnn-mnist');
  const base = spaceKernelWeights(space, scaledWidths(space, 0.25));
  const data = makeSynthetic({ inputShape: [28, 28, 1], classes: 10, trainCount: 160, testCount: 16 }, 4);
  for (const optimizer of [{ name: 'sgd' as const, momentum: 0.9, weightDecay: 5e-3 }, { name: 'adam' as const, weightDecay: 5e-3 }]) {
    const model = buildModel(space, scaledWidths(space, 0.5), 1);
    const { masks, plan } = sparsify(model, base, 1);
    assert.ok(Object.keys(masks).length > 0);
    // 3 epochs x 10 steps = 30 steps.
    await train(model, data.train, [28, 28, 1], defaultRecipe({ epochs: 3, batchSize: 16, lr: optimizer.name === 'sgd' ? 0.05 : 0.01, optimizer }), { gradientMasks: masks });
    let nonzero = 0;
    for (const layer of plan) {
      const w = model.param(`${layer.name}/kernel`).dataSync();
      const m = masks[`${layer.name}/kernel`]?.dataSync();
      for (let i = 0; i < w.length; i++) {
        if (m && m[i] === 0) assert.equal(w[i], 0, `${optimizer.name}: ${layer.name}[${i}] moved off zero`);
        if (w[i] !== 0) nonzero++;
      }
    }
    assert.equal(nonzero, base, `${optimizer.name}: nonzero count`);
    model.dispose();
    tf.dispose(Object.values(masks));
  }
});
