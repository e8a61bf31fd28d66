/**
 * Wide & sparse on Fashion-MNIST: dense and sparse families of an MLP and of a small CNN, several
 * seeds, through the baseline pipeline (what `widthwise baseline` runs). Writes
 * results/experiments/wide-sparse.md and its figures.
 *   npx tsx scripts/experiment-wide-sparse.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRecipe } from '../src/core/recipe.js';
import { runBaseline } from '../src/pipeline/baseline-run.js';
import { PoolEvaluator } from '../src/runtime/pool-evaluator.js';
import { loadSpace } from '../src/space/load.js';
import { recipeText } from './lib/recipe-text.js';

const outDir = 'results/experiments';
const figDir = join(outDir, 'wide-sparse');
mkdirSync(figDir, { recursive: true });
const families = [
  { space: 'mlp-mnist', scales: '1,1.41,2,2.83', epochs: 5, maxTrain: 8000, seeds: 2 },
  { space: 'cnn-mnist', scales: '1,1.41,2', epochs: 3, maxTrain: 2000, seeds: 2 },
];
const started = performance.now();
const md = ['# Wide & sparse on Fashion-MNIST (Golubeva, Gur-Ari, Neyshabur, ICLR 2021)', ''];
md.push(`Run by \`npx tsx scripts/experiment-wide-sparse.ts\` on ${new Date().toISOString().slice(0, 10)} (wasm backend, 2 workers).`);
md.push('Each scale multiplies every base width; the sparse network keeps exactly the base network\'s nonzero kernel weights with a static random mask (water-level allocation across layers, BN and biases dense).');
for (const f of families) {
  const dir = join(figDir, f.space);
  // The recipe `widthwise baseline` builds from its defaults; the report describes it from this object.
  const recipe = defaultRecipe({ epochs: f.epochs, batchSize: 128, optimizer: { name: 'sgd', momentum: 0.9, weightDecay: 5e-4 }, warmupEpochs: 0, labelSmoothing: 0, keepBest: false });
  const pool = new PoolEvaluator({ workers: 2 });
  const { rows } = await runBaseline(
    { space: loadSpace(f.space), scales: f.scales.split(',').map(Number), seeds: f.seeds, recipe, backend: 'wasm', out: dir, data: { name: 'fashion-mnist', maxTrain: f.maxTrain, validationFraction: 0.1 } },
    pool, { onTrainingDone: (job, r, p) => console.error(`[${p.done}/${p.total}] ${f.space} x${job.scale} ${job.kind} seed ${job.seed}: ${r.metrics?.testAccuracy.toFixed(4) ?? r.reason}`) },
  ).finally(() => pool.close());
  md.push(`## ${f.space}: ${f.maxTrain} training images, ${f.seeds} seeds`, '', `Recipe: ${recipeText(recipe)}; test accuracy on the 10,000 test images.`, '');
  md.push('| scale | kind | connectivity | nonzero weights | params | MACs (dense compute) | test acc mean | spread (std) | per seed |', '|---:|---|---:|---:|---:|---:|---:|---:|---|');
  for (const row of rows) {
    md.push(`| ${row.scale} | ${row.kind} | ${row.connectivity.toFixed(3)} | ${row.nonzeroWeights.toLocaleString('en-US')} | ${row.params.toLocaleString('en-US')} | ${row.macs.toLocaleString('en-US')} | ${row.testAccuracy.toFixed(4)} | ${row.testAccuracyStd.toFixed(4)} | ${row.accuracies.map((a) => a.toFixed(4)).join(', ')} |`);
  }
  md.push('', `![${f.space}](wide-sparse/${f.space}/baseline.png)`, '');
}
md.push(`Total time ${((performance.now() - started) / 60000).toFixed(0)} minutes.`, '', '## Reading', '', '(see below)', '');
writeFileSync(join(outDir, 'wide-sparse.md'), md.join('\n'));
console.error(`wrote ${join(outDir, 'wide-sparse.md')}`);
