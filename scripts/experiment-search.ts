/**
 * Samplers compared: streamline, random and evolution search cnn-mnist's widths on Fashion-MNIST at
 * the same MACs budget (the base network's) and the same number of proxy trainings; then the base
 * widths and every winner are trained with one final recipe over several seeds. Writes
 * results/experiments/search.md.
 *   npx tsx scripts/experiment-search.ts [--trials 8] [--seeds 3] [--final-epochs 3] [--final-max-train 5000]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRecipe, type TrainRecipe } from '../src/core/recipe.js';
import { mean, sampleStd } from '../src/core/stats.js';
import { spaceCost } from '../src/cost/cost.js';
import { finalTrainingTask } from '../src/pipeline/final-trainings.js';
import { SearchRun } from '../src/pipeline/search-run.js';
import { PoolEvaluator } from '../src/runtime/pool-evaluator.js';
import { SAMPLER_NAMES } from '../src/search/samplers.js';
import { baseWidths, loadSpace } from '../src/space/index.js';
import { numberArg, scriptArgs } from './lib/args.js';
import { recipeText } from './lib/recipe-text.js';

const args = scriptArgs({
  trials: { type: 'string', default: '8' }, seeds: { type: 'string', default: '3' },
  'final-epochs': { type: 'string', default: '3' }, 'final-max-train': { type: 'string', default: '5000' },
}, 'npx tsx scripts/experiment-search.ts [--trials 8] [--seeds 3] [--final-epochs 3] [--final-max-train 5000]');
const trials = numberArg(args.trials, 'trials');
const seeds = numberArg(args.seeds, 'seeds');
const finalEpochs = numberArg(args['final-epochs'], 'final-epochs');
const finalMaxTrain = numberArg(args['final-max-train'], 'final-max-train');
const proxyEpochs = 3;
const proxyMaxTrain = 3000;
const space = loadSpace('cnn-mnist');
const base = baseWidths(space);
const budget = { macs: spaceCost(space, base).macs };
const started = performance.now();

// Each sampler runs the search pipeline's study (its journal in a temporary run folder); the
// winners are then trained here over several seeds, which a search run does not do.
const searches: { sampler: string; winner: number[]; winnerProxyAcc: number; trials: number; failed: number; seconds: number; proxyEpochs: number; labels: string }[] = [];
let proxyRecipe: TrainRecipe | undefined;
for (const sampler of SAMPLER_NAMES) {
  const t0 = performance.now();
  const run = SearchRun.open({
    out: join(mkdtempSync(join(tmpdir(), `ww-exp-${sampler}-`)), 'run'), studyOnly: true,
    options: { space: space.name, dataset: 'fashion-mnist', sampler, trials, workers: 2, proxyEpochs, proxyMaxTrain, seed: 0, batchSize: 64, recordEvery: 12, backend: 'wasm' },
  });
  proxyRecipe = run.config.proxyRecipe;
  const outcome = await run.execute({ onTrialDone: (p) => console.error(`${sampler}: ${p.done}/${p.total} trial ${p.last.trialId} ${p.last.widths.join(',')} ${p.last.metrics?.validationAccuracy.toFixed(4) ?? p.last.status}`) });
  const best = outcome.best!;
  const history = outcome.summary.history;
  searches.push({
    sampler, winner: [...best.widths], winnerProxyAcc: best.metrics!.validationAccuracy, trials: outcome.trials,
    failed: history.filter((t) => t.status === 'failed').length, seconds: (performance.now() - t0) / 1000, proxyEpochs: outcome.trials * proxyEpochs,
    labels: Object.entries(history[0]?.groupLabels ?? {}).map(([g, l]) => `${g}:${l}`).join(' '),
  });
}

const finalRecipe = (seed: number) => defaultRecipe({ epochs: finalEpochs, batchSize: 64, seed, keepBest: true });
const pool = new PoolEvaluator({ workers: 2 });
const models = [{ name: 'base', widths: base }, ...searches.map((s) => ({ name: s.sampler, widths: s.winner }))];
const finals = await Promise.all(models.flatMap((m) => Array.from({ length: seeds }, async (_, seed) => {
  const task = finalTrainingTask(space, { which: m.name === 'base' ? 'base' : 'winner', widths: m.widths }, {
    studySeed: seed, backend: 'wasm', recipe: finalRecipe(seed),
    data: { name: 'fashion-mnist', seed, maxTrain: finalMaxTrain, validationFraction: 0.1 },
  });
  const r = await pool.evaluate(task);
  console.error(`final ${m.name} seed ${seed}: ${r.metrics?.testAccuracy.toFixed(4) ?? r.reason}`);
  return { name: m.name, seed, acc: r.metrics?.testAccuracy ?? NaN };
})));
await pool.close();

const md: string[] = [
  '# Samplers compared on Fashion-MNIST (cnn-mnist space)', '',
  `Run by \`npx tsx scripts/experiment-search.ts\` on ${new Date().toISOString().slice(0, 10)}, wasm backend, 2 workers, ${((performance.now() - started) / 60000).toFixed(0)} minutes in all.`,
  `Budget: the base network's ${budget.macs.toLocaleString('en-US')} MACs. Each sampler: ${trials} proxy trainings (${recipeText(proxyRecipe!)}) on ${proxyMaxTrain} training images (seed 0), objective = validation accuracy.`,
  `Final recipe for base and winners: ${recipeText(finalRecipe(0))} on ${finalMaxTrain} training images; seeds 0..${seeds - 1}; test accuracy on the 10,000 test images.`, '',
  '| model | widths (conv1, conv2, conv3, fc1) | params | MACs | test acc (mean) | spread (std) | search: trials / failed / proxy epochs / seconds |',
  '|---|---|---:|---:|---:|---:|---|',
];
for (const m of models) {
  const accs = finals.filter((f) => f.name === m.name).map((f) => f.acc);
  const c = spaceCost(space, m.widths);
  const s = searches.find((x) => x.sampler === m.name);
  md.push(`| ${m.name} | ${m.widths.join(', ')} | ${c.params.toLocaleString('en-US')} | ${c.macs.toLocaleString('en-US')} | ${mean(accs).toFixed(4)} | ${sampleStd(accs).toFixed(4)} | ${s ? `${s.trials} / ${s.failed} / ${s.proxyEpochs} / ${s.seconds.toFixed(0)}` : '-'} |`);
}
md.push('', 'Group labels of the start (base) trial as the streamline sampler saw them: ' + (searches.find((s) => s.sampler === 'streamline')?.labels ?? '-'), '');
md.push('## Reading', '', '(see below)', '');
mkdirSync('results/experiments', { recursive: true });
writeFileSync('results/experiments/search.md', md.join('\n'));
writeFileSync('results/experiments/search.json', JSON.stringify({ searches, finals }, null, 2));
console.error('wrote results/experiments/search.md');
