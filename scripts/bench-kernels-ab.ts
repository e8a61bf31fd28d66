/**
 * Same-process A/B of the convolution kernels of two checkouts: A is another checkout of the
 * project (`--before <dir>`, e.g. a `git worktree add --detach /tmp/before main`), B this one. Both
 * sets of kernel configs are loaded into one process and registered in turn before every call,
 * alternating the order by round, on the same tensors and heap; each call is timed in CPU time of
 * the process (see bench-kernels.ts for why) and the best and median of the rounds are printed
 * with GMAC/s, the A/B ratios and the largest difference between the two results (relative to
 * the largest value). A/A runs (kernels unchanged between the checkouts) gave ratios 0.96–1.02.
 *
 *   npx tsx scripts/bench-kernels-ab.ts --before <dir> [--rounds 9] [--kernels forward,filter,input] [--layers c2,mnist]
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolve } from 'node:path';
import { initBackend } from '../src/engine/backend.js';

const argv = process.argv.slice(2);
const opt = (n: string, f: string) => { const i = argv.indexOf(`--${n}`); return i >= 0 ? argv[i + 1] : f; };
const before = opt('before', '');
if (!before) {
  console.error('bench-kernels-ab: give the other checkout with --before <dir>');
  process.exit(2);
}
const A = resolve(before);
const aIn = (await import(`${A}/src/engine/kernels/conv2d-backprop-input.ts`)).conv2dBackpropInputConfig;
const aFi = (await import(`${A}/src/engine/kernels/conv2d-backprop-filter.ts`)).conv2dBackpropFilterConfig;
const aFw = (await import(`${A}/src/engine/kernels/conv2d.ts`)).conv2dConfig;
const bIn = (await import('../src/engine/kernels/conv2d-backprop-input.js')).conv2dBackpropInputConfig;
const bFi = (await import('../src/engine/kernels/conv2d-backprop-filter.js')).conv2dBackpropFilterConfig;
const bFw = (await import('../src/engine/kernels/conv2d.js')).conv2dConfig;
await initBackend('wasm');
// The shipped Conv2D is only reached for shapes these layers do not have.
const noShipped = (() => { throw new Error('bench-kernels-ab: a layer fell back to the shipped Conv2D'); }) as never;
const set = (side: 'A' | 'B') => {
  const cfgs = side === 'A' ? [aIn, aFi, { kernelName: 'Conv2D', backendName: 'wasm', kernelFunc: aFw.wrap(noShipped) }] : [bIn, bFi, { kernelName: 'Conv2D', backendName: 'wasm', kernelFunc: bFw.wrap(noShipped) }];
  for (const c of cfgs) { tf.unregisterKernel(c.kernelName, 'wasm'); tf.registerKernel(c as tf.KernelConfig); }
};
const which = opt('kernels', 'forward,filter,input').split(',');
const only = opt('layers', '');
const rounds = Number(opt('rounds', '9'));
const LAYERS: [string, number, number, number, number, number, number, number][] = [
  ['cnn c1 32x32 3->32', 64, 32, 32, 3, 32, 3, 1],
  ['cnn c2 16x16 32->64', 64, 16, 16, 32, 64, 3, 1],
  ['cnn c3 8x8 64->128', 64, 8, 8, 64, 128, 3, 1],
  ['r20 stage1 32x32 16->16', 128, 32, 32, 16, 16, 3, 1],
  ['r20 down 32x32 16->32 s2', 128, 32, 32, 16, 32, 3, 2],
  ['r20 stage2 16x16 32->32', 128, 16, 16, 32, 32, 3, 1],
  ['r20 stage3 8x8 64->64', 128, 8, 8, 64, 64, 3, 1],
  ['r20 short 1x1 16->32 s2', 128, 32, 32, 16, 32, 1, 2],
  ['pointwise 1x1 16x16 64->128', 128, 16, 16, 64, 128, 1, 1],
  ['mnist conv1 28x28 1->16', 64, 28, 28, 1, 16, 3, 1],
  ['mnist conv2 14x14 16->32', 64, 14, 14, 16, 32, 3, 1],
  ['mnist conv3 7x7 32->64', 64, 7, 7, 32, 64, 3, 1],
];
for (const [name, b, h, w, cin, cout, k, s] of LAYERS.filter(([n]) => !only || only.split(',').some((o) => n.includes(o)))) {
  const x = tf.randomNormal([b, h, w, cin]) as tf.Tensor4D;
  const filter = tf.randomNormal([k, k, cin, cout]) as tf.Tensor4D;
  const ho = Math.ceil(h / s), wo = Math.ceil(w / s);
  const dy = tf.randomNormal([b, ho, wo, cout]) as tf.Tensor4D;
  const macs = b * ho * wo * k * k * cin * cout;
  const fns: Record<string, () => tf.Tensor> = {
    forward: () => tf.conv2d(x, filter, s, 'same'),
    filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s, pad: 'same', dataFormat: 'NHWC', filterShape: [k, k, cin, cout] } as never) as tf.Tensor,
    input: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: s, pad: 'same', dataFormat: 'NHWC', inputShape: [b, h, w, cin] } as never) as tf.Tensor,
  };
  for (const kern of which) {
    if (kern === 'input' && cin % 4) continue;
    const t = { A: [] as number[], B: [] as number[] };
    set('A'); const ra = fns[kern](); set('B'); const rb = fns[kern]();
    const diff = tf.max(tf.abs(tf.sub(ra, rb))).dataSync()[0] / tf.max(tf.abs(ra)).dataSync()[0];
    tf.dispose([ra, rb]);
    for (let r = 0; r < rounds; r++) {
      for (const side of (r % 2 ? ['B', 'A'] : ['A', 'B']) as ('A' | 'B')[]) {
        set(side);
        const c0 = process.cpuUsage(); fns[kern]().dispose(); const c = process.cpuUsage(c0); t[side].push((c.user + c.system) / 1000);
      }
    }
    const min = (v: number[]) => Math.min(...v), med = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1];
    console.log(`${kern.padEnd(7)} ${name.padEnd(26)} A min ${min(t.A).toFixed(2)} med ${med(t.A).toFixed(2)} ms (${(macs / min(t.A) / 1e6).toFixed(1)} GMAC/s)  B min ${min(t.B).toFixed(2)} med ${med(t.B).toFixed(2)} ms (${(macs / min(t.B) / 1e6).toFixed(1)} GMAC/s)  A/B min ${(min(t.A) / min(t.B)).toFixed(2)} med ${(med(t.A) / med(t.B)).toFixed(2)}  maxdiff ${diff.toExponential(1)}`);
  }
  tf.dispose([x, filter, dy]);
}
