import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// Gradients, chained ops and the cpu backend (this test sets the backend without initBackend).
import '../../src/engine/tfjs-setup.js';
import { gatherBatch } from '../../src/train/batches.js';

test('augmentation: a crop of the zero-padded image, flipped when asked', async () => {
  await tf.setBackend('cpu');
  // One 3x4 single-channel image with values 1..12.
  const x = Float32Array.from({ length: 12 }, (_, i) => i + 1);
  const split = { x, y: Int32Array.from([7]), count: 1 };
  // A stub rng: every offset draw gives +1 (int(3) -> 2 -> offset 2 - 1), every coin says "flip".
  const rng = { int: (n: number) => n - 1, next: () => 0, normal: () => 0 };
  const { x: batch, y } = gatherBatch(split, [3, 4, 1], [0], 0, 1, { pad: 1, flip: true, rng });
  const out = Array.from(batch.dataSync());
  // out(r, q) = in(r + 1, (3 - q) + 1), zero where that falls outside.
  const expected = [];
  for (let r = 0; r < 3; r++) for (let q = 0; q < 4; q++) {
    const sr = r + 1, sq = 3 - q + 1;
    expected.push(sr < 3 && sq < 4 ? x[sr * 4 + sq] : 0);
  }
  assert.deepEqual(out, expected);
  assert.deepEqual(Array.from(y.dataSync()), [7]);
  const plain = gatherBatch(split, [3, 4, 1], [0], 0, 1);
  assert.deepEqual(Array.from(plain.x.dataSync()), Array.from(x));
  tf.dispose([batch, y, plain.x, plain.y]);
});
