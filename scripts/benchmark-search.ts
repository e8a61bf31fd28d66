/**
 * The search benchmark: does streamline beat uniform width scaling and random search at the same
 * budget and the same number of proxy trainings? For each start (the balanced base, the inverted
 * and the flat conv networks) at a fraction of its MACs, on Fashion-MNIST:
 *   uniform scaling (no search), streamline, random and evolution with N proxy trainings each,
 *   and random with 3N.
 * Every winner is then trained with the ground truth's recipe over 3 seeds. Searches are run
 * folders under results/benchmark-runs/ (a rerun resumes or reuses them); final trainings are cached
 * by their settings (shared with the ground truth's cache), so a rerun only adds what is missing.
 * Writes results/experiments/benchmark.md, benchmark/benchmark.json and a figure.
 *
 *   npx tsx scripts/benchmark-search.ts [--trials 8] [--budget-ratio 0.5] [--render-only]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mean, sampleStd } from '../src/core/stats.js';
import { spaceCost } from '../src/cost/cost.js';
import { SearchRun } from '../src/pipeline/search-run.js';
import { summaryFromJournal } from '../src/pipeline/summary-from-journal.js';
import { PALETTE, panelsSvg, svgToPng } from '../src/report/svg-plot.js';
import { PoolEvaluator } from '../src/runtime/pool-evaluator.js';
import { uniformScaling } from '../src/search/uniform-scaling.js';
import { readRunJournal } from '../src/pipeline/run-events.js';
import { numberArg, scriptArgs } from './lib/args.js';
import { GROUND_TRUTH_SEEDS, GROUND_TRUTH_TRAINING, SPACES, groundTruthTask } from './lib/ground-truth-set.js';
import { recipeText } from './lib/recipe-text.js';
import { TrialCache } from './lib/trial-cache.js';

const args = scriptArgs({
  trials: { type: 'string', default: '8' },
  'budget-ratio': { type: 'string', default: '0.5' },
  'render-only': { type: 'boolean', default: false },
}, 'npx tsx scripts/benchmark-search.ts [--trials 8] [--budget-ratio 0.5] [--render-only]');
const trials = numberArg(args.trials, 'trials');
const ratio = numberArg(args['budget-ratio'], 'budget-ratio');
const renderOnly = args['render-only'];
const outDir = 'results/experiments';
const dataDir = join(outDir, 'benchmark');
const runsDir = 'results/benchmark-runs';
mkdirSync(dataDir, { recursive: true });

const STARTS = [
  { id: 'balanced', space: 'cnn-mnist', widths: [16, 32, 64, 64] },
  { id: 'inverted', space: 'cnn-mnist-inverted', widths: [64, 32, 16, 16] },
  { id: 'flat', space: 'cnn-mnist-flat', widths: [32, 32, 32, 32] },
];
const SEARCHES = [
  { id: 'streamline', sampler: 'streamline' as const, trials },
  { id: 'random', sampler: 'random' as const, trials },
  { id: 'evolution', sampler: 'evolution' as const, trials },
  { id: `random x3`, sampler: 'random' as const, trials: 3 * trials },
];
const cnn = SPACES.cnn;

interface Row { start: string; method: string; widths: number[]; proxyTrainings: number; macs: number; params: number }
const rows: Row[] = [];
for (const start of STARTS) {
  const budget = { macs: Math.floor(spaceCost(cnn, start.widths).macs * ratio) };
  const uniform = uniformScaling(cnn, start.widths, budget)!;
  const cost = (w: number[]) => spaceCost(cnn, w);
  rows.push({ start: start.id, method: 'uniform scaling', widths: uniform.widths, proxyTrainings: 0, ...cost(uniform.widths) });
  for (const s of SEARCHES) {
    const dir = join(runsDir, `${start.id}-${ratio}-${s.id.replace(/ /g, '')}-${s.trials}`);
    const options = {
      space: start.space, dataset: 'fashion-mnist', sampler: s.sampler, trials: s.trials, workers: 2, proxyEpochs: 3, proxyMaxTrain: 3000,
      budgetMacs: budget.macs, seed: 0, batchSize: 64, backend: 'wasm',
    };
    const journal = join(dir, 'journal.jsonl');
    let summary;
    if (renderOnly) {
      if (!existsSync(journal)) continue;
      summary = summaryFromJournal(readRunJournal(journal).events, dir);
    } else {
      // A run folder that exists is resumed: its finished trials are kept, only what is left runs.
      const run = existsSync(journal) ? SearchRun.open({ resume: dir, studyOnly: true }) : SearchRun.open({ out: dir, studyOnly: true, options });
      const outcome = await run.execute({ onTrialDone: (p) => process.stderr.write(`${start.id} ${s.id}: ${p.done}/${p.total} ${p.last.widths.join(',')} ${p.last.metrics?.validationAccuracy.toFixed(4) ?? p.last.status}\n`) });
      summary = outcome.summary;
    }
    const ok = summary.history.filter((t) => t.status === 'ok' && t.validationAccuracy !== undefined);
    if (!ok.length) continue;
    const best = ok.reduce((a, b) => ((b.validationAccuracy ?? 0) > (a.validationAccuracy ?? 0) ? b : a));
    rows.push({ start: start.id, method: `${s.id} (${s.trials})`, widths: best.widths, proxyTrainings: summary.trials, ...cost(best.widths) });
  }
}

// Final trainings: the ground truth's recipe and cache, so a network it trained is not trained again.
const cache = new TrialCache(join(outDir, 'ground-truth', 'cache'), ['telemetry', 'groupTelemetry']);
const keys = [...new Set(rows.map((r) => r.widths.join(',')))];
const tasks = keys.flatMap((k) => GROUND_TRUTH_SEEDS.map((seed) => groundTruthTask('cnn', k.split(',').map(Number), seed, 0)));
tasks.forEach((t, i) => (t.trialId = i));
let results;
if (renderOnly) results = tasks.map((t) => cache.get(t));
else {
  const pool = new PoolEvaluator({ workers: 2 });
  results = await cache.runAll(pool, tasks, (t) => `final ${t.widths.join(',')} seed ${t.seed}`);
  await pool.close();
}
const accOf = (widths: number[]) => tasks.map((t, i) => ({ t, r: results[i] })).filter(({ t, r }) => t.widths.join(',') === widths.join(',') && r?.metrics).map(({ r }) => r!.metrics!.testAccuracy);

const table = rows.map((r) => ({ ...r, accs: accOf(r.widths) }));
writeFileSync(join(dataDir, 'benchmark.json'), JSON.stringify({ trials, ratio, training: GROUND_TRUTH_TRAINING, seeds: GROUND_TRUTH_SEEDS, rows: table }, null, 1));
const pct = (xs: number[]) => (xs.length ? `${(mean(xs) * 100).toFixed(2)} ± ${(sampleStd(xs) * 100).toFixed(2)}` : '-');
const md: string[] = ['# Search benchmark: streamline against uniform scaling and random search', ''];
md.push(`Run by \`npx tsx scripts/benchmark-search.ts --trials ${trials} --budget-ratio ${ratio}\`. Fashion-MNIST. Budget: ${ratio} x each start's MACs. Searches: proxy trainings of 3 epochs on 3,000 images (the search's defaults), 2 workers, study seed 0, the default signal; the winner is the best proxy validation accuracy.`);
md.push(`Every network is then trained with the ground truth's recipe (${recipeText(tasks[0].recipe)}, ${GROUND_TRUTH_TRAINING.maxTrain} images), seeds ${GROUND_TRUTH_SEEDS.join(', ')}; test accuracy is mean ± sample standard deviation over the seeds, in points.`, '');
for (const start of STARTS) {
  md.push(`## ${start.id} start ${start.widths.join(',')} (${spaceCost(cnn, start.widths).macs.toLocaleString('en-US')} MACs; budget ${Math.floor(spaceCost(cnn, start.widths).macs * ratio).toLocaleString('en-US')})`, '');
  md.push('| method | widths | MACs | params | proxy trainings | test accuracy |', '|---|---|---:|---:|---:|---:|');
  for (const r of table.filter((x) => x.start === start.id)) md.push(`| ${r.method} | ${r.widths.join(',')} | ${r.macs.toLocaleString('en-US')} | ${r.params.toLocaleString('en-US')} | ${r.proxyTrainings} | ${pct(r.accs)} |`);
  md.push('');
}
const svg = panelsSvg('Test accuracy against MACs (mean over seeds)', STARTS.map((start) => ({
  title: `${start.id} start`, xLabel: 'MACs', yLabel: 'test accuracy', yFromZero: false,
  series: table.filter((r) => r.start === start.id && r.accs.length).map((r, i) => ({ label: r.method, scatter: true, color: PALETTE[i % PALETTE.length], points: [[r.macs, mean(r.accs)] as [number, number]] })),
})), { columns: 3, panelWidth: 360, panelHeight: 260 });
writeFileSync(join(dataDir, 'accuracy-macs.svg'), svg);
const png = await svgToPng(svg);
if (png) writeFileSync(join(dataDir, 'accuracy-macs.png'), png);
md.push('![accuracy against MACs](benchmark/accuracy-macs.png)', '');
const reading = join(dataDir, 'reading.md');
if (existsSync(reading)) md.push(readFileSync(reading, 'utf8'));
writeFileSync(join(outDir, 'benchmark.md'), md.join('\n'));
process.stderr.write(`wrote ${join(outDir, 'benchmark.md')}\n`);
