/**
 * Which width signal agrees with measured widening gains? For every base vector of the
 * ground-truth set, short proxy trainings (1, 2, 3 and 5 epochs, 2 seeds) record every group's
 * channel ingredients; every norm kind x score x proxy length is then scored against the gains
 * measured by scripts/experiment-ground-truth.ts: Spearman correlation, label accuracy, the
 * fraction of groups determined, and the agreement of the two seeds. The candidate is chosen on
 * the "selection" vectors and judged on the "held-out" ones. Writes results/experiments/signal.md,
 * signal/*.png and signal/candidates.json. Proxy trainings are cached like the ground truth's.
 *
 *   npx tsx scripts/experiment-signal.ts [--workers 2] [--render-only]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GroupTelemetry, TrialResult } from '../src/trial/result.js';
import type { TrialTask } from '../src/trial/task.js';
import { PALETTE, panelsSvg, svgToPng, type Panel } from '../src/report/svg-plot.js';
import { PoolEvaluator } from '../src/runtime/pool-evaluator.js';
import { defaultRecipe } from '../src/core/recipe.js';
import { NORM_KINDS, NORM_KIND_NAMES, type NormKind } from '../src/variance/norm-kinds.js';
import { SCORES, SCORE_NAMES, type ScoreName } from '../src/variance/scores.js';
import { labelFromScore, varianceSeries, type LabelBand } from '../src/variance/group-signal.js';
import { measuredGains, TOO_NARROW_GAIN, type GroupTruth } from './lib/ground-truth-analysis.js';
import { BASE_VECTORS, LEARNING_RATE, SPACES, groundTruthJobs, type BaseVector } from './lib/ground-truth-set.js';
import { residuals, spearman } from './lib/rank-correlation.js';
import { TrialCache } from './lib/trial-cache.js';
import { numberArg, scriptArgs } from './lib/args.js';
import { mean, median } from '../src/core/stats.js';
import { recipeText } from './lib/recipe-text.js';

const args = scriptArgs({
  workers: { type: 'string', default: '2' },
  'render-only': { type: 'boolean', default: false },
  'no-default': { type: 'boolean', default: false },
}, 'npx tsx scripts/experiment-signal.ts [--workers 2] [--render-only] [--no-default]\n  --no-default: do not rewrite src/variance/signal-bands.json (the shipped default)');
const workers = numberArg(args.workers, 'workers');
const renderOnly = args['render-only'];
const outDir = 'results/experiments';
const figDir = join(outDir, 'signal');
mkdirSync(figDir, { recursive: true });

/** The search's proxy recipe (3,000 images, batch 64), at several lengths; 8 records an epoch. */
const PROXY = { lengths: [1, 2, 3, 5], maxTrain: 3000, batchSize: 64, recordEvery: 6, seeds: [100, 101] };

interface ProxyJob { vector: BaseVector; seed: number; epochs: number; task: TrialTask }
const proxyJobs: ProxyJob[] = [];
for (const seed of PROXY.seeds) for (const epochs of PROXY.lengths) for (const vector of BASE_VECTORS) {
  proxyJobs.push({
    vector, seed, epochs,
    task: {
      trialId: proxyJobs.length, space: SPACES[vector.family], widths: vector.widths, seed, backend: 'wasm',
      data: { name: 'fashion-mnist', seed, maxTrain: PROXY.maxTrain, validationFraction: 0.1 },
      recipe: defaultRecipe({ epochs, batchSize: PROXY.batchSize, seed, lr: LEARNING_RATE[vector.family] }),
      recordEvery: PROXY.recordEvery,
    },
  });
}
// The signal reads the group telemetry; the per-layer series are left out.
const proxyCache = new TrialCache(join(outDir, 'signal', 'cache'), ['telemetry']);
let proxyResults: (TrialResult | undefined)[];
if (renderOnly) {
  proxyResults = proxyJobs.map((j) => proxyCache.get(j.task));
} else {
  const pool = new PoolEvaluator({ workers });
  proxyResults = await proxyCache.runAll(pool, proxyJobs.map((j) => j.task), (t) => {
    const j = proxyJobs[t.trialId];
    return `proxy ${j.vector.id} ${j.epochs} epochs seed ${j.seed}`;
  });
  await pool.close();
}

