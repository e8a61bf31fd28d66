/**
 * Does one supernet rank width vectors like stand-alone trainings? For every cnn-mnist vector of
 * the ground-truth set (3-seed stand-alone trainings, 5 epochs on 6,000 Fashion-MNIST images), the
 * supernet's validation accuracy (BN recalibrated per vector) against the mean stand-alone test
 * accuracy: Spearman and Kendall over all vectors and within each base vector's family; the same
 * for the proxy trainings of scripts/oneshot-proxies.ts; and the training compute of each, in MACs.
 * Supernet trainings are checkpointed under results/oneshot-checkpoints/ (a rerun resumes or
 * loads them); reads are cached in results/experiments/oneshot/.
 *
 *   npx tsx scripts/experiment-oneshot.ts [--epochs 6] [--seeds 0] [--random-per-step 2] [--render-only]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../src/engine/backend.js';
import { defaultRecipe } from '../src/core/recipe.js';
import { mean, sampleStd } from '../src/core/stats.js';
import { spaceCost } from '../src/cost/cost.js';
import { loadDataset } from '../src/data/registry.js';
import { runSupernet } from '../src/runtime/supernet-run.js';
import { readSubnet } from '../src/train/supernet-evaluate.js';
import { sandwichVectors } from '../src/train/supernet-training.js';
import { stepsPerEpochOf } from '../src/train/trainer.js';
import { numberArg, scriptArgs } from './lib/args.js';
import { GROUND_TRUTH_TRAINING, LEARNING_RATE, SPACES } from './lib/ground-truth-set.js';
import { PROXY_SETTINGS, proxyTask, standAloneCnn } from './lib/oneshot-set.js';
import { kendall, spearman } from './lib/rank-correlation.js';
import { TrialCache } from './lib/trial-cache.js';

const args = scriptArgs({
  epochs: { type: 'string', default: '6' },
  seeds: { type: 'string', default: '0' },
  'random-per-step': { type: 'string', default: '2' },
  'calibration-images': { type: 'string', default: '2000' },
  'validation-images': { type: 'string', default: '6000' },
  'render-only': { type: 'boolean', default: false },
}, 'npx tsx scripts/experiment-oneshot.ts [--epochs 6] [--seeds 0] [--random-per-step 2] [--calibration-images 2000] [--validation-images 6000] [--render-only]');
const calibrationImages = numberArg(args['calibration-images'], 'calibration-images');
const validationImages = numberArg(args['validation-images'], 'validation-images');
const epochsList = args.epochs.split(',').map((s) => numberArg(s, 'epochs'));
const seeds = args.seeds.split(',').map((s) => numberArg(s, 'seeds'));
const randomPerStep = numberArg(args['random-per-step'], 'random-per-step');
const outDir = 'results/experiments/oneshot';
mkdirSync(outDir, { recursive: true });

const space = SPACES.cnn;
const vectors = standAloneCnn();
// The supernet spans every vector of the set: each group's widest among them.
const maxWidths = space.groups.map((_, g) => Math.max(...vectors.map((v) => v.widths[g])));
const data = { name: 'fashion-mnist', seed: 0, maxTrain: GROUND_TRUTH_TRAINING.maxTrain, validationFraction: 0.1 };
const recipeOf = (epochs: number, seed: number) => defaultRecipe({ epochs, batchSize: 64, seed, lr: LEARNING_RATE.cnn });
const macs = (w: number[]) => spaceCost(space, w).macs;

/** Training MACs of a supernet training: every sandwich vector of every step, on its batch (forward only; backward is about twice that for all alike). */
function supernetMacs(epochs: number, seed: number, trainCount: number): number {
  const steps = stepsPerEpochOf(trainCount, 64) * epochs;
  const spec = { minWidths: space.groups.map((g) => g.min), randomPerStep, distill: true };
  let total = 0;
  for (let s = 0; s < steps; s++) for (const v of sandwichVectors(space, maxWidths, spec, seed, s)) total += 64 * macs(v);
  return total;
}

interface Reading { calibrationImages?: number; validationImages?: number; epochs: number; seed: number; randomPerStep: number; trainSeconds: number; readSeconds: number[]; accuracy: number[]; trainCount: number; history: { epoch: number; trainLoss: number; trainAccuracy: number }[] }
// The first readings (calibration 2,000, validation 6,000) keep their file names.
const readTag = calibrationImages === 2000 && validationImages === 6000 ? '' : `-c${calibrationImages}-v${validationImages}`;
const readingFile = (epochs: number, seed: number) => join(outDir, `supernet-e${epochs}-r${randomPerStep}-s${seed}${readTag}.json`);

