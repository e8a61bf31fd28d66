/**
 * How well does a proxy training rank networks the way their final training does? The search
 * benchmark found searches that win on the proxy objective and lose on the final test accuracy;
 * this measures the proxy's fidelity directly. Networks: every search winner and uniform scaling in
 * the benchmark (results/experiments/benchmark/benchmark.json) whose 3 final trainings are done,
 * grouped by benchmark cell (start x budget). Each is trained again under a few proxy settings, and
 * within each cell the proxy's validation accuracy is rank-correlated with the mean final test
 * accuracy. The ceiling: one final training (seed 0) against the mean of the other two, i.e. the
 * best a single training of the final length can do against this noise.
 * Trainings are cached by their settings (results/experiments/proxy/cache), so a rerun only adds
 * what is missing. Writes results/experiments/proxy.md.
 *
 *   npx tsx scripts/experiment-proxy.ts [--render-only]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mean, sampleStd } from '../src/core/stats.js';
import { PoolEvaluator } from '../src/runtime/pool-evaluator.js';
import type { TrialTask } from '../src/trial/task.js';
import { scriptArgs } from './lib/args.js';
import { groundTruthTask } from './lib/ground-truth-set.js';
import { spearman } from './lib/rank-correlation.js';
import { TrialCache } from './lib/trial-cache.js';

const args = scriptArgs({ 'render-only': { type: 'boolean', default: false } }, 'npx tsx scripts/experiment-proxy.ts [--render-only]');
const outDir = 'results/experiments';
const benchmark = JSON.parse(readFileSync(join(outDir, 'benchmark', 'benchmark.json'), 'utf8')) as {
  cells: { start: string; ratio: number; rows: { method: string; perSeed: ({ widths: number[]; accs: number[] } | null)[] }[] }[];
};

/** The proxy settings compared; the first is the search's default. Cost: epochs x images, relative to it. */
const SETTINGS = [
  { id: '3 ep x 3,000 (default)', epochs: 3, maxTrain: 3000, seeds: [0, 1] },
  { id: '1 ep x 9,000', epochs: 1, maxTrain: 9000, seeds: [0] },
  { id: '3 ep x 6,000', epochs: 3, maxTrain: 6000, seeds: [0] },
] as const;
const FINAL_SEEDS = 3;

interface Network { family: 'cnn' | 'mlp'; widths: number[]; finals: number[] }
interface Cell { id: string; networks: Network[] }

// Distinct networks per cell (derived rows such as "checked against uniform" add no network).
const cells: Cell[] = benchmark.cells.map((c) => {
  const family = c.start.startsWith('mlp') ? 'mlp' : 'cnn';
  const byKey = new Map<string, Network>();
  for (const row of c.rows) {
    if (row.method.includes('checked')) continue;
    for (const x of row.perSeed) if (x && x.accs.length === FINAL_SEEDS) byKey.set(x.widths.join(','), { family, widths: x.widths, finals: x.accs });
  }
  return { id: `${c.start} ${c.ratio}x`, networks: [...byKey.values()] };
}).filter((c) => c.networks.length >= 3);

// One fixed data subset per setting (data seed 0), as a search's proxies share theirs.
const taskOf = (n: Network, setting: (typeof SETTINGS)[number], seed: number, trialId: number): TrialTask =>
  groundTruthTask(n.family, n.widths, seed, trialId, { epochs: setting.epochs, maxTrain: setting.maxTrain, batchSize: 64 });

const cache = new TrialCache(join(outDir, 'proxy', 'cache'), ['telemetry', 'groupTelemetry', 'history']);
const networks = [...new Map(cells.flatMap((c) => c.networks).map((n) => [`${n.family}:${n.widths.join(',')}`, n])).values()];
const jobs = SETTINGS.flatMap((s) => s.seeds.flatMap((seed) => networks.map((n) => ({ n, s, seed }))));
const tasks = jobs.map((j, i) => taskOf(j.n, j.s, j.seed, i));
if (!args['render-only']) {
  const pool = new PoolEvaluator({ workers: 2 });
  await cache.runAll(pool, tasks, (t) => `proxy ${t.recipe.epochs} ep x ${t.data.maxTrain} ${t.widths.join(',')} seed ${t.seed}`);
  await pool.close();
}
const proxyAccuracy = (n: Network, s: (typeof SETTINGS)[number], seed: number) => cache.get(taskOf(n, s, seed, 0))?.metrics?.validationAccuracy;
// The report covers the networks measured under every setting (a benchmark that grew since the
// last run adds networks that a rerun measures).
const measured = (n: Network) => SETTINGS.every((s) => s.seeds.every((seed) => proxyAccuracy(n, s, seed) !== undefined));
const reported = cells.map((c) => ({ ...c, networks: c.networks.filter(measured) })).filter((c) => c.networks.length >= 3);
const reportedCount = new Set(reported.flatMap((c) => c.networks.map((n) => `${n.family}:${n.widths.join(',')}`))).size;