// The ground truth, from the ground-truth experiment's cache (whatever of it is done).
const gtCache = new TrialCache(join(outDir, 'ground-truth', 'cache'), ['telemetry', 'groupTelemetry']);
const truth: GroupTruth[] = measuredGains(groundTruthJobs().flatMap((j) => {
  const r = gtCache.get(j.task);
  return r?.metrics ? [{ vector: j.vector.id, widths: j.widths, variant: j.variant, seed: j.seed, testAccuracy: r.metrics.testAccuracy }] : [];
})).filter((g) => g.widenGain !== null);

const telemetryOf = (vector: string, seed: number, epochs: number): GroupTelemetry[] | undefined => {
  const i = proxyJobs.findIndex((j) => j.vector.id === vector && j.seed === seed && j.epochs === epochs);
  return proxyResults[i]?.groupTelemetry;
};

/** A candidate signal: a norm kind and a score at a proxy length, or the width alone. */
interface Candidate { id: string; norm: NormKind | 'width'; score: ScoreName | 'narrowness'; epochs: number }
const candidates: Candidate[] = [{ id: 'width alone (-log width)', norm: 'width', score: 'narrowness', epochs: 0 }];
for (const epochs of PROXY.lengths) for (const norm of NORM_KIND_NAMES) for (const score of SCORE_NAMES) candidates.push({ id: `${norm} / ${score} / ${epochs} ep`, norm, score, epochs });

/** A candidate's value for one group of one vector from one proxy seed (NaN where undefined). */
function valueOf(c: Candidate, g: GroupTruth, seed: number): number {
  if (c.norm === 'width') return -Math.log(g.width);
  const t = telemetryOf(g.vector, seed, c.epochs)?.find((x) => x.group === g.group);
  if (!t) return NaN;
  const { epochs, variance } = varianceSeries(t, c.norm);
  return variance.length ? SCORES[c.score as ScoreName].score(epochs, variance) : NaN;
}

/** Mean over the seeds that gave a value (a proxy still missing from the cache gives none). */
const meanFinite = (xs: number[]) => mean(xs.filter(Number.isFinite));

/**
 * Labels from a score, fitted on the selection groups only: the threshold that best separates
 * the too-narrow groups from the others, with an undetermined band of half the median seed-to-seed
 * difference of the score on either side (where a second seed could flip the call).
 */
function fitBand(c: Candidate, groups: GroupTruth[]): LabelBand {
  const pts = groups.flatMap((g) => PROXY.seeds.map((s) => ({ v: valueOf(c, g, s), y: g.tooNarrow! }))).filter((p) => Number.isFinite(p.v));
  const sorted = [...new Set(pts.map((p) => p.v))].sort((a, b) => a - b);
  let best = { t: Infinity, acc: -1 };
  const cuts = [sorted[0] - 1, ...sorted.slice(1).map((v, i) => (v + sorted[i]) / 2), sorted[sorted.length - 1] + 1];
  for (const t of cuts) {
    const acc = mean(pts.map((p) => ((p.v >= t) === p.y ? 1 : 0)));
    if (acc > best.acc) best = { t, acc };
  }
  const noise = median(groups.map((g) => Math.abs(valueOf(c, g, PROXY.seeds[0]) - valueOf(c, g, PROXY.seeds[1]))).filter(Number.isFinite));
  const half = Number.isFinite(noise) ? noise / 2 : 0;
  return { isUpTo: best.t - half, dsFrom: best.t + half };
}

interface SplitFigures {
  groups: number;
  /** Mean over proxy seeds of Spearman(value, widening gain), pooled over the split's groups. */
  rhoGain: number;
  /** Spearman(value averaged over both proxy seeds, widening gain): what two proxies per trial would give. */
  rhoGainTwoSeeds: number;
  /** The same against the width need (mean of widening gain and narrowing loss). */
  rhoNeed: number;
  /** Spearman(value, what log width does not explain of the gain). */
  rhoBeyondWidth: number;
  /** Mean within-vector Spearman over the conv vectors (does it rank a network's own groups?). */
  rhoWithinConv: number;
  coverage: number;
  /** Fraction of conv groups labelled IS or DS (per seed, averaged). */
  determinedConv: number;
  determined: number;
  /** Determined labels that match the truth (DS = too narrow). */
  labelAccuracy: number;
  /** Groups whose label is the same under both proxy seeds. */
  seedAgreement: number;
}

