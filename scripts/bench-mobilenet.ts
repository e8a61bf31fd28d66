/**
 * Training speed of Channel-Bench-Macro's MobileNet network (search-spaces/cbm-mobilenet.json) on
 * the engine against PyTorch on this machine, and of its depthwise convolutions alone: ms per SGD
 * step (momentum 0.9, weight decay 5e-4) at one width vector, and ms per forward pass plus both
 * gradients of single depthwise convolutions of the network's shapes, one thread each, after
 * warm-up. Rounds alternate the engine's SIMD depthwise gradients, its JavaScript loops (the
 * fallback: `none` build) and PyTorch (scripts/bench-mobilenet-torch.py under /usr/bin/python3,
 * Debian's python3-torch); figures are medians over rounds. The first round also lists the kernel
 * time per step.
 *
 *   npx tsx scripts/bench-mobilenet.ts [--widths 32,192,192,192,64,384,256] [--batch 32] [--steps 10] [--rounds 3]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend.js';
import { preferSimdBuild, type SimdPreference } from '../src/engine/simd/kernel-module.js';
import { median } from '../src/core/stats.js';
import { loadSpace } from '../src/space/load.js';
import { buildModel } from '../src/train/model.js';
import { Optimizer } from '../src/train/optimizer.js';
import { optimizeOnBatch } from '../src/train/trainer.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const widths = option('widths', '32,192,192,192,64,384,256').split(',').map(Number);
const batch = Number(option('batch', '32'));
const steps = Number(option('steps', '10'));
const rounds = Number(option('rounds', '3'));
const warmup = 3;
const log = (s: string) => process.stderr.write(`${s}\n`);

const space = loadSpace('cbm-mobilenet');
// The network's depthwise convolutions at these widths: [h, w, channels, stride].
const DEPTHWISE: [number, number, number, number][] = [[16, 16, widths[1], 1], [16, 16, widths[3], 2], [8, 8, widths[5], 1]];

const backend = await initBackend('wasm');
log(`backend ${backend.name}, kernels ${backend.simd}; cbm-mobilenet at ${widths.join(',')}, batch ${batch}`);

function timed(run: () => void, n: number): number {
  for (let i = 0; i < warmup; i++) run();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) run();
  return (performance.now() - t0) / n;
}

async function stepMs(profile: boolean): Promise<number> {
  const model = buildModel(space, widths, 1);
  const variables = model.trainableVariables();
  const nameOf = new Map(model.params.map((p) => [p.variable.name, p.name]));
  const optimizer = new Optimizer({ name: 'sgd', momentum: 0.9, weightDecay: 5e-4 }, model.params.map((p) => ({ name: p.name, variable: p.variable, decay: p.role === 'kernel' })));
  const x = tf.randomNormal([batch, ...space.input], 0, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % space.classes), 'int32');
  const step = () => optimizeOnBatch(model, x, y, variables, nameOf, optimizer, 0.01);
  try {
    const ms = timed(step, steps);
    if (profile) {
      const p = await tf.profile(() => { for (let i = 0; i < 3; i++) step(); });
      const byKernel = new Map<string, number>();
      for (const k of p.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number) / 3);
      const rows = [...byKernel].sort((a, b) => b[1] - a[1]);
      const total = rows.reduce((a, [, t]) => a + t, 0);
      log(`  kernel time per step ${total.toFixed(1)} ms:`);
      for (const [k, t] of rows.slice(0, 10)) log(`    ${k.padEnd(38)} ${t.toFixed(1).padStart(7)}  (${((100 * t) / total).toFixed(0)} %)`);
    }
    return ms;
  } finally {
    model.dispose();
    optimizer.dispose();
    tf.dispose([x, y]);
  }
}

/**
 * ms per depthwise forward pass, input gradient and filter gradient, as the three kernels a
 * training step runs (no surrounding ops), each read back once so that the time is the work's.
 */
