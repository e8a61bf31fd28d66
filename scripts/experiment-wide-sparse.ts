/**
 * Wide & sparse on Fashion-MNIST: dense and sparse families of an MLP and of a small CNN, several
 * seeds, through `widthwise baseline`. Writes results/experiments/wide-sparse.md and its figures.
 *   npx tsx scripts/experiment-wide-sparse.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const bin = new URL('../bin/widthwise.js', import.meta.url).pathname;
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
md.push('Recipe: SGD momentum 0.9, lr 0.05 cosine, weight decay 5e-4, batch 128, last epoch\'s weights; test accuracy on the 10,000 test images.', '');
for (const f of families) {
  const dir = join(figDir, f.space);
  const r = spawnSync(process.execPath, [bin, 'baseline', f.space, '--dataset', 'fashion-mnist', '--scales', f.scales, '--epochs', String(f.epochs),
    '--max-train', String(f.maxTrain), '--seeds', String(f.seeds), '--out', dir, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`baseline ${f.space} failed`);
  const { rows } = JSON.parse(r.stdout);
  md.push(`## ${f.space}: ${f.epochs} epochs on ${f.maxTrain} training images, ${f.seeds} seeds`, '');
  md.push('| scale | kind | connectivity | nonzero weights | params | MACs (dense compute) | test acc mean | spread (std) | per seed |', '|---:|---|---:|---:|---:|---:|---:|---:|---|');
  for (const row of rows) {
    md.push(`| ${row.scale} | ${row.kind} | ${row.connectivity.toFixed(3)} | ${row.nonzeroWeights.toLocaleString('en-US')} | ${row.params.toLocaleString('en-US')} | ${row.macs.toLocaleString('en-US')} | ${row.testAccuracy.toFixed(4)} | ${row.testAccuracyStd.toFixed(4)} | ${row.accuracies.map((a: number) => a.toFixed(4)).join(', ')} |`);
  }
  md.push('', `![${f.space}](wide-sparse/${f.space}/baseline.png)`, '');
}
md.push(`Total time ${((performance.now() - started) / 60000).toFixed(0)} minutes.`, '', '## Reading', '', '(see below)', '');
writeFileSync(join(outDir, 'wide-sparse.md'), md.join('\n'));
console.error(`wrote ${join(outDir, 'wide-sparse.md')}`);
