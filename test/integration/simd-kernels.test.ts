import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { preferSimdBuild, simdMode } from '../../src/engine/simd/kernel-module.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('the committed SIMD kernels are what their AssemblyScript sources compile to', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-kernels.ts', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /same .*\.relaxed\.wasm/);
  assert.match(run.stdout, /same .*\.simd\.wasm/);
});

test('the backend reports the SIMD build in use; switching the kernels off is reported as unavailable', async () => {
  await initBackend('cpu');
  const info = await initBackend('wasm');
  assert.equal(info.simd, simdMode());
  assert.ok(['relaxed-simd', 'simd'].includes(info.simd ?? ''), `this Node should load a SIMD build, got ${info.simd}`);
  preferSimdBuild('none');
  assert.equal(simdMode(), 'unavailable');
  preferSimdBuild('auto');
});

/** Filter gradient of a strided convolution on one backend, for fixed inputs. */
function filterGrad(): number[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(Array.from({ length: 2 * 11 * 13 * 5 }, (_, i) => Math.sin(i * 0.37)), [2, 11, 13, 5]);
    const dy = tf.tensor4d(Array.from({ length: 2 * 6 * 7 * 12 }, (_, i) => Math.cos(i * 0.21)), [2, 6, 7, 12]);
    const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 5, 12] } as never) as tf.Tensor;
    return Array.from(dw.dataSync());
  });
}

test('inside a worker thread the SIMD kernels load on that thread\'s own wasm heap and give the cpu backend\'s filter gradient', async () => {
  await initBackend('cpu');
  tf.setBackend('cpu');
  const expected = filterGrad();
  const source = `
    const { parentPort } = require('node:worker_threads');
    (async () => {
      const { register } = await import('tsx/esm/api');
      register();
      const tf = await import('@tensorflow/tfjs-core');
      const { initBackend } = await import(${JSON.stringify(`${root}src/engine/backend.ts`)});
      const info = await initBackend('wasm');
      const x = tf.tensor4d(Array.from({ length: 2 * 11 * 13 * 5 }, (_, i) => Math.sin(i * 0.37)), [2, 11, 13, 5]);
      const dy = tf.tensor4d(Array.from({ length: 2 * 6 * 7 * 12 }, (_, i) => Math.cos(i * 0.21)), [2, 6, 7, 12]);
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 5, 12] });
      parentPort.postMessage({ simd: info.simd, values: Array.from(dw.dataSync()) });
    })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
  `;
  const worker = new Worker(source, { eval: true });
  const reply = await new Promise<{ simd?: string; values?: number[]; error?: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  assert.equal(reply.error, undefined, reply.error);
  assert.ok(['relaxed-simd', 'simd'].includes(reply.simd ?? ''), `worker SIMD build: ${reply.simd}`);
  const scale = Math.max(...expected.map(Math.abs));
  reply.values!.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-4 * scale, `dw[${i}] worker ${v} cpu ${expected[i]}`));
});

test('repeated SIMD filter gradients keep the tensor count, tensor bytes and wasm heap flat', async () => {
  await initBackend('wasm');
  tf.setBackend('wasm');
  filterGrad();
  const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
  const before = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, heap: heap() };
  for (let i = 0; i < 20; i++) filterGrad();
  assert.deepEqual({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, heap: heap() }, before);
});