function depthwiseMs([h, w, c, stride]: [number, number, number, number]): number {
  const x = tf.randomNormal([batch, h, w, c], 0, 1, 'float32', 3) as tf.Tensor4D;
  const f = tf.randomNormal([3, 3, c, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
  const attrs = { strides: stride, pad: 'same', dilations: 1 };
  const dy = tf.randomNormal(tf.depthwiseConv2d(x, f, stride, 'same').shape, 0, 1, 'float32', 5);
  const run = (name: string, inputs: Record<string, tf.Tensor>, extra: Record<string, unknown>) =>
    tf.engine().runKernel(name, inputs as never, { ...attrs, ...extra } as never) as tf.Tensor;
  try {
    return timed(() => tf.tidy(() => {
      run('DepthwiseConv2dNative', { x, filter: f }, {}).dataSync();
      run('DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, { inputShape: x.shape }).dataSync();
      run('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { filterShape: f.shape }).dataSync();
    }), steps * 3);
  } finally {
    tf.dispose([x, f, dy]);
  }
}

function torchSide(): { msPerStep: number; params: number; depthwise: { ms: number }[]; torch: string } | undefined {
  const script = fileURLToPath(new URL('./bench-mobilenet-torch.py', import.meta.url));
  const run = spawnSync('/usr/bin/python3', [script, '--widths', widths.join(','), '--batch', String(batch), '--steps', String(steps),
    '--depthwise', DEPTHWISE.map((d) => d.join(',')).join(';')], { encoding: 'utf8' });
  if (run.status !== 0) {
    log(`PyTorch side unavailable (${(run.stderr || run.error?.message || '').trim().split('\n').pop()}); install it with: apt-get install python3-torch`);
    return undefined;
  }
  return JSON.parse(run.stdout);
}

const BUILDS: SimdPreference[] = ['auto', 'none'];
const times = new Map<string, number[]>();
const push = (key: string, ms: number) => times.set(key, [...(times.get(key) ?? []), ms]);
for (let round = 1; round <= rounds; round++) {
  for (const build of BUILDS) {
    preferSimdBuild(build);
    if (round === 1) log(`build ${build}:`);
    push(`step ${build}`, await stepMs(round === 1));
    DEPTHWISE.forEach((d, i) => push(`dw${i} ${build}`, depthwiseMs(d)));
  }
  preferSimdBuild('auto');
  const torch = torchSide();
  if (torch) {
    if (round === 1) log(`PyTorch ${torch.torch}, params ${torch.params}`);
    push('step torch', torch.msPerStep);
    torch.depthwise.forEach((d, i) => push(`dw${i} torch`, d.ms));
  }
  log(`round ${round}/${rounds}: ${[...times].map(([k, v]) => `${k} ${v.at(-1)!.toFixed(1)}`).join(', ')}`);
}
// The machine is shared: besides the medians, the fastest round (the least disturbed) and the
// median of the per-round ratios (each measured side by side) are given.
const cell = (key: string) => (times.has(key) ? `${median(times.get(key)!).toFixed(1)} (${Math.min(...times.get(key)!).toFixed(1)})` : '-');
const ratio = (a: string, b: string) => {
  const x = times.get(a), y = times.get(b);
  return x && y ? median(x.map((v, i) => v / y[i])).toFixed(2) : '-';
};
console.log(`| what (batch ${batch}); median (fastest) over ${rounds} rounds | tfjs-wasm, SIMD gradients (ms) | tfjs-wasm, loop gradients (ms) | PyTorch (ms) | SIMD / loops | SIMD / PyTorch |`);
console.log('|---|---|---|---|---|---|');
console.log(`| training step, cbm-mobilenet ${widths.join(',')} | ${cell('step auto')} | ${cell('step none')} | ${cell('step torch')} | ${ratio('step auto', 'step none')} | ${ratio('step auto', 'step torch')} |`);
DEPTHWISE.forEach(([h, w, c, s], i) => console.log(`| depthwise 3x3 ${h}x${w}x${c} stride ${s}: forward, input and filter gradient kernels | ${cell(`dw${i} auto`)} | ${cell(`dw${i} none`)} | ${cell(`dw${i} torch`)} | ${ratio(`dw${i} auto`, `dw${i} none`)} | ${ratio(`dw${i} auto`, `dw${i} torch`)} |`));