if (!args['render-only']) {
  await initBackend('wasm');
  const dataset = await loadDataset(data);
  for (const epochs of epochsList) {
    for (const seed of seeds) {
      if (existsSync(readingFile(epochs, seed))) continue;
      const t0 = performance.now();
      const trained = await runSupernet({ space, maxWidths, data, recipe: recipeOf(epochs, seed), seed, randomPerStep }, {
        dataset, checkpointDir: `results/oneshot-checkpoints/e${epochs}-r${randomPerStep}-s${seed}`, checkpointEvery: 50,
        onEpoch: (r, n) => process.stderr.write(`supernet seed ${seed} epoch ${r.epoch}/${n}: loss ${r.trainLoss.toFixed(4)} acc ${r.trainAccuracy.toFixed(4)} ${r.seconds.toFixed(0)} s\n`),
        onResumed: (d, n) => process.stderr.write(`supernet seed ${seed}: resumed at epoch ${d}/${n}\n`),
      });
      const trainSeconds = (performance.now() - t0) / 1000;
      const accuracy: number[] = [];
      const readSeconds: number[] = [];
      for (const v of vectors) {
        const r0 = performance.now();
        accuracy.push(readSubnet(trained.supernet, v.widths, dataset.train, dataset.validation, dataset.inputShape, { calibrationImages, heldOutImages: validationImages }).accuracy);
        process.stderr.write(`  ${v.widths.join(",")}: ${accuracy[accuracy.length - 1].toFixed(4)} (${((performance.now() - r0) / 1000).toFixed(1)} s)\n`);
        readSeconds.push((performance.now() - r0) / 1000);
      }
      process.stderr.write(`supernet seed ${seed}: ${vectors.length} vectors read, median ${readSeconds.sort((a, b) => a - b)[Math.floor(readSeconds.length / 2)].toFixed(2)} s each\n`);
      const reading: Reading = { calibrationImages, validationImages, epochs, seed, randomPerStep, trainSeconds, readSeconds, accuracy, trainCount: dataset.train.count, history: trained.history.map(({ epoch, trainLoss, trainAccuracy }) => ({ epoch, trainLoss, trainAccuracy })) };
      writeFileSync(readingFile(epochs, seed), JSON.stringify(reading, null, 1));
      trained.supernet.dispose();
    }
  }
}

// ---- report ----
const truth = vectors.map((v) => mean(v.tests));
const families = [...new Set(vectors.map((v) => v.family))];
const cache = new TrialCache(join(outDir, 'cache'), ['telemetry', 'groupTelemetry']);
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
/** Spearman and Kendall over all vectors, and the mean (± standard error over families) of the within-family ones. */
function rankStats(scores: number[]) {
  const within = families.map((f) => {
    const idx = vectors.map((v, i) => i).filter((i) => vectors[i].family === f);
    return { rho: spearman(idx.map((i) => scores[i]), idx.map((i) => truth[i])), tau: kendall(idx.map((i) => scores[i]), idx.map((i) => truth[i])), n: idx.length };
  });
  const se = (xs: number[]) => sampleStd(xs) / Math.sqrt(xs.length);
  return {
    rho: spearman(scores, truth), tau: kendall(scores, truth),
    withinRho: mean(within.map((w) => w.rho)), withinRhoSe: se(within.map((w) => w.rho)),
    withinTau: mean(within.map((w) => w.tau)), withinTauSe: se(within.map((w) => w.tau)), within,
  };
}

