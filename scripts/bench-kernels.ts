/**
 * Kernel-level A/B of the engine's convolution kernels on the wasm backend: each layer shape of
 * the reference models is timed with the relaxed-SIMD build, the plain-SIMD build and without the
 * SIMD kernels (the XNNPACK formulations), alternating in rounds inside one process so that the
 * machine's load hits every variant alike. Prints ms per call (median of rounds) and GMAC/s, and
 * first the GMAC/s of a register-only multiply-add probe in each build (the higher is the ceiling),
 * and each kernel's fraction of that ceiling.
 *
 * Times are the process's CPU time (user + system) per call, not wall-clock time: on a machine
 * shared with other work the wall clock counts the time the scheduler gives to others (on 2 cores
 * at load 5-12 it varied 2x between calls), while CPU time varies by a few per cent between
 * rounds. `--wall` times the wall clock instead.
 *
 *   npx tsx scripts/bench-kernels.ts [--rounds 5] [--calls 5] [--kernels forward,filter,input,batch-norm] [--layers c2,stage3] [--builds relaxed-simd,simd,none] [--wall] [--json]
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend.js';
import { preferSimdBuild, simdMode, type SimdPreference } from '../src/engine/simd/kernel-module.js';
import { BATCH_NORM_TRAIN } from '../src/engine/kernels/batch-norm-train.js';
import { BATCH_NORM_TRAIN_GRAD } from '../src/engine/kernels/batch-norm-train-grad.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const rounds = Number(option('rounds', '5'));
const calls = Number(option('calls', '5'));
const which = option('kernels', 'forward,filter,input').split(',');
const json = argv.includes('--json');
const only = option('layers', '');
const wall = argv.includes('--wall');
/** A stopwatch started now: its call gives the milliseconds since, in CPU time of this process or wall-clock time (--wall). */
function stopwatch(): () => number {
  if (wall) {
    const t0 = performance.now();
    return () => performance.now() - t0;
  }
  const c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
}

/**
 * [name, batch, h, w, cin, cout, k, stride] of the reference CNN (batch 64), the main job's
 * cnn-mnist at its base widths (batch 64, the search's default), ResNet-20 (batch 128) and one
 * pointwise layer.
 */
const LAYERS: [string, number, number, number, number, number, number, number][] = [
  ['mnist conv1 28x28 1->16', 64, 28, 28, 1, 16, 3, 1],
  ['mnist conv2 14x14 16->32', 64, 14, 14, 16, 32, 3, 1],
  ['mnist conv3 7x7 32->64', 64, 7, 7, 32, 64, 3, 1],
  ['cnn c1 32x32 3->32', 64, 32, 32, 3, 32, 3, 1],
  ['cnn c2 16x16 32->64', 64, 16, 16, 32, 64, 3, 1],
  ['cnn c3 8x8 64->128', 64, 8, 8, 64, 128, 3, 1],
  ['r20 stage1 32x32 16->16', 128, 32, 32, 16, 16, 3, 1],
  ['r20 down 32x32 16->32 s2', 128, 32, 32, 16, 32, 3, 2],
  ['r20 stage2 16x16 32->32', 128, 16, 16, 32, 32, 3, 1],
  ['r20 stage3 8x8 64->64', 128, 8, 8, 64, 64, 3, 1],
  ['r20 shortcut 1x1 16->32 s2', 128, 32, 32, 16, 32, 1, 2],
  // A pointwise (1x1, stride 1) layer of the size MobileNet-style spaces have.
  ['pointwise 1x1 16x16 64->128', 128, 16, 16, 64, 128, 1, 1],
];
const VARIANTS = option('builds', 'relaxed-simd,simd,none').split(',') as SimdPreference[];

await initBackend('wasm');

