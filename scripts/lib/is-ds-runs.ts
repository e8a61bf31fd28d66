/**
 * The trainings behind the IS/DS labels (scripts/experiment-is-ds.ts): a noise set on the bundled
 * MNIST digits (seed-to-seed spread of the variance series, which sets the label thresholds) and
 * the contrasts reported on Fashion-MNIST (never used to set anything). Each training is cached
 * by its settings in results/experiments/is-ds/runs/, holding only what the labels read: every
 * group's normalised variance series under every norm kind, so a rerun only trains what is missing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRecipe } from '../../src/core/recipe.js';
import type { TrialTask } from '../../src/trial/task.js';
import type { TrialResult } from '../../src/trial/result.js';
import { loadSpace, parseSpace } from '../../src/space/index.js';
import type { SearchSpace } from '../../src/space/types.js';
import { NORM_KIND_NAMES, varianceSeries, type NormKind } from '../../src/variance/index.js';

export const RUNS_DIR = 'results/experiments/is-ds/runs';

/** One training's settings; `key` names its cache file. */
export interface RunSpec {
  set: 'noise' | 'contrast';
  /** A name for the network, shared by its seeds. */
  network: string;
  space: string;
  widths: number[];
  dataset: 'mnist' | 'fashion-mnist';
  epochs: number;
  maxTrain: number;
  batchSize: number;
  recordEvery: number;
  seed: number;
}

export interface GroupSeries {
  group: string;
  width: number;
  /** Per norm kind, the series as `varianceSeries` reads it (absent where the kind is undefined). */
  series: Partial<Record<NormKind, { epochs: number[]; variance: number[] }>>;
}

export interface RunRecord {
  spec: RunSpec;
  backend: string;
  seconds: number;
  testAccuracy: number;
  groups: GroupSeries[];
}

export const runKey = (s: RunSpec) => `${s.set}-${s.network}-${s.dataset}-e${s.epochs}-n${s.maxTrain}-b${s.batchSize}-r${s.recordEvery}-s${s.seed}`;

/** Noise networks: MNIST digits, the search's proxy settings (3000 images, batch 64, a record every 6 steps). */
const NOISE_LENGTHS = [1, 3, 5, 10, 20];
const NOISE_SEEDS = [0, 1, 2, 3];
const NOISE_NETWORKS: { network: string; space: string; widths: number[] }[] = [
  { network: 'mlp-128-64', space: 'mlp-mnist', widths: [128, 64] },
  { network: 'mlp-32-256', space: 'mlp-mnist', widths: [32, 256] },
  { network: 'cnn-base', space: 'cnn-mnist', widths: [16, 32, 64, 64] },
];

/** Fashion-MNIST contrasts: the paper's narrow-against-wide readings on data nothing was set on. */
const CONTRAST_SEEDS = [0, 1, 2];
// Sizes are modest for a shared 2-core machine: subsets of the 60,000 training images.
const CONTRASTS: { network: string; space: string; widths: number[]; epochs: number; maxTrain: number }[] = [
  { network: 'mlp-1024-16', space: 'mlp-mnist', widths: [1024, 16], epochs: 20, maxTrain: 12000 },
  { network: 'cnn-narrow', space: 'cnn-mnist', widths: [4, 8, 16, 16], epochs: 8, maxTrain: 4000 },
  { network: 'cnn-wide', space: 'cnn-mnist', widths: [16, 32, 64, 64], epochs: 8, maxTrain: 4000 },
  // The same contrast across networks, as the paper draws it: one hidden layer, narrow or wide.
  { network: 'mlp1-16', space: 'mlp1', widths: [16], epochs: 20, maxTrain: 6000 },
  { network: 'mlp1-1024', space: 'mlp1', widths: [1024], epochs: 20, maxTrain: 6000 },
  { network: 'mlp1-8', space: 'mlp1', widths: [8], epochs: 20, maxTrain: 6000 },
  // Longer: the saturation stage, where the paper's narrow layers fall, may need more epochs.
  { network: 'cnn-narrow-30', space: 'cnn-mnist', widths: [4, 8, 16, 16], epochs: 30, maxTrain: 4000 },
  { network: 'cnn-wide-30', space: 'cnn-mnist', widths: [16, 32, 64, 64], epochs: 30, maxTrain: 4000 },
];

