/**
 * Training speed of the engine against PyTorch on this machine: ms per SGD step (momentum 0.9,
 * weight decay 5e-4) of the reference models, after warm-up, one thread each, side by side in one
 * run. The tfjs side trains the project's own models (WidthModel + Optimizer + the trainer's step);
 * the PyTorch side is scripts/bench-engine-torch.py under /usr/bin/python3 (Debian's python3-torch).
 *
 *   npx tsx scripts/bench-engine.ts [--backend wasm] [--steps 20] [--rounds 3] [--models a,b] [--builds auto,none] [--profile] [--json]
 *
 * Reference models: `reference-cnn` (32x32x3, batch 64: conv3x3 32, max-pool, conv3x3 64,
 * max-pool, conv3x3 128, global average pool, dense 10; ReLU), `resnet20-cifar` at batch 128 and
 * `mlp-mnist` at batch 128, all at base widths. Rounds alternate tfjs and PyTorch; figures are
 * medians over rounds, each given by the wall clock and in CPU time of the process (user + system):
 * on a machine shared with other work the wall clock also counts the time the scheduler gives to
 * others, CPU time does not, so the CPU-time ratio is the one that carries over between runs.
 * `--profile` adds kernel CPU time per step (mean of up to 5 steps, first round).
 * `--forward-only` times the forward pass alone in both engines (the arithmetic they share).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendChoice } from '../src/core/backend-choice.js';
import { initBackend } from '../src/engine/backend.js';
import { preferSimdBuild, type SimdPreference } from '../src/engine/simd/kernel-module.js';
import { parseSpace, loadSpace } from '../src/space/load.js';
import { baseWidths } from '../src/space/widths.js';
import { median } from '../src/core/stats.js';
import { buildModel } from '../src/train/model.js';
import { Optimizer } from '../src/train/optimizer.js';
import { optimizeOnBatch } from '../src/train/trainer.js';
import type { SearchSpace } from '../src/space/types.js';

const REFERENCE_CNN = {
  name: 'reference-cnn',
  description: 'The engine benchmark CNN (issue 7): conv3x3 32, max-pool, conv3x3 64, max-pool, conv3x3 128, GAP, dense 10.',
  input: [32, 32, 3],
  classes: 10,
  dataset: 'synthetic',
  groups: [
    { name: 'c1', base: 32, min: 4, max: 128, step: 4 },
    { name: 'c2', base: 64, min: 4, max: 256, step: 4 },
    { name: 'c3', base: 128, min: 4, max: 512, step: 4 },
  ],
  layers: [
    { type: 'conv', name: 'c1', group: 'c1', kernel: 3, bias: true, activation: 'relu' },
    { type: 'maxpool', size: 2 },
    { type: 'conv', name: 'c2', group: 'c2', kernel: 3, bias: true, activation: 'relu' },
    { type: 'maxpool', size: 2 },
    { type: 'conv', name: 'c3', group: 'c3', kernel: 3, bias: true, activation: 'relu' },
    { type: 'gap' },
    { type: 'dense', name: 'out' },
  ],
};

const MODELS: Record<string, { space: () => SearchSpace; batch: number }> = {
  'reference-cnn': { space: () => parseSpace(JSON.stringify(REFERENCE_CNN), 'scripts/bench-engine.ts'), batch: 64 },
  'resnet20-cifar': { space: () => loadSpace('resnet20-cifar'), batch: 128 },
  'mlp-mnist': { space: () => loadSpace('mlp-mnist'), batch: 128 },
};

interface Row { model: string; batch: number; params: number; tfjsMsPerStep: number; torchMsPerStep: number | null; ratio: number | null; tfjsCpuMsPerStep: number; torchCpuMsPerStep: number | null; cpuRatio: number | null; tensorsGrew: number; bytesGrew: number; wasmHeapGrew: number | null }

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
if (flag('help')) {
  console.log(fileURLToPath(import.meta.url));
  console.log('usage: npx tsx scripts/bench-engine.ts [--backend wasm] [--steps 20] [--warmup 3] [--rounds 3] [--models reference-cnn,resnet20-cifar,mlp-mnist] [--builds auto,relaxed-simd,simd,none] [--forward-only] [--profile] [--no-torch] [--json]');
  process.exit(0);
}
const steps = Number(option('steps', '20'));
const warmup = Number(option('warmup', '3'));
const names = option('models', Object.keys(MODELS).join(',')).split(',');
for (const n of names) if (!MODELS[n]) throw new Error(`unknown model ${n}; expected one of ${Object.keys(MODELS).join(', ')}`);
const json = flag('json');
// --forward-only: the forward pass alone (training mode, no gradients), the arithmetic both engines share.
const forwardOnly = flag('forward-only');
const log = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);

const backend = await initBackend(option('backend', 'wasm') as BackendChoice);
log(`tfjs backend ${backend.name}${backend.threads ? `, ${backend.threads} thread` : ''}${backend.simd ? `, engine kernels ${backend.simd}` : ''}; ${steps} timed ${forwardOnly ? 'forward passes' : 'training steps'} after ${warmup} warm-up`);

async function benchTfjs(name: string, profiling: boolean): Promise<{ ms: number; cpuMs: number; params: number; grew: number; bytesGrew: number; heapGrew: number | null }> {
  const { space, batch } = MODELS[name];
  const s = space();
  const model = buildModel(s, baseWidths(s), 1);
  const variables = model.trainableVariables();
  const nameOf = new Map(model.params.map((p) => [p.variable.name, p.name]));
  const optimizer = new Optimizer({ name: 'sgd', momentum: 0.9, weightDecay: 5e-4 }, model.params.map((p) => ({ name: p.name, variable: p.variable, decay: p.role === 'kernel' })));
  const x = tf.randomNormal([batch, ...s.input], 0, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % s.classes), 'int32');
  const step = forwardOnly
    ? () => tf.tidy(() => { model.apply(x, true).dataSync(); })
    : () => optimizeOnBatch(model, x, y, variables, nameOf, optimizer, 0.01);
  try {
    for (let i = 0; i < warmup; i++) step();
    const before = tf.memory().numTensors;
    const bytesBefore = tf.memory().numBytes;
    const heapBefore = wasmHeapBytes();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < steps; i++) step();
    const ms = (performance.now() - t0) / steps;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
    const grew = tf.memory().numTensors - before;
    const bytesGrew = tf.memory().numBytes - bytesBefore;
    const heapAfter = wasmHeapBytes();
    const heapGrew = heapBefore === null || heapAfter === null ? null : heapAfter - heapBefore;
    if (profiling) {
      // Averaged over several steps: one step's kernel times swing with the machine's load.
      const profiled = Math.max(3, Math.min(steps, 5));
      // Kernel times in CPU time of the process: tfjs times a kernel with util.now(), that is the
      // platform's clock, which is swapped for the duration of the profile.
      const platform = tf.env().platform as { now(): number };
      const wallNow = platform.now;
      platform.now = () => {
        const c = process.cpuUsage();
        return (c.user + c.system) / 1000;
      };
      let p: Awaited<ReturnType<typeof tf.profile>>;
      try {
        p = await tf.profile(() => { for (let i = 0; i < profiled; i++) step(); });
      } finally {
        platform.now = wallNow;
      }
      const byKernel = new Map<string, number>();
      for (const k of p.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number) / profiled);
      printProfile(name, [...byKernel].sort((a, b) => b[1] - a[1]));
    }
    return { ms, cpuMs, params: model.countTrainableParams(), grew, bytesGrew, heapGrew };
  } finally {
    model.dispose();
    optimizer.dispose();
    x.dispose();
    y.dispose();
  }
}

/** The wasm module's linear memory (it only grows), or null on other backends. */
function wasmHeapBytes(): number | null {
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8;
  return heap ? heap.length : null;
}
function printProfile(name: string, rows: [string, number][]) {
  const total = rows.reduce((a, [, t]) => a + t, 0);
  log(`  ${name}: kernel CPU time per step ${total.toFixed(1)} ms (mean of the profiled steps)`);
  for (const [k, t] of rows.slice(0, 14)) log(`    ${k.padEnd(26)} ${t.toFixed(1).padStart(7)}  (${((100 * t) / total).toFixed(0)} %)`);
}