/** GMAC/s of the register-only multiply-add probe (src/engine/simd/peak.as) in one build: the ceiling (12 chains), or the bound of 8 chains. */
function peakGmacs(build: 'relaxed' | 'simd', chains: 12 | 8 = 12): number {
  const bytes = readFileSync(new URL(`../src/engine/simd/peak.${build}.wasm`, import.meta.url));
  const probe = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: new WebAssembly.Memory({ initial: 0 }) } }).exports as Record<'maddRounds' | 'maddRounds8Chains', (n: number, seed: number) => number>;
  const run = chains === 12 ? probe.maddRounds : probe.maddRounds8Chains;
  run(1e5, 1e-7);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const elapsed = stopwatch();
    run(2e6, 1e-7);
    best = Math.min(best, elapsed());
  }
  return (2e6 * 4 * chains) / best / 1e6;
}
const peak = { 'relaxed-simd': peakGmacs('relaxed'), simd: peakGmacs('simd') };
// Every build is held against the higher probe, the machine's multiply-add rate in wasm: the plain
// probe's chains run through a multiply and an add, so it is a latency bound that plain-SIMD
// kernels, with 8 chains through the add alone, can pass.
const ceiling = Math.max(peak['relaxed-simd'], peak.simd);
// The bound for a tile of 8 accumulators (the kernels' 4x8), beside the ceiling.
const eightChains = { 'relaxed-simd': peakGmacs('relaxed', 8), simd: peakGmacs('simd', 8) };
if (!json) console.log(`register-only multiply-add peak (best of ${rounds}, ${wall ? 'wall clock' : 'CPU time'}): relaxed-simd ${peak['relaxed-simd'].toFixed(1)} GMAC/s, simd ${peak.simd.toFixed(1)} GMAC/s; with 8 accumulator chains ${eightChains['relaxed-simd'].toFixed(1)} and ${eightChains.simd.toFixed(1)}`);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const rows: Record<string, unknown>[] = [];
for (const [name, b, h, w, cin, cout, k, s] of LAYERS.filter(([n]) => !only || only.split(',').some((o) => n.includes(o)))) {
  const x = tf.randomNormal([b, h, w, cin]) as tf.Tensor4D;
  const filter = tf.randomNormal([k, k, cin, cout]) as tf.Tensor4D;
  const ho = Math.ceil(h / s), wo = Math.ceil(w / s);
  const dy = tf.randomNormal([b, ho, wo, cout]) as tf.Tensor4D;
  const macs = b * ho * wo * k * k * cin * cout;
  const gamma = tf.ones([cout]), beta = tf.zeros([cout]), dStat = tf.zeros([cout]);
  const kernels: Record<string, () => tf.Tensor> = {
    forward: () => tf.conv2d(x, filter, s, 'same'),
    filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s, pad: 'same', dataFormat: 'NHWC', filterShape: [k, k, cin, cout] } as never) as tf.Tensor,
    input: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: s, pad: 'same', dataFormat: 'NHWC', inputShape: [b, h, w, cin] } as never) as tf.Tensor,
    // Batch norm forward and backward on the layer's output (the 'MAC' column then means nothing).
    'batch-norm': () => {
      const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x: dy, scale: gamma, offset: beta }, { varianceEpsilon: 1e-5 } as never) as tf.Tensor[];
      const grads = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy, x: dy, scale: gamma, mean, variance, dMean: dStat, dVariance: dStat }, { varianceEpsilon: 1e-5 } as never) as tf.Tensor[];
      tf.dispose([y, mean, variance, ...grads.slice(1)]);
      return grads[0];
    },
  };
  for (const kernel of which) {
    const times = new Map<SimdPreference, number[]>(VARIANTS.map((v) => [v, []]));
    for (let r = 0; r < rounds; r++) {
      for (const v of VARIANTS) {
        preferSimdBuild(v);
        kernels[kernel]().dispose();
        const elapsed = stopwatch();
        for (let c = 0; c < calls; c++) kernels[kernel]().dispose();
        times.get(v)!.push(elapsed() / calls);
      }
    }
    const ms = Object.fromEntries(VARIANTS.map((v) => [v, median(times.get(v)!)]));
    const gmacs = (v: SimdPreference) => macs / ms[v] / 1e6;
    const ofCeiling = Object.fromEntries(VARIANTS.map((v) => [v, kernel === 'batch-norm' ? null : gmacs(v) / ceiling]));
    rows.push({ layer: name, kernel, macs: kernel === 'batch-norm' ? null : macs, ms, ofCeiling });
    if (!json) {
      const ratio = ms.none !== undefined && ms['relaxed-simd'] !== undefined ? `  none/relaxed ${(ms.none / ms['relaxed-simd']).toFixed(2)}x` : '';
      console.log(`${kernel.padEnd(6)} ${name.padEnd(28)} ${VARIANTS.map((v) => `${v} ${ms[v].toFixed(2)} ms${kernel === 'batch-norm' ? '' : ` (${gmacs(v).toFixed(1)} GMAC/s, ${(100 * ofCeiling[v]!).toFixed(0)} %)`}`).join('  ')}${ratio}`);
    }
  }
  tf.dispose([x, filter, dy, gamma, beta, dStat]);
}
preferSimdBuild('auto');
if (json) console.log(JSON.stringify({ simd: simdMode(), clock: wall ? 'wall' : 'cpu', peakGmacs: peak, eightChainGmacs: eightChains, rounds, calls, rows }, null, 2));
