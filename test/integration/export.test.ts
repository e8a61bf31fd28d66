import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { makeSynthetic } from '../../src/data/synthetic.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/export/checkpoint.js';
import { buildOnnxModel } from '../../src/export/onnx.js';
import { checkParity } from '../../src/export/parity.js';
import { baseWidths, loadSpace, scaledWidths, shippedSpaceNames } from '../../src/space/index.js';
import { buildModel } from '../../src/train/model.js';
import { spaceKernelWeights } from '../../src/cost/cost.js';
import { sparsify } from '../../src/train/sparse.js';
import { defaultRecipe } from '../../src/core/recipe.js';
import { train } from '../../src/train/trainer.js';

const BIN = new URL('../../bin/widthwise.js', import.meta.url).pathname;
const tmp = () => mkdtempSync(join(tmpdir(), 'ww-export-'));

before(async () => {
  await initBackend('wasm');
});

test('a trained checkpoint of every shipped space (and a wide & sparse one) reads back bit for bit and exports to ONNX that ONNX Runtime agrees with', async () => {
  const cases = shippedSpaceNames().map((name) => ({ name, sparse: false })).concat([{ name: 'mlp-mnist', sparse: true }]);
  for (const { name, sparse } of cases) {
    const space = loadSpace(name);
    const widths = sparse ? scaledWidths(space, 2) : name.endsWith('mnist') ? baseWidths(space) : scaledWidths(space, 0.125);
    const model = buildModel(space, widths, 1);
    const data = makeSynthetic({ inputShape: space.input, classes: space.classes, trainCount: 32, testCount: 16 }, 2);
    const masks = sparse ? sparsify(model, spaceKernelWeights(space, baseWidths(space)), 1).masks : {};
    // One epoch moves BN statistics and weights away from their initial values.
    await train(model, data.train, space.input, defaultRecipe({ epochs: 1, batchSize: 16 }), { gradientMasks: masks });
    const dir = tmp();
    await saveCheckpoint(dir, model, { space, widths, classes: space.classes }, masks);
    const loaded = await loadCheckpoint(dir);
    const a = model.getWeights();
    const b = loaded.model.getWeights();
    assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
    for (const key of Object.keys(a)) assert.deepEqual(Buffer.from((b[key].values as Float32Array).buffer), Buffer.from((a[key].values as Float32Array).buffer), `${name} ${key}`);
    assert.deepEqual(Object.keys(loaded.masks).sort(), Object.keys(masks).sort());
    const bytes = buildOnnxModel(loaded.model);
    const parity = await checkParity(loaded.model, bytes, data.test.x, data.test.count);
    assert.ok(parity.maxAbsDiff <= 1e-4 && parity.argmaxAgreement === 1, `${name}: ${JSON.stringify(parity)}`);
    model.dispose();
    loaded.model.dispose();
    tf.dispose([...Object.values(masks), ...Object.values(loaded.masks)]);
  }
});

test('train --save, then export --json with the parity figures', () => {
  const dir = tmp();
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  const trained = run('train', 'mlp-mnist', '--widths', '32,16', '--epochs', '2', '--max-train', '2000', '--save', dir);
  assert.equal(trained.status, 0, trained.stderr);
  const exported = run('export', dir, '--json');
  assert.equal(exported.status, 0, exported.stderr);
  const report = JSON.parse(exported.stdout);
  assert.ok(report.maxAbsDiff <= 1e-4);
  assert.equal(report.argmaxAgreement, 1);
  assert.equal(report.opset, 13);
  assert.ok(report.bytes > 4 * (784 * 32 + 32 * 16 + 16 * 10));
});