// ---- report ----
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');
const md: string[] = ['# Proxy fidelity: does a short training rank networks like the final one?', ''];
md.push(`Run by \`npx tsx scripts/experiment-proxy.ts\`. ${reportedCount} networks: the search winners and uniform scaling of the search benchmark, ${reported.length} cells (start x budget) with at least 3 distinct networks whose ${FINAL_SEEDS} final trainings are done (5 epochs on 6,000 Fashion-MNIST images). Each network is trained again under each proxy setting (SGD momentum 0.9, cosine, batch 64, lr 0.05 for the conv nets and 0.01 for the MLPs, 10% held out for validation, one fixed data subset per setting). Per cell: Spearman's ρ between the proxy's validation accuracy and the mean final test accuracy; then the mean over cells (± standard error over cells), and how often the proxy's best network is the final's best.`, '');
md.push('| proxy | cost | mean ρ (proxy seed 0) | mean ρ (proxy seed 1) | best agrees (seed 0) |', '|---|---:|---:|---:|---:|');
const perCell: Record<string, number[]> = {};
for (const s of SETTINGS) {
  const rhos = s.seeds.map((seed) => reported.map((c) => spearman(c.networks.map((n) => proxyAccuracy(n, s, seed) ?? NaN), c.networks.map((n) => mean(n.finals)))));
  perCell[s.id] = rhos[0];
  const complete = reported.filter((c) => c.networks.every((n) => proxyAccuracy(n, s, 0) !== undefined));
  const agree = complete.filter((c) => {
    const p = c.networks.map((n) => proxyAccuracy(n, s, 0)!), f = c.networks.map((n) => mean(n.finals));
    return p.indexOf(Math.max(...p)) === f.indexOf(Math.max(...f));
  }).length;
  const cell = (xs: number[]) => { const ok = xs.filter(Number.isFinite); return ok.length ? `${fmt(mean(ok))} ± ${fmt(sampleStd(ok) / Math.sqrt(ok.length))}` : '-'; };
  md.push(`| ${s.id} | ${((s.epochs * s.maxTrain) / 9000).toFixed(2)}x | ${cell(rhos[0])} | ${rhos[1] ? cell(rhos[1]) : '-'} | ${complete.length ? `${agree} of ${complete.length}` : '-'} |`);
}
// The noise ceiling: one final-length training against the mean of the two others.
const ceiling = reported.map((c) => spearman(c.networks.map((n) => n.finals[0]), c.networks.map((n) => mean(n.finals.slice(1)))));
md.push(`| one final training (seed 0) against the mean of seeds 1 and 2 | 3.33x | ${fmt(mean(ceiling.filter(Number.isFinite)))} ± ${fmt(sampleStd(ceiling.filter(Number.isFinite)) / Math.sqrt(ceiling.filter(Number.isFinite).length))} | - | - |`, '');
md.push('Per cell (proxy seed 0):', '', `| cell | networks | ${SETTINGS.map((s) => s.id).join(' | ')} | one final training |`, `|---|---:|${SETTINGS.map(() => '---:').join('|')}|---:|`);
reported.forEach((c, i) => md.push(`| ${c.id} | ${c.networks.length} | ${SETTINGS.map((s) => fmt(perCell[s.id][i])).join(' | ')} | ${fmt(ceiling[i])} |`));
md.push('');
const reading = join(outDir, 'proxy', 'reading.md');
if (existsSync(reading)) md.push(readFileSync(reading, 'utf8'));
mkdirSync(join(outDir, 'proxy'), { recursive: true });
writeFileSync(join(outDir, 'proxy.md'), md.join('\n'));
process.stderr.write(`wrote ${join(outDir, 'proxy.md')}\n`);