function figures(c: Candidate, groups: GroupTruth[], band: LabelBand): SplitFigures {
  const gains = groups.map((g) => g.widenGain!);
  const needs = groups.map((g) => g.widthNeed!);
  const beyond = residuals(groups.map((g) => Math.log(g.width)), gains);
  // Only the proxy seeds whose runs are all in the cache (an unfinished experiment still renders).
  const seeds = PROXY.seeds.filter((s) => c.norm === 'width' || groups.every((g) => telemetryOf(g.vector, s, c.epochs)));
  const perSeed = seeds.map((s) => groups.map((g) => valueOf(c, g, s)));
  const labels = perSeed.map((vals) => vals.map((v) => labelFromScore(v, band).label));
  const conv = groups.map((g) => g.family === 'cnn');
  const within = BASE_VECTORS.filter((v) => v.family === 'cnn').flatMap((v) => {
    const idx = groups.map((g, i) => i).filter((i) => groups[i].vector === v.id);
    return idx.length >= 3 ? perSeed.map((vals) => spearman(idx.map((i) => vals[i]), idx.map((i) => gains[i]))) : [];
  }).filter(Number.isFinite);
  const determinedOf = (mask: boolean[]) => mean(labels.flatMap((ls) => ls.filter((_, i) => mask[i]).map((l) => (l === 'undetermined' ? 0 : 1))));
  const correct = labels.flatMap((ls) => ls.flatMap((l, i) => (l === 'undetermined' ? [] : [(l === 'DS') === groups[i].tooNarrow ? 1 : 0])));
  return {
    groups: groups.length,
    rhoGain: meanFinite(perSeed.map((vals) => spearman(vals, gains))),
    rhoGainTwoSeeds: perSeed.length < 2 ? NaN : spearman(groups.map((_, i) => mean(perSeed.map((vals) => vals[i]))), gains),
    rhoNeed: meanFinite(perSeed.map((vals) => spearman(vals, needs))),
    rhoBeyondWidth: meanFinite(perSeed.map((vals) => spearman(vals, beyond))),
    rhoWithinConv: mean(within),
    coverage: mean(perSeed.flatMap((vals) => vals.map((v) => (Number.isFinite(v) ? 1 : 0)))),
    determinedConv: determinedOf(conv),
    determined: determinedOf(groups.map(() => true)),
    labelAccuracy: mean(correct),
    seedAgreement: labels.length < 2 ? NaN : mean(groups.map((_, i) => (labels[0][i] === labels[1][i] ? 1 : 0))),
  };
}

const selection = truth.filter((g) => g.split === 'selection');
const heldOut = truth.filter((g) => g.split === 'held-out');
const rows = candidates.map((c) => {
  const band = fitBand(c, selection);
  return { candidate: c, band, selection: figures(c, selection, band), heldOut: figures(c, heldOut, band) };
});
// The choice: the best selection correlation with the widening gain among candidates defined for
// every group; ties go to the shorter proxy. The held-out columns play no part in it.
const eligible = rows.filter((r) => r.candidate.norm !== 'width' && r.selection.coverage === 1 && Number.isFinite(r.selection.rhoGain));
eligible.sort((a, b) => b.selection.rhoGain - a.selection.rhoGain || a.candidate.epochs - b.candidate.epochs);
const chosen = eligible[0];
const baseline = rows[0];
const paper = rows.find((r) => r.candidate.norm === 'paired' && r.candidate.score === 'drop' && r.candidate.epochs === 3)!;
const current = rows.find((r) => r.candidate.norm === 'outgoing' && r.candidate.score === 'drop' && r.candidate.epochs === 3)!;
writeFileSync(join(figDir, 'candidates.json'), JSON.stringify({ proxy: PROXY, truth, chosen: chosen?.candidate, rows }, null, 1));
// The shipped default and every candidate's label band (src/variance/default-signal.ts).
if (chosen && !args['no-default']) {
  const bands = Object.fromEntries(rows.filter((r) => r.candidate.norm !== 'width' && Number.isFinite(r.band.dsFrom)).map((r) => [`${r.candidate.norm}/${r.candidate.score}/${r.candidate.epochs}`, r.band]));
  const chosenSignal = { norm: chosen.candidate.norm, score: chosen.candidate.score, proxyEpochs: chosen.candidate.epochs };
  writeFileSync('src/variance/signal-bands.json', `${JSON.stringify({ source: 'scripts/experiment-signal.ts, selection vectors only; see results/experiments/signal.md', chosen: chosenSignal, bands }, null, 2)}\n`);
}

