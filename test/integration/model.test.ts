import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// Gradients, chained ops and the cpu backend (this test sets the backend without initBackend).
import '../../src/engine/tfjs-setup.js';
import { spaceCost } from '../../src/cost/index.js';
import { createRng } from '../../src/core/rng.js';
import { TrainError } from '../../src/core/errors.js';
import { baseWidths, loadSpace, scaledWidths, shippedSpaceNames, type SearchSpace } from '../../src/space/index.js';
import { buildModel } from '../../src/train/model.js';
import { defaultRecipe } from '../../src/core/recipe.js';
import { train } from '../../src/train/trainer.js';
import { makeSynthetic } from '../../src/data/synthetic.js';

before(async () => {
  await tf.setBackend('cpu');
});

function randomGridWidths(space: SearchSpace, seed: number): number[] {
  const rng = createRng(seed);
  return space.groups.map((g) => {
    const cells = Math.floor((g.max - g.min) / g.step) + 1;
    // Stay in the lower part of the range so the big spaces stay cheap to build.
    return g.min + g.step * rng.int(Math.max(1, Math.ceil(cells / 3)));
  });
}

test('the built model has exactly the trainable parameter count of the cost model, for several widths of every space', () => {
  for (const name of shippedSpaceNames()) {
    const space = loadSpace(name);
    const vectors = [baseWidths(space), scaledWidths(space, 0.5), randomGridWidths(space, 1), randomGridWidths(space, 2)];
    for (const widths of vectors) {
      const model = buildModel(space, widths, 0);
      const counted = model.trainableVariables().reduce((s, v) => s + v.shape.reduce((a, b) => a * b, 1), 0);
      assert.equal(counted, spaceCost(space, widths).params, `${name} at ${widths.join(',')}`);
      model.dispose();
    }
  }
});

test('forward pass gives [batch, classes] logits and weighted layers carry the space layer names', () => {
  const space = loadSpace('resnet20-cifar');
  const model = buildModel(space, scaledWidths(space, 0.25), 0);
  const logits = tf.tidy(() => model.apply(tf.randomNormal([2, 32, 32, 3]) as tf.Tensor4D, false));
  assert.deepEqual(logits.shape, [2, 10]);
  logits.dispose();
  const layers = new Set(model.params.map((p) => p.layer));
  for (const name of ['conv1', 'stage1.block1.conv1', 'stage3.block3.conv2', 'fc']) assert.ok(layers.has(name), name);
  model.dispose();
});

test('same seed, same backend: the same weights after training; no tensor is left behind', async () => {
  const space = loadSpace('cnn-mnist');
  const data = makeSynthetic({ inputShape: [28, 28, 1], classes: 10, trainCount: 64, testCount: 16 }, 3);
  const before = tf.memory().numTensors;
  const run = async () => {
    const model = buildModel(space, [4, 4, 8, 8], 7);
    await train(model, data.train, [28, 28, 1], defaultRecipe({ epochs: 1, batchSize: 32, seed: 5 }));
    const w = model.param('conv2/kernel').dataSync().slice();
    model.dispose();
    return w;
  };
  const a = await run();
  const b = await run();
  assert.deepEqual(a, b);
  assert.equal(tf.memory().numTensors, before);
});

test('a diverging loss stops training with a TrainError naming epoch and step', async () => {
  const space = loadSpace('mlp-mnist');
  const data = makeSynthetic({ inputShape: [28, 28, 1], classes: 10, trainCount: 64, testCount: 16 }, 3);
  const model = buildModel(space, [8, 8], 0);
  await assert.rejects(
    train(model, data.train, [28, 28, 1], defaultRecipe({ epochs: 2, batchSize: 16, lr: 1e12, optimizer: { name: 'sgd', momentum: 0.9 } })),
    (err: Error) => err instanceof TrainError && /at epoch \d+, step \d+/.test(err.message),
  );
  model.dispose();
});