const rows: { id: string; short: string; macs: number; seconds: number; stats: ReturnType<typeof rankStats>; complete: boolean }[] = [];
for (const setting of PROXY_SETTINGS) {
  const results = vectors.map((v) => cache.get(proxyTask(v.widths, setting, 0, 0)));
  const scores = results.map((r) => r?.metrics?.validationAccuracy ?? NaN);
  const done = scores.filter(Number.isFinite).length;
  rows.push({
    id: `proxy ${setting.id}, seed 0 (${done} of ${vectors.length} trained)`, short: `proxy ${setting.epochs} ep x ${setting.maxTrain}`,
    macs: vectors.reduce((s, v) => s + setting.epochs * setting.maxTrain * macs(v.widths), 0),
    seconds: results.reduce((s, r) => s + (r?.seconds ?? 0), 0), stats: rankStats(scores), complete: done === vectors.length,
  });
}
const readings: Reading[] = [];
// Every reading on disk, whatever settings this run was given.
for (const f of readdirSync(outDir).filter((n) => /^supernet-e\d+.*\.json$/.test(n)).sort()) readings.push(JSON.parse(readFileSync(join(outDir, f), 'utf8')));
for (const r of readings) {
  rows.push({
    short: `supernet ${r.epochs} ep, seed ${r.seed}, BN ${r.calibrationImages ?? 2000} / scored ${r.validationImages ?? 6000}`,
    id: `supernet ${r.epochs} ep x ${r.trainCount.toLocaleString('en')}, ${r.randomPerStep} random per step, seed ${r.seed}, BN on ${(r.calibrationImages ?? 2000).toLocaleString('en')}, scored on ${(r.validationImages ?? 6000).toLocaleString('en')}`,
    // Reading a vector: forward passes over 2,000 calibration and 600 validation images, a third of a training pass each.
    macs: supernetMacs(r.epochs, r.seed, r.trainCount) + vectors.length * ((r.calibrationImages ?? 2000) + (r.validationImages ?? 6000)) * mean(vectors.map((v) => macs(v.widths))) / 3,
    seconds: r.trainSeconds + r.readSeconds.reduce((a, b) => a + b, 0), stats: rankStats(r.accuracy), complete: true,
  });
}
// One stand-alone training (seed 0) against the mean of the other two: the ceiling of the noise.
const others = vectors.map((v) => mean(v.tests.slice(1)));
const ceilingRho = spearman(vectors.map((v) => v.tests[0]), others);
const ceilingTau = kendall(vectors.map((v) => v.tests[0]), others);
const proxyMacs = rows[0].macs;

const md: string[] = [];
md.push('# One-shot: does one slimmable supernet rank width vectors like stand-alone trainings?', '');
md.push(`Run by \`npx tsx scripts/experiment-oneshot.ts\` (proxies: \`scripts/oneshot-proxies.ts\`), backend wasm, on a shared 2-core machine (seconds are wall-clock under load; MACs are the comparable cost).`, '');
md.push(`Networks: the ${vectors.length} distinct cnn-mnist vectors of the ground-truth set (results/experiments/ground-truth.md: ${families.length} base vectors, each with one group widened x1.5 or narrowed x0.67), stand-alone accuracy = mean test accuracy of 3 seeds (5 epochs on 6,000 Fashion-MNIST images, the ground truth's cache). Nothing here was tuned on these numbers: the supernet's settings (sandwich with ${randomPerStep} random vectors, in-place distillation, BN recalibrated on 2,000 training images, first-k channels) were fixed before the first reading.`, '');
md.push(`Supernet: widths ${maxWidths.join(',')} (each group's widest in the set), narrowest ${space.groups.map((g) => g.min).join(',')}, SGD momentum 0.9, lr 0.05 cosine, batch 64, weight decay 5e-4, trained on the same 6,000 images (10% held out for validation first); each vector's score is its accuracy on the held-out validation images (6,000 unless the row says fewer: the first of them) after BN recalibration on training images. Proxies: the search's proxy trainings of each vector (validation accuracy), as in proxy.md.`, '');
md.push('| scorer | training MACs (x 1e9) | vs one proxy of every vector | wall-clock s | Spearman (all) | Kendall (all) | mean Spearman within family (± se) | mean Kendall within family (± se) |', '|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const s = r.stats;
  md.push(`| ${r.id} | ${(r.macs / 1e9).toFixed(0)} | ${(r.macs / proxyMacs).toFixed(2)}x | ${r.seconds.toFixed(0)} | ${fmt(s.rho)} | ${fmt(s.tau)} | ${fmt(s.withinRho)} ± ${fmt(s.withinRhoSe)} | ${fmt(s.withinTau)} ± ${fmt(s.withinTauSe)} |`);
}
md.push(`| ceiling: one stand-alone training (seed 0) against the mean of seeds 1, 2 | - | - | - | ${fmt(ceilingRho)} | ${fmt(ceilingTau)} | - | - |`, '');
md.push('Within family (Spearman):', '', `| family | vectors | ${rows.map((r) => r.short).join(' | ')} |`, `|---|---:|${rows.map(() => '---:').join('|')}|`);
families.forEach((f, i) => md.push(`| ${f} | ${rows[0].stats.within[i].n} | ${rows.map((r) => fmt(r.stats.within[i].rho)).join(' | ')} |`));
md.push('');
writeFileSync(join(outDir, 'table.md'), md.join('\n') + '\n');
process.stdout.write(md.join('\n') + '\n');
