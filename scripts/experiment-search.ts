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
import type { TrialTask } from '../src/core/types.js';
import { spaceCost } from '../src/cost/cost.js';
import { PoolEvaluator } from '../src/runtime/pool-evaluator.js';
import { Study, type StudyConfig } from '../src/search/study.js';
import { baseWidths, loadSpace } from '../src/space/index.js';
import { Journal } from '../src/storage/journal.js';
import { defaultRecipe } from '../src/train/trainer.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const trials = Number(arg('trials', '8'));
const seeds = Number(arg('seeds', '3'));
const finalEpochs = Number(arg('final-epochs', '3'));
const finalMaxTrain = Number(arg('final-max-train', '5000'));
const proxyEpochs = 3;
const proxyMaxTrain = 3000;
const space = loadSpace('cnn-mnist');
const base = baseWidths(space);
const budget = { macs: spaceCost(space, base).macs };
const pool = new PoolEvaluator({ workers: 2 });
const started = performance.now();

const searches: { sampler: string; winner: number[]; winnerProxyAcc: number; trials: number; failed: number; seconds: number; proxyEpochs: number; labels: string }[] = [];
for (const sampler of ['streamline', 'random', 'evolution'] as const) {
  const config: StudyConfig = {
    space, sampler, trials, budget, seed: 0, start: base, roundSize: 2,
    data: { name: 'fashion-mnist', seed: 0, maxTrain: proxyMaxTrain, validationFraction: 0.1 },
    proxyRecipe: defaultRecipe({ epochs: proxyEpochs, batchSize: 64, seed: 0 }), recordEvery: 12, normKind: 'outgoing', backend: 'wasm',
  };
  const dir = mkdtempSync(join(tmpdir(), `ww-exp-${sampler}-`));
  const journal = new Journal(join(dir, 'journal.jsonl'));
  const study = new Study(config, pool, journal);
  study.create();
  const t0 = performance.now();
  await study.run({ onTrialDone: (p) => console.error(`${sampler}: ${p.done}/${p.total} trial ${p.last.trialId} ${p.last.widths.join(',')} ${p.last.metrics?.validationAccuracy.toFixed(4) ?? p.last.status}`) });
  journal.close();
  const best = study.best()!;
  const startLabels = study.history[0]?.groupLabels ?? {};
  searches.push({
    sampler, winner: [...best.widths], winnerProxyAcc: best.metrics!.validationAccuracy, trials: study.history.length,
    failed: study.history.filter((t) => t.status !== 'ok').length, seconds: (performance.now() - t0) / 1000, proxyEpochs: study.history.length * proxyEpochs,
    labels: Object.entries(startLabels).map(([g, l]) => `${g}:${l}`).join(' '),
  });
}

const models = [{ name: 'base', widths: base }, ...searches.map((s) => ({ name: s.sampler, widths: s.winner }))];
const finals = await Promise.all(models.flatMap((m) => Array.from({ length: seeds }, async (_, seed) => {
  const task: TrialTask = {
    trialId: 0, space, widths: m.widths, seed, backend: 'wasm', recipe: defaultRecipe({ epochs: finalEpochs, batchSize: 64, seed, keepBest: true }),
    data: { name: 'fashion-mnist', seed, maxTrain: finalMaxTrain, validationFraction: 0.1 },
  };
  const r = await pool.evaluate(task);
  console.error(`final ${m.name} seed ${seed}: ${r.metrics?.testAccuracy.toFixed(4) ?? r.reason}`);
  return { name: m.name, seed, acc: r.metrics?.testAccuracy ?? NaN };
})));
await pool.close();

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
const md: string[] = [
  '# Samplers compared on Fashion-MNIST (cnn-mnist space)', '',
  `Run by \`npx tsx scripts/experiment-search.ts\` on ${new Date().toISOString().slice(0, 10)}, wasm backend, 2 workers, ${((performance.now() - started) / 60000).toFixed(0)} minutes in all.`,
  `Budget: the base network's ${budget.macs.toLocaleString('en-US')} MACs. Each sampler: ${trials} proxy trainings of ${proxyEpochs} epochs on ${proxyMaxTrain} training images (seed 0), objective = validation accuracy.`,
  `Final recipe for base and winners: ${finalEpochs} epochs on ${finalMaxTrain} training images, SGD momentum 0.9, lr 0.05 cosine, weight decay 5e-4, best validation epoch kept; seeds 0..${seeds - 1}; test accuracy on the 10,000 test images.`, '',
  '| model | widths (conv1, conv2, conv3, fc1) | params | MACs | test acc (mean) | spread (std) | search: trials / failed / proxy epochs / seconds |',
  '|---|---|---:|---:|---:|---:|---|',
];
for (const m of models) {
  const accs = finals.filter((f) => f.name === m.name).map((f) => f.acc);
  const c = spaceCost(space, m.widths);
  const s = searches.find((x) => x.sampler === m.name);
  md.push(`| ${m.name} | ${m.widths.join(', ')} | ${c.params.toLocaleString('en-US')} | ${c.macs.toLocaleString('en-US')} | ${mean(accs).toFixed(4)} | ${std(accs).toFixed(4)} | ${s ? `${s.trials} / ${s.failed} / ${s.proxyEpochs} / ${s.seconds.toFixed(0)}` : '-'} |`);
}
md.push('', 'Group labels of the start (base) trial as the streamline sampler saw them: ' + (searches.find((s) => s.sampler === 'streamline')?.labels ?? '-'), '');
md.push('## Reading', '', '(see below)', '');
mkdirSync('results/experiments', { recursive: true });
writeFileSync('results/experiments/search.md', md.join('\n'));
writeFileSync('results/experiments/search.json', JSON.stringify({ searches, finals }, null, 2));
console.error('wrote results/experiments/search.md');
