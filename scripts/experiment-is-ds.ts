/**
 * IS / DS experiment: one family trained at several widths of one layer (or stage), several seeds,
 * on Fashion-MNIST, long enough to reach the saturation stage. Records the normalised weight-norm
 * variance per layer, labels every run from the whole series and from its first few epochs, and
 * writes results/experiments/is-ds.md with the figures.
 *
 *   npx tsx scripts/experiment-is-ds.ts [--quick] [--workers 2]
 *
 * Families:
 *  - mlp: 784-w-10, w in 8..1024 (one hidden layer, the one whose width varies)
 *  - cnn: cnn-mnist with conv2 in 4..128, the other widths at base
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerTelemetry, TrialResult } from '../src/trial/result.js';
import type { TrialTask } from '../src/trial/task.js';
import { svgToPng, panelsSvg, PALETTE, type Panel } from '../src/report/svg-plot.js';
import { PoolEvaluator } from '../src/runtime/pool-evaluator.js';
import { baseWidths, loadSpace, parseSpace, type SearchSpace } from '../src/space/index.js';
import { defaultRecipe } from '../src/core/recipe.js';
import { classifyPrefix, classifySeries } from '../src/variance/index.js';
import { numberArg, scriptArgs } from './lib/args.js';

const args = scriptArgs({
  quick: { type: 'boolean', default: false }, 'render-only': { type: 'boolean', default: false }, workers: { type: 'string', default: '2' },
}, 'npx tsx scripts/experiment-is-ds.ts [--quick] [--render-only] [--workers 2]');
const quick = args.quick;
const renderOnly = args['render-only'];
const workers = numberArg(args.workers, 'workers');
const outDir = 'results/experiments';
const figDir = join(outDir, 'is-ds');
mkdirSync(figDir, { recursive: true });

const mlpSpace: SearchSpace = parseSpace(JSON.stringify({
  name: 'mlp1-fashion', input: [28, 28, 1], classes: 10, dataset: 'fashion-mnist',
  groups: [{ name: 'hidden', base: 128, min: 8, max: 1024, step: 8 }],
  layers: [{ type: 'flatten' }, { type: 'dense', name: 'hidden', group: 'hidden', activation: 'relu' }, { type: 'dense', name: 'out' }],
}), 'mlp1-fashion (inline)');
const cnnSpace = loadSpace('cnn-mnist');

interface Family {
  name: string;
  space: SearchSpace;
  /** The layer whose width varies. */
  layer: string;
  widths: number[];
  vector: (w: number) => number[];
  epochs: number;
  maxTrain: number;
  prefixEpochs: number;
}

const families: Family[] = [
  {
    name: 'mlp', space: mlpSpace, layer: 'hidden', widths: quick ? [8, 64, 512] : [8, 16, 32, 64, 128, 256, 512, 1024],
    vector: (w) => [w], epochs: quick ? 4 : 20, maxTrain: quick ? 2000 : 10000, prefixEpochs: 4,
  },
  {
    name: 'cnn', space: cnnSpace, layer: 'conv2', widths: quick ? [4, 32] : [4, 8, 16, 32, 64],
    vector: (w) => { const b = baseWidths(cnnSpace); b[1] = w; return b; }, epochs: quick ? 3 : 8, maxTrain: quick ? 1000 : 4000, prefixEpochs: 3,
  },
];
const seeds = quick ? [0] : [0, 1];
const batchSize = 128;

const tasks: { family: Family; width: number; seed: number; task: TrialTask }[] = [];
for (const family of families) {
  const stepsPerEpoch = Math.ceil(family.maxTrain / batchSize);
  for (const width of family.widths) for (const seed of seeds) {
    tasks.push({
      family, width, seed,
      task: {
        trialId: tasks.length, space: family.space, widths: family.vector(width), seed, backend: 'wasm',
        data: { name: 'fashion-mnist', seed, maxTrain: family.maxTrain, validationFraction: 0.1 },
        recipe: defaultRecipe({ epochs: family.epochs, batchSize, seed }),
        recordEvery: Math.max(1, Math.floor(stepsPerEpoch / 2)),
      },
    });
  }
}