function benchTorch(announce: boolean): Map<string, { ms: number; cpuMs: number }> {
  const script = fileURLToPath(new URL('./bench-engine-torch.py', import.meta.url));
  const run = spawnSync('/usr/bin/python3', [script, '--steps', String(steps), '--warmup', String(warmup), '--models', names.join(','), ...(forwardOnly ? ['--forward-only'] : [])], { encoding: 'utf8' });
  if (run.status !== 0) {
    log(`PyTorch side unavailable (${(run.stderr || run.error?.message || '').trim().split('\n').pop()}); install it with: apt-get install python3-torch`);
    return new Map();
  }
  const out = JSON.parse(run.stdout) as { torch: string; threads: number; rows: { model: string; msPerStep: number; cpuMsPerStep: number }[] };
  if (announce) log(`PyTorch ${out.torch}, ${out.threads} thread`);
  return new Map(out.rows.map((r) => [r.model, { ms: r.msPerStep, cpuMs: r.cpuMsPerStep }]));
}

// Rounds alternate the two engines so that a noisy neighbour on a shared machine hits both; each
// figure is the median over rounds. With --builds, each round also runs every listed build of the
// engine's SIMD kernels in turn (`none`: the XNNPACK formulations and JavaScript loops), a
// same-process A/B.
const rounds = Number(option('rounds', '3'));
const builds = option('builds', 'auto').split(',') as SimdPreference[];
const variants = names.flatMap((n) => builds.map((b) => ({ name: n, build: b, key: builds.length > 1 ? `${n} [${b}]` : n })));
const tfjsTimes = new Map<string, number[]>(variants.map((v) => [v.key, []]));
const torchTimes = new Map<string, number[]>(names.map((n) => [n, []]));
const tfjsCpu = new Map<string, number[]>(variants.map((v) => [v.key, []]));
const torchCpu = new Map<string, number[]>(names.map((n) => [n, []]));
const info = new Map<string, { params: number; grew: number; bytesGrew: number; heapGrew: number | null }>();
const profiling = flag('profile');
for (let round = 1; round <= rounds; round++) {
  for (const { name, build, key } of variants) {
    preferSimdBuild(build);
    if (profiling && round === 1 && builds.length > 1) log(`  build ${build}:`);
    const r = await benchTfjs(name, profiling && round === 1);
    tfjsTimes.get(key)!.push(r.ms);
    tfjsCpu.get(key)!.push(r.cpuMs);
    const seen = info.get(key);
    info.set(key, { params: r.params, grew: Math.max(seen?.grew ?? 0, r.grew), bytesGrew: Math.max(seen?.bytesGrew ?? 0, r.bytesGrew), heapGrew: r.heapGrew === null ? null : Math.max(seen?.heapGrew ?? 0, r.heapGrew) });
  }
  preferSimdBuild('auto');
  const torch = flag('no-torch') ? new Map<string, { ms: number; cpuMs: number }>() : benchTorch(round === 1);
  for (const [name, t] of torch) {
    torchTimes.get(name)?.push(t.ms);
    torchCpu.get(name)?.push(t.cpuMs);
  }
  log(`round ${round}/${rounds} (wall; CPU): ${variants.map(({ name, key }) => `${key} ${tfjsTimes.get(key)!.at(-1)!.toFixed(1)}${torch.has(name) ? ` / ${torch.get(name)!.ms.toFixed(1)}` : ''} ms; ${tfjsCpu.get(key)!.at(-1)!.toFixed(1)}${torch.has(name) ? ` / ${torch.get(name)!.cpuMs.toFixed(1)}` : ''} ms`).join(', ')}`);
}
const rows: (Row & { build: string })[] = variants.map(({ name, build, key }) => {
  const tfjsMs = median(tfjsTimes.get(key)!);
  // No PyTorch rounds (python3-torch missing): no figure, printed as '-' and null in JSON.
  const torchMs = torchTimes.get(name)!.length ? median(torchTimes.get(name)!) : null;
  const tfjsCpuMs = median(tfjsCpu.get(key)!);
  const torchCpuMs = torchCpu.get(name)!.length ? median(torchCpu.get(name)!) : null;
  const i = info.get(key)!;
  return { model: key, build, batch: MODELS[name].batch, params: i.params, tfjsMsPerStep: tfjsMs, torchMsPerStep: torchMs, ratio: torchMs ? tfjsMs / torchMs : null,
    tfjsCpuMsPerStep: tfjsCpuMs, torchCpuMsPerStep: torchCpuMs, cpuRatio: torchCpuMs ? tfjsCpuMs / torchCpuMs : null, tensorsGrew: i.grew, bytesGrew: i.bytesGrew, wasmHeapGrew: i.heapGrew };
});
if (json) {
  console.log(JSON.stringify(rows.map((r) => ({ ...r, backend: backend.name, simd: r.build === 'auto' ? backend.simd ?? null : r.build, rounds, steps, forwardOnly })), null, 2));
} else {
  const width = Math.max(16, ...rows.map((r) => r.model.length));
  log(`${'model'.padEnd(width)} ${'batch'.padStart(5)} ${'params'.padStart(8)} ${`tfjs-${backend.name} ms`.padStart(13)} ${'torch ms'.padStart(9)} ${'ratio'.padStart(6)} ${'tfjs CPU ms'.padStart(12)} ${'torch CPU ms'.padStart(12)} ${'CPU ratio'.padStart(9)}  growth over the timed steps (tensors, tensor bytes, wasm heap bytes)`);
  for (const r of rows) {
    log(`${r.model.padEnd(width)} ${String(r.batch).padStart(5)} ${String(r.params).padStart(8)} ${r.tfjsMsPerStep.toFixed(1).padStart(13)} ${(r.torchMsPerStep?.toFixed(1) ?? '-').padStart(9)} ${(r.ratio?.toFixed(2) ?? '-').padStart(6)} ${r.tfjsCpuMsPerStep.toFixed(1).padStart(12)} ${(r.torchCpuMsPerStep?.toFixed(1) ?? '-').padStart(12)} ${(r.cpuRatio?.toFixed(2) ?? '-').padStart(9)}  ${r.tensorsGrew}, ${r.bytesGrew}, ${r.wasmHeapGrew ?? '-'}`);
  }
}
