import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '../../src/engine/tfjs-setup.js';
import { bundleRegistrations } from '../../scripts/build-tfjs-registrations.js';

test('the committed tfjs-core registrations bundle is what the installed tfjs-core builds to', async () => {
  const committed = readFileSync(new URL('../../src/engine/generated/tfjs-core-registrations.js', import.meta.url), 'utf8');
  assert.ok(committed === (await bundleRegistrations()), 'src/engine/generated/tfjs-core-registrations.js differs from its rebuild: run npx tsx scripts/build-tfjs-registrations.ts');
});

test("after tfjs-setup, every gradient tfjs-core's register_all_gradients lists is registered, and tensors have chained ops", () => {
  // The list, read from tfjs-core's own module: one `import { xGradConfig } from './gradients/X_grad'` per kernel.
  const source = readFileSync(createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js'), 'utf8');
  const kernels = [...source.matchAll(/from '\.\/gradients\/(\w+)_grad'/g)].map((m) => m[1]);
  assert.ok(kernels.length >= 100, `found ${kernels.length} gradient modules`);
  const missing = kernels.filter((k) => tf.getGradient(k) === undefined);
  assert.deepEqual(missing, []);
  for (const op of ['mul', 'add', 'sub', 'reshape', 'square', 'relu']) assert.equal(typeof (tf.Tensor.prototype as unknown as Record<string, unknown>)[op], 'function', op);
});