/** Spaces defined here rather than shipped: 784-w-10 with one hidden layer. */
const INLINE_SPACES: Record<string, string> = {
  mlp1: JSON.stringify({
    name: 'mlp1', input: [28, 28, 1], classes: 10, dataset: 'fashion-mnist',
    groups: [{ name: 'hidden', base: 128, min: 8, max: 1024, step: 8 }],
    layers: [{ type: 'flatten' }, { type: 'dense', name: 'hidden', group: 'hidden', activation: 'relu' }, { type: 'dense', name: 'out' }],
  }),
};

export const spaceOf = (name: string): SearchSpace => (INLINE_SPACES[name] ? parseSpace(INLINE_SPACES[name], `${name} (scripts/lib/is-ds-runs.ts)`) : loadSpace(name));

export function allSpecs(): RunSpec[] {
  const specs: RunSpec[] = [];
  for (const c of CONTRASTS) for (const seed of CONTRAST_SEEDS) {
    // About four records an epoch: 90% of maxTrain is trained on, in batches of 128.
    const steps = Math.ceil((c.maxTrain * 0.9) / 128);
    specs.push({ set: 'contrast', network: c.network, space: c.space, widths: c.widths, dataset: 'fashion-mnist', epochs: c.epochs, maxTrain: c.maxTrain, batchSize: 128, recordEvery: Math.max(1, Math.floor(steps / 4)), seed });
  }
  for (const n of NOISE_NETWORKS) for (const epochs of NOISE_LENGTHS) for (const seed of NOISE_SEEDS) {
    // The conv net is slow on a shared 2-core machine: 3 seeds at 10 epochs, none at 20 (the MLPs
    // alone set the 20-epoch noise; gamma, which only the conv net has, stops at 10).
    if (n.space === 'cnn-mnist' && (epochs > 10 || (epochs === 10 && seed > 2))) continue;
    specs.push({ set: 'noise', ...n, dataset: 'mnist', epochs, maxTrain: 3000, batchSize: 64, recordEvery: 6, seed });
  }
  return specs;
}

export function taskOf(spec: RunSpec, trialId: number): TrialTask {
  const space = spaceOf(spec.space);
  return {
    trialId, space, widths: spec.widths, seed: spec.seed, backend: 'wasm',
    data: { name: spec.dataset, seed: spec.seed, maxTrain: spec.maxTrain, validationFraction: 0.1 },
    recipe: defaultRecipe({ epochs: spec.epochs, batchSize: spec.batchSize, seed: spec.seed }),
    recordEvery: spec.recordEvery,
  };
}

/** What the labels read from a finished training. */
export function recordOf(spec: RunSpec, r: TrialResult): RunRecord {
  if (r.status !== 'ok' || !r.groupTelemetry) throw new Error(`${runKey(spec)}: ${r.status} ${r.reason ?? 'without group telemetry'}`);
  return {
    spec, backend: r.backend ?? '?', seconds: r.seconds, testAccuracy: r.metrics!.testAccuracy,
    groups: r.groupTelemetry.map((g) => ({
      group: g.group, width: g.width,
      series: Object.fromEntries(NORM_KIND_NAMES.map((k) => [k, varianceSeries(g, k)] as const).filter(([, s]) => s.variance.length > 0)),
    })),
  };
}

export function readRun(spec: RunSpec): RunRecord | undefined {
  const file = join(RUNS_DIR, `${runKey(spec)}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunRecord) : undefined;
}

export function writeRun(rec: RunRecord): void {
  mkdirSync(RUNS_DIR, { recursive: true });
  // Four significant digits are far finer than the seed spread the labels compare against.
  writeFileSync(join(RUNS_DIR, `${runKey(rec.spec)}.json`), JSON.stringify(rec, (_k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v)));
}