interface Row {
  family: string; width: number; seed: number; testAccuracy: number; label: string; prefixLabel: string;
  peakEpoch: number | null; dropRatio: number; reason: string; prefixReason: string; series: [number, number][];
}
let rows: Row[];
let backend: string | undefined;
let minutes: number;
if (renderOnly) {
  // Figures and report again from the recorded runs, without training.
  ({ rows, backend, minutes } = JSON.parse(readFileSync(join(figDir, 'runs.json'), 'utf8')));
} else {
  // Widest first so the two workers finish together.
  const order = [...tasks].sort((a, b) => b.width * (b.family.name === 'cnn' ? 8 : 1) - a.width * (a.family.name === 'cnn' ? 8 : 1));
  const pool = new PoolEvaluator({ workers });
  const started = performance.now();
  let done = 0;
  const results = new Map<number, TrialResult>();
  await Promise.all(order.map(async ({ task, family, width, seed }) => {
    const r = await pool.evaluate(task);
    results.set(task.trialId, r);
    done++;
    console.error(`[${done}/${tasks.length}] ${family.name} ${family.layer}=${width} seed ${seed}: ${r.status}${r.reason ? ` (${r.reason})` : ''} test acc ${r.metrics?.testAccuracy.toFixed(4) ?? '-'}  ${r.seconds.toFixed(0)} s  (elapsed ${((performance.now() - started) / 60000).toFixed(1)} min)`);
  }));
  await pool.close();
  rows = [];
  for (const { family, width, seed, task } of tasks) {
    const r = results.get(task.trialId)!;
    if (r.status !== 'ok') {
      rows.push({ family: family.name, width, seed, testAccuracy: NaN, label: 'failed', prefixLabel: 'failed', peakEpoch: null, dropRatio: NaN, reason: r.reason ?? '', prefixReason: '', series: [] });
      continue;
    }
    const t = r.telemetry!.find((l: LayerTelemetry) => l.layer === family.layer)!;
    rows.push({
      family: family.name, width, seed, testAccuracy: r.metrics!.testAccuracy, label: '', prefixLabel: '',
      peakEpoch: null, dropRatio: NaN, reason: '', prefixReason: '', series: t.outgoing.map((p) => [p.epoch, p.variance]),
    });
  }
  backend = results.get(0)?.backend;
  minutes = (performance.now() - started) / 60000;
}
// Labels are computed here, from the recorded series, so a re-render uses the current classifier.
for (const row of rows) {
  if (row.label === 'failed') continue;
  const family = families.find((f) => f.name === row.family)!;
  const values = row.series.map(([, v]) => v);
  const full = classifySeries(values);
  const prefix = classifyPrefix(values, row.series.filter(([e]) => e <= family.prefixEpochs).length);
  Object.assign(row, {
    label: full.label, prefixLabel: prefix.label, reason: full.reason, prefixReason: prefix.reason, dropRatio: full.evidence.dropRatio,
    peakEpoch: full.evidence.peakIndex >= 0 ? row.series[full.evidence.peakIndex][0] : null,
  });
}
writeFileSync(join(figDir, 'runs.json'), JSON.stringify({ rows, backend, minutes }, null, 2));

const md: string[] = [];
md.push('# IS / DS on Fashion-MNIST: does the weight-norm variance tell narrow layers from wide ones?', '');
md.push(`Run by \`npx tsx scripts/experiment-is-ds.ts${quick ? ' --quick' : ''}\`, backend ${backend}, ${workers} workers, ${minutes.toFixed(0)} minutes of training.`);
md.push('Recipe: SGD momentum 0.9, lr 0.05 cosine to 0, weight decay 5e-4 on kernels, batch 128; telemetry twice per epoch;');
md.push('the series is the normalised sample variance of the outgoing-weight norms of the layer whose width varies.');
md.push('Labels use the default classifier thresholds (src/variance/classify.ts) on the whole run and on the first few epochs.', '');
for (const family of families) {
  const fr = rows.filter((r) => r.family === family.name);
  md.push(`## ${family.name}: ${family.layer} from ${family.widths[0]} to ${family.widths[family.widths.length - 1]}`, '');
  md.push(`${family.epochs} epochs on ${family.maxTrain} training images (seeds ${seeds.join(', ')}); prefix = first ${family.prefixEpochs} epochs.`, '');
  md.push('| width | seed | test acc | label (whole run) | label (prefix) | peak epoch | drop ratio |', '|---:|---:|---:|---|---|---:|---:|');
  for (const r of fr) md.push(`| ${r.width} | ${r.seed} | ${Number.isNaN(r.testAccuracy) ? '-' : r.testAccuracy.toFixed(4)} | ${r.label} | ${r.prefixLabel} | ${r.peakEpoch === null ? '-' : r.peakEpoch.toFixed(1)} | ${Number.isFinite(r.dropRatio) ? r.dropRatio.toFixed(3) : '-'} |`);
  const agree = fr.filter((r) => r.label !== 'failed' && r.label === r.prefixLabel).length;
  md.push('', `Prefix and whole-run labels agree on ${agree} of ${fr.length} runs.`, '');
  const panels: Panel[] = family.widths.map((w) => ({
    title: `${family.layer} = ${w}`,
    series: fr.filter((r) => r.width === w).map((r, i) => ({ label: `seed ${r.seed}: ${r.label === 'undetermined' ? '?' : r.label}`, points: r.series, color: PALETTE[i] })),
    xLabel: 'epoch', yLabel: 'variance / mean²',
  }));
  const svg = panelsSvg(`${family.name}: normalised variance of ${family.layer}'s channel norms, by width`, panels, { columns: 4 });
  writeFileSync(join(figDir, `${family.name}.svg`), svg);
  const png = await svgToPng(svg);
  if (png) writeFileSync(join(figDir, `${family.name}.png`), png);
  md.push(`![${family.name} curves](is-ds/${family.name}.png)`, '');
}
md.push('## Reading', '', '(Written after looking at the figures; see below.)', '');
writeFileSync(join(outDir, 'is-ds.md'), md.join('\n'));
console.error(`wrote ${join(outDir, 'is-ds.md')}`);
