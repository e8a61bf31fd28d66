/**
 * Inference throughput of ONNX Runtime (onnxruntime-web's wasm build, the one the export's parity
 * check uses) against tfjs (wasm) on the same model and batch.
 *   npx tsx scripts/bench-inference.ts [--space cnn-mnist] [--batch 256] [--runs 10]
 */
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-web';
import { initBackend } from '../src/engine/backend.js';
import { buildOnnxModel } from '../src/export/onnx.js';
import { nhwcToNchw } from '../src/export/parity.js';
import { baseWidths, loadSpace } from '../src/space/index.js';
import { buildModel } from '../src/train/model.js';
import { numberArg, scriptArgs } from './lib/args.js';

const args = scriptArgs({
  space: { type: 'string', default: 'mlp-mnist,cnn-mnist,resnet20-cifar' }, batch: { type: 'string', default: '256' }, runs: { type: 'string', default: '10' },
}, 'npx tsx scripts/bench-inference.ts [--space mlp-mnist,cnn-mnist,resnet20-cifar] [--batch 256] [--runs 10]');
const info = await initBackend('wasm');
ort.env.wasm.numThreads = 1;
const batch = numberArg(args.batch, 'batch');
const runs = numberArg(args.runs, 'runs');
for (const name of args.space.split(',')) {
  const space = loadSpace(name);
  const model = buildModel(space, baseWidths(space), 0);
  const x = Float32Array.from({ length: batch * space.input.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i));
  const session = await ort.InferenceSession.create(buildOnnxModel(model), { executionProviders: ['wasm'] });
  const feeds = { input: new ort.Tensor('float32', nhwcToNchw(x, batch, space.input), [batch, space.input[2], space.input[0], space.input[1]]) };
  const tfRun = () => tf.tidy(() => model.apply(tf.tensor4d(x, [batch, ...space.input]), false).dataSync());
  const time = async (f: () => unknown) => {
    await f();
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await f();
    return (performance.now() - t0) / runs;
  };
  const tfMs = await time(tfRun);
  const ortMs = await time(() => session.run(feeds));
  await session.release();
  model.dispose();
  console.log(`${name.padEnd(16)} batch ${batch}: tfjs ${info.name} ${tfMs.toFixed(1)} ms (${((batch * 1000) / tfMs).toFixed(0)} img/s), ONNX Runtime wasm 1 thread ${ortMs.toFixed(1)} ms (${((batch * 1000) / ortMs).toFixed(0)} img/s), ratio ${(tfMs / ortMs).toFixed(2)}x`);
}