// Figures: the chosen score against the gain; the chosen norm's curves on the held-out conv vectors.
const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}`;
const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : '-');
async function writeFigure(name: string, svg: string) {
  writeFileSync(join(figDir, `${name}.svg`), svg);
  const png = await svgToPng(svg);
  if (png) writeFileSync(join(figDir, `${name}.png`), png);
}
if (chosen) {
  const scatter = (c: Candidate, title: string): Panel => ({
    title, xLabel: 'score (seed mean)', yLabel: 'widening gain (points)', yFromZero: false,
    series: (['selection', 'held-out'] as const).map((split, k) => ({
      label: split, scatter: true, color: PALETTE[k],
      points: truth.filter((g) => g.split === split).map((g) => [mean(PROXY.seeds.map((s) => valueOf(c, g, s))), g.widenGain! * 100] as [number, number]).filter(([x]) => Number.isFinite(x)),
    })),
  });
  await writeFigure('scatter', panelsSvg('Score against the measured widening gain, one point per group', [
    scatter(chosen.candidate, `chosen: ${chosen.candidate.id}`), scatter(baseline.candidate, 'width alone'), scatter(paper.candidate, `paper: ${paper.candidate.id}`),
  ], { columns: 3, panelWidth: 340, panelHeight: 240 }));
  for (const norm of [...new Set([chosen.candidate.norm as NormKind, 'outgoing' as NormKind])]) {
    const panels: Panel[] = BASE_VECTORS.filter((v) => v.family === 'cnn').flatMap((v) => v.widths.map((w, gi) => {
      const group = SPACES.cnn.groups[gi].name;
      const t = truth.find((g) => g.vector === v.id && g.group === group);
      return {
        title: `${v.id} ${group}=${w} (${t ? `gain ${(t.widenGain! * 100).toFixed(1)}` : 'no truth'})`,
        xLabel: 'epoch', yLabel: 'variance / mean²', yFromZero: false,
        series: PROXY.seeds.map((s, k) => {
          const tel = telemetryOf(v.id, s, Math.max(...PROXY.lengths))?.find((x) => x.group === group);
          const { epochs, variance } = tel ? varianceSeries(tel, norm) : { epochs: [], variance: [] };
          return { label: `seed ${s}`, color: PALETTE[k], points: epochs.map((e, i) => [e, variance[i]] as [number, number]) };
        }),
      };
    }));
    await writeFigure(`curves-${norm}`, panelsSvg(`${norm} norm: normalised variance over a ${Math.max(...PROXY.lengths)}-epoch proxy, per conv group`, panels, { columns: 4 }));
  }
}

const md: string[] = [];
md.push('# The width signal, measured against widening gains', '');
md.push(`Run by \`npx tsx scripts/experiment-signal.ts\` after \`scripts/experiment-ground-truth.ts\` (ground truth: results/experiments/ground-truth.md, ${truth.length} groups with a measured gain).`);
md.push(`Proxy trainings: the base vector itself, Fashion-MNIST, ${PROXY.maxTrain} images (the search's proxy size), ${PROXY.lengths.join(' / ')} epochs (each length its own run); recipe of the cnn proxies: ${recipeText(proxyJobs.find((j) => j.vector.family === 'cnn')!.task.recipe)}; mlp: ${recipeText(proxyJobs.find((j) => j.vector.family === 'mlp')!.task.recipe)}, records every ${PROXY.recordEvery} steps and at initialisation, proxy seeds ${PROXY.seeds.join(', ')} (the seed also picks the ${PROXY.maxTrain} images).`, '');
md.push(`Selection vectors: ${BASE_VECTORS.filter((v) => v.split === 'selection').map((v) => `${v.id} (${v.widths.join(',')})`).join(', ')}.`);
md.push(`Held-out vectors: ${BASE_VECTORS.filter((v) => v.split === 'held-out').map((v) => `${v.id} (${v.widths.join(',')})`).join(', ')}.`, '');
md.push('Columns (each averaged over the two proxy seeds; a search sees one proxy run):');
md.push('- ρ gain: Spearman correlation of the score with the widening gain, pooled over the split\'s groups; ρ need: the same with the mean of widening gain and narrowing loss;');
md.push('- ρ gain, 2 proxies: the score averaged over both proxy seeds first (what two proxy runs per trial would give);');
md.push('- ρ beyond width: with what log width does not explain of the gain (the residual of a least-squares fit);');
md.push('- ρ within: mean Spearman inside each conv vector (does the score rank a network\'s own groups?);');
md.push(`- labels: DS from a threshold fitted on the selection groups (too narrow = widening gains at least ${(TOO_NARROW_GAIN * 100).toFixed(1)} points, fixed before the runs), with an undetermined band of half the median seed-to-seed difference either side; accuracy over determined labels; determined (conv groups); seed agreement.`, '');
const header = '| candidate | sel ρ gain | sel ρ need | held ρ gain | held ρ gain, 2 proxies | held ρ need | held ρ beyond width | held ρ within | held label acc | held determined (conv) | held seed agreement |';
const line = (r: (typeof rows)[number]) => `| ${r.candidate.id} | ${f(r.selection.rhoGain)} | ${f(r.selection.rhoNeed)} | ${f(r.heldOut.rhoGain)} | ${f(r.heldOut.rhoGainTwoSeeds)} | ${f(r.heldOut.rhoNeed)} | ${f(r.heldOut.rhoBeyondWidth)} | ${f(r.heldOut.rhoWithinConv)} | ${pct(r.heldOut.labelAccuracy)} | ${pct(r.heldOut.determinedConv)} | ${pct(r.heldOut.seedAgreement)} |`;
md.push('## Key rows', '', header, '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
if (chosen) md.push(line(chosen).replace(/^\| /, '| **chosen**: '));
md.push(line(baseline), line(paper).replace(/^\| /, '| paper\'s code: '), line(current).replace(/^\| /, '| previous default: '), '');
if (chosen) {
  const b = chosen.band;
  md.push(`Chosen: norm \`${chosen.candidate.norm}\` (${NORM_KINDS[chosen.candidate.norm as NormKind].description}), score \`${chosen.candidate.score}\` (${SCORES[chosen.candidate.score as ScoreName].description}), at ${chosen.candidate.epochs} proxy epochs. Labels: DS from ${f(b.dsFrom, 3)}, IS up to ${f(b.isUpTo, 3)}.`, '');
}
if (chosen) {
  md.push('## The chosen signal, group by group', '');
  md.push(`Scores and labels of \`${chosen.candidate.id}\` under each proxy seed, beside the measured gains (points; ± standard error over ground-truth seeds).`, '');
  md.push('| vector (split) | group | width | widening gain | width need | too narrow? | score per proxy seed | labels |', '|---|---|---:|---:|---:|---|---|---|');
  for (const g of truth) {
    const vals = PROXY.seeds.map((s) => valueOf(chosen.candidate, g, s));
    md.push(`| ${g.vector} (${g.split}) | ${g.group} | ${g.width} | ${pts(g.widenGain!)} ± ${(g.widenSe! * 100).toFixed(2)} | ${g.widthNeed === null ? '-' : pts(g.widthNeed)} | ${g.tooNarrow ? 'yes' : 'no'} | ${vals.map((v) => f(v)).join(' / ')} | ${vals.map((v) => labelFromScore(v, chosen.band).label).join(' / ')} |`);
  }
  md.push('');
}
md.push('## Best of each norm kind (by selection ρ gain)', '', header, '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const norm of NORM_KIND_NAMES) {
  const best = eligible.find((r) => r.candidate.norm === norm) ?? rows.filter((r) => r.candidate.norm === norm).sort((a, b) => (b.selection.rhoGain || -9) - (a.selection.rhoGain || -9))[0];
  if (best) md.push(line(best));
}
md.push('', '## Every candidate', '', header, '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) md.push(line(r));
md.push('', '## Figures', '', '![scatter](signal/scatter.png)', '');
if (chosen) md.push(`![chosen norm curves](signal/curves-${chosen.candidate.norm}.png)`, '');
md.push('![outgoing norm curves](signal/curves-outgoing.png)', '');
// The reading is written by hand after looking at the numbers, and kept across re-renders.
const readingFile = join(outDir, 'signal', 'reading.md');
if (existsSync(readingFile)) md.push(readFileSync(readingFile, 'utf8'));
writeFileSync(join(outDir, 'signal.md'), md.join('\n'));
process.stderr.write(`wrote ${join(outDir, 'signal.md')}${chosen ? `; chosen ${chosen.candidate.id}` : ''}\n`);
