/**
 * Ground truth for the width signal: for each base vector of scripts/lib/ground-truth-set.ts and
 * each group, the test-accuracy change from widening that group alone (about x1.5) and from
 * narrowing it (about x0.67), on Fashion-MNIST, over several seeds. Writes
 * results/experiments/ground-truth.md and ground-truth/ground-truth.json (the measured gains);
 * every training is cached under ground-truth/cache/, so a rerun only trains what is missing.
 *
 *   npx tsx scripts/experiment-ground-truth.ts [--workers 2] [--seeds 0,1,2] [--render-only]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrialResult } from '../src/trial/result.js';
import type { TrialTask } from '../src/trial/task.js';
import { PoolEvaluator } from '../src/runtime/pool-evaluator.js';
import { PALETTE, panelsSvg, svgToPng, type Panel } from '../src/report/svg-plot.js';
import { spaceCost } from '../src/cost/cost.js';
import { BASE_VECTORS, GROUND_TRUTH_SEEDS, GROUND_TRUTH_TRAINING, SPACES, groundTruthJobs, groundTruthTask } from './lib/ground-truth-set.js';
import { recipeText } from './lib/recipe-text.js';
import { median } from '../src/core/stats.js';
import { TrialCache } from './lib/trial-cache.js';
import { numberArg, scriptArgs } from './lib/args.js';
import { measuredGains, TOO_NARROW_GAIN, type GroupTruth } from './lib/ground-truth-analysis.js';

const args = scriptArgs({
  workers: { type: 'string', default: '2' },
  seeds: { type: 'string', default: GROUND_TRUTH_SEEDS.join(',') },
  'render-only': { type: 'boolean', default: false },
}, 'npx tsx scripts/experiment-ground-truth.ts [--workers 2] [--seeds 0,1,2] [--render-only]');
const workers = numberArg(args.workers, 'workers');
const seeds = args.seeds.split(',').map((s, i) => numberArg(s, `seeds (entry ${i + 1})`));
const renderOnly = args['render-only'];
const outDir = 'results/experiments';
const dataDir = join(outDir, 'ground-truth');
mkdirSync(dataDir, { recursive: true });
// Accuracy is all the ground truth reads.
const cache = new TrialCache(join(dataDir, 'cache'), ['telemetry', 'groupTelemetry']);

// Seed-major order, so a run cut short still covers the whole set.
const jobs = groundTruthJobs(seeds);
const describe = (t: TrialTask) => {
  const j = jobs[t.trialId];
  return `${j.vector.id} ${j.widths.join(',')} seed ${j.seed}`;
};

let results: (TrialResult | undefined)[];
if (renderOnly) {
  results = jobs.map((j) => cache.get(j.task));
} else {
  const pool = new PoolEvaluator({ workers });
  results = await cache.runAll(pool, jobs.map((j) => j.task), describe);
  await pool.close();
}

const runs = jobs.flatMap((j, i) => {
  const r = results[i];
  return r?.metrics ? [{ vector: j.vector.id, widths: j.widths, variant: j.variant, seed: j.seed, testAccuracy: r.metrics.testAccuracy, validationAccuracy: r.metrics.validationAccuracy, seconds: r.seconds, epochTrainLoss: r.history?.map((h) => h.trainLoss) ?? [] }] : [];
});
const truth: GroupTruth[] = measuredGains(runs);
writeFileSync(join(dataDir, 'ground-truth.json'), JSON.stringify({ training: GROUND_TRUTH_TRAINING, seeds, vectors: BASE_VECTORS, truth, runs }, null, 1));

const pts = (x: number) => (x >= 0 ? '+' : '') + (x * 100).toFixed(2);
const md: string[] = [];
md.push('# Ground truth: which groups are really too narrow?', '');
md.push(`Run by \`npx tsx scripts/experiment-ground-truth.ts\` (${runs.length} of ${jobs.length} trainings done), backend wasm, ${workers} worker threads.`);
const t = GROUND_TRUTH_TRAINING;
md.push(`Fashion-MNIST, ${t.maxTrain} training images (one fixed subset, 10% of the training split held out for validation first), the full 10,000-image test set;`);
md.push(`Recipe (cnn): ${recipeText(groundTruthTask('cnn', [16, 32, 64, 64], 0, 0).recipe)}; (mlp) ${recipeText(groundTruthTask('mlp', [32, 256], 0, 0).recipe)} (the MLP trains erratically at the conv nets' lr). Seeds ${seeds.join(', ')} (the seed sets the initial weights and the batch order; base and variants share it, so gains are paired).`, '');
md.push('A group is widened to about x1.5 and narrowed to about x0.67 of its width, snapped to its grid, the other groups unchanged. Gains are in accuracy points (mean over seeds of the paired difference, ± the standard error).', '');
// How much of the set stands above its own noise.
const widened = truth.filter((g) => g.widenGain !== null && g.seeds >= 2);
const narrowed = truth.filter((g) => g.narrowLoss !== null && g.seeds >= 2);
if (widened.length) {
  md.push('## Signal and noise', '');
  md.push(`- Widening one group: median |gain| ${(median(widened.map((g) => Math.abs(g.widenGain!))) * 100).toFixed(2)} points, median standard error ${(median(widened.map((g) => g.widenSe!)) * 100).toFixed(2)}; ${widened.filter((g) => Math.abs(g.widenGain!) > 2 * g.widenSe!).length} of ${widened.length} gains are more than twice their standard error.`);
  md.push(`- Narrowing one group: median |loss| ${(median(narrowed.map((g) => Math.abs(g.narrowLoss!))) * 100).toFixed(2)} points, median standard error ${(median(narrowed.map((g) => g.narrowSe!)) * 100).toFixed(2)}; ${narrowed.filter((g) => Math.abs(g.narrowLoss!) > 2 * g.narrowSe!).length} of ${narrowed.length} losses are more than twice their standard error.`);
  md.push(`- Seed spread of the base networks' test accuracy (sample standard deviation): median ${(median(truth.filter((g) => g.groupIndex === 0).map((g) => g.baseSpread)) * 100).toFixed(2)} points.`);
  md.push(`- Groups labelled too narrow (widening gain at least ${(TOO_NARROW_GAIN * 100).toFixed(1)} points): ${truth.filter((g) => g.tooNarrow).length} of ${truth.filter((g) => g.tooNarrow !== null).length}.`, '');
}
for (const vector of BASE_VECTORS) {
  const space = SPACES[vector.family];
  const cost = spaceCost(space, vector.widths);
  const base = truth.find((g) => g.vector === vector.id);
  md.push(`## ${vector.id}: ${vector.widths.join(',')} (${vector.split}; ${vector.note})`, '');
  md.push(`${cost.macs.toLocaleString('en-US')} MACs, ${cost.params.toLocaleString('en-US')} params; base test accuracy ${base ? (base.baseAccuracy * 100).toFixed(2) : '-'} (spread over seeds ${base ? (base.baseSpread * 100).toFixed(2) : '-'}).`, '');
  md.push('| group | width | widened to | widening gain | narrowed to | narrowing loss | too narrow? |', '|---|---:|---:|---:|---:|---:|---|');
  for (const g of truth.filter((x) => x.vector === vector.id)) {
    md.push(`| ${g.group} | ${g.width} | ${g.widenedTo ?? '-'} | ${g.widenGain === null ? '-' : `${pts(g.widenGain)} ± ${(g.widenSe! * 100).toFixed(2)}`} | ${g.narrowedTo ?? '-'} | ${g.narrowLoss === null ? '-' : `${pts(g.narrowLoss)} ± ${(g.narrowSe! * 100).toFixed(2)}`} | ${g.tooNarrow === null ? '-' : g.tooNarrow ? 'yes' : 'no'} |`);
  }
  md.push('');
}
// One panel per base vector: mean test accuracy against the width change of each group alone.
const panels: Panel[] = BASE_VECTORS.map((vector) => ({
  title: `${vector.id} (${vector.widths.join(',')})`, xLabel: 'log2(width / base width) of one group', yLabel: 'test accuracy (mean over seeds)', yFromZero: false,
  series: SPACES[vector.family].groups.slice(0, vector.widths.length).map((group, g) => {
    const at = (pick: (r: (typeof runs)[number]) => boolean) => {
      const accs = runs.filter((r) => r.vector === vector.id && pick(r)).map((r) => r.testAccuracy);
      return accs.length ? accs.reduce((a, b) => a + b, 0) / accs.length : NaN;
    };
    const points: [number, number][] = [];
    for (const kind of ['narrow', 'base', 'widen'] as const) {
      const pick = (r: (typeof runs)[number]) => (kind === 'base' ? r.variant.kind === 'base' : r.variant.kind === kind && r.variant.group === g);
      const one = runs.find((r) => r.vector === vector.id && pick(r));
      if (one) points.push([Math.log2(one.widths[g] / vector.widths[g]), at(pick)]);
    }
    return { label: group.name, color: PALETTE[g], points };
  }),
}));
const svg = panelsSvg('Ground truth: test accuracy when one group is narrowed or widened alone', panels, { columns: 4, panelWidth: 320, panelHeight: 230 });
writeFileSync(join(dataDir, 'gains.svg'), svg);
const png = await svgToPng(svg);
if (png) writeFileSync(join(dataDir, 'gains.png'), png);
md.push('![accuracy against one group\'s width](ground-truth/gains.png)', '');
// The reading is written by hand after looking at the numbers, and kept across re-renders.
const readingFile = join(outDir, 'ground-truth', 'reading.md');
if (existsSync(readingFile)) md.push(readFileSync(readingFile, 'utf8'));
writeFileSync(join(outDir, 'ground-truth.md'), md.join('\n'));
process.stderr.write(`wrote ${join(outDir, 'ground-truth.md')}\n`);
