/**
 * The search benchmark: does streamline beat uniform width scaling and random search at the same
 * budget and the same number of proxy trainings? For each start (the balanced base, the inverted
 * and the flat conv networks, the base and the inverted MLP) at fractions of its MACs, on
 * Fashion-MNIST, for each study seed:
 *   uniform scaling (no search), streamline, random and evolution with N proxy trainings each,
 *   and random with 3N.
 * Every winner is then trained with the ground truth's recipe over 3 seeds. Searches are run
 * folders under results/benchmark-runs/ (a rerun resumes or reuses them); final trainings are cached
 * by their settings (shared with the ground truth's cache), so a rerun only adds what is missing.
 * Cells run study-seed-major, then budget by budget, then start by start, and the report is
 * rewritten after each cell from everything cached so far: a run cut short still reports.
 * Writes results/experiments/benchmark.md, benchmark/benchmark.json and a figure.
 *
 *   npx tsx scripts/benchmark-search.ts [--trials 8] [--ratios 0.5,1] [--study-seeds 0,1]
 *        [--starts balanced,inverted,flat,mlp-base,mlp-inverted] [--render-only]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WidthVector } from '../src/core/shapes.js';
import { mean, sampleStd } from '../src/core/stats.js';
import { spaceCost } from '../src/cost/cost.js';
import { SearchRun } from '../src/pipeline/search-run.js';
import { finalChooser, studyWinner, summaryFromJournal } from '../src/pipeline/summary-from-journal.js';
import type { SearchSummary } from '../src/report/search-summary.js';
import { PALETTE, panelsSvg, svgToPng } from '../src/report/svg-plot.js';
import { PoolEvaluator } from '../src/runtime/pool-evaluator.js';
import { uniformScaling } from '../src/search/uniform-scaling.js';
import { readRunJournal } from '../src/pipeline/run-events.js';
import type { TrialResult } from '../src/trial/result.js';
import { numberArg, scriptArgs } from './lib/args.js';
import { GROUND_TRUTH_SEEDS, GROUND_TRUTH_TRAINING, LEARNING_RATE, SPACES, groundTruthTask } from './lib/ground-truth-set.js';
import { recipeText } from './lib/recipe-text.js';
import { TrialCache } from './lib/trial-cache.js';

const STARTS = [
  { id: 'balanced', family: 'cnn', space: 'cnn-mnist', widths: [16, 32, 64, 64] },
  { id: 'inverted', family: 'cnn', space: 'cnn-mnist-inverted', widths: [64, 32, 16, 16] },
  { id: 'flat', family: 'cnn', space: 'cnn-mnist-flat', widths: [32, 32, 32, 32] },
  { id: 'mlp-base', family: 'mlp', space: 'mlp-mnist', widths: [256, 128] },
  { id: 'mlp-inverted', family: 'mlp', space: 'mlp-mnist-inverted', widths: [32, 256] },
] as const;
type Start = (typeof STARTS)[number];

const usage = 'npx tsx scripts/benchmark-search.ts [--trials 8] [--ratios 0.5,1] [--study-seeds 0,1] [--starts ' + STARTS.map((s) => s.id).join(',') + '] [--render-only]';
const args = scriptArgs({
  trials: { type: 'string', default: '8' },
  ratios: { type: 'string', default: '0.5,1' },
  'study-seeds': { type: 'string', default: '0,1' },
  starts: { type: 'string', default: STARTS.map((s) => s.id).join(',') },
  'render-only': { type: 'boolean', default: false },
  searches: { type: 'string', default: 'model,model-prior-off,streamline,random,evolution,random-x3' },
}, usage);
const list = (text: string, name: string) => text.split(',').map((v) => numberArg(v, name));
const trials = numberArg(args.trials, 'trials');
const ratios = list(args.ratios, 'ratios');
const studySeeds = list(args['study-seeds'], 'study-seeds');
const chosenStarts = args.starts.split(',').map((id) => {
  const s = STARTS.find((x) => x.id === id);
  if (!s) throw new Error(`--starts: unknown start ${JSON.stringify(id)}; known: ${STARTS.map((x) => x.id).join(', ')}`);
  return s;
});
const renderOnly = args['render-only'];

const outDir = 'results/experiments';
const dataDir = join(outDir, 'benchmark');
const runsDir = 'results/benchmark-runs';
mkdirSync(dataDir, { recursive: true });

const SEARCHES = [
  { id: 'model', sampler: 'model' as const, prior: 'on' as const, trials },
  { id: 'model, prior off', sampler: 'model' as const, prior: 'off' as const, trials },
  { id: 'streamline', sampler: 'streamline' as const, trials },
  { id: 'random', sampler: 'random' as const, trials },
  { id: 'evolution', sampler: 'evolution' as const, trials },
  { id: 'random x3', sampler: 'random' as const, trials: 3 * trials },
];
/** The searches this invocation computes (--searches), the others are only reported. */
const computed = args.searches.split(',').map((id) => {
  const s = SEARCHES.find((x) => x.id.replace(/[ ,]+/g, '-') === id);
  if (!s) throw new Error(`--searches: unknown search ${JSON.stringify(id)}; known: ${SEARCHES.map((x) => x.id.replace(/[ ,]+/g, '-')).join(', ')}`);
  return s;
});
/** Every budget and study seed the report shows, whatever this invocation computes. */
const REPORT_RATIOS = [0.5, 1];
const REPORT_SEEDS = [0, 1, 2];

/**
 * Winners of searches whose run folders are gone (results/benchmark-runs/ is not committed), read
 * from the benchmark.json a previous run committed, by cell, method and study seed; each render
 * writes them back, so they survive reruns.
 */
const committed = new Map<string, SearchOutcome>();
{
  const file = join('results/experiments/benchmark', 'benchmark.json');
  if (existsSync(file)) {
    const old = JSON.parse(readFileSync(file, 'utf8')) as { cells: { start: string; ratio: number; rows: { method: string; proxyTrainings: number; perSeed: ({ widths: number[]; seconds: number; proxyAccuracy?: number } | null)[] }[] }[] };
    for (const cell of old.cells) for (const row of cell.rows) row.perSeed.forEach((x, seed) => {
      if (x && x.proxyAccuracy !== undefined) committed.set(`${cell.start}|${cell.ratio}|${row.method}|${seed}`, { widths: x.widths, proxyTrainings: row.proxyTrainings, seconds: x.seconds, proxyAccuracy: x.proxyAccuracy });
    });
  }
}

const cost = (start: Start, w: readonly number[]) => spaceCost(SPACES[start.family], [...w]);
const budgetOf = (start: Start, ratio: number) => ({ macs: Math.floor(cost(start, start.widths).macs * ratio) });
/** Study seed 0 keeps the folder names of the first benchmark, so its searches are reused. */
const runDir = (start: Start, ratio: number, search: (typeof SEARCHES)[number], seed: number) =>
  join(runsDir, `${start.id}-${ratio}-${search.id.replace(/[ ,]+/g, '')}-${search.trials}${seed ? `-s${seed}` : ''}`);

/** One search's outcome: its winner and what it cost. */
interface SearchOutcome { widths: WidthVector; proxyTrainings: number; seconds: number; proxyAccuracy: number }

/** Wall-clock seconds from the first trial started to the last trial finished in the journal. */
function searchSeconds(events: readonly { type: string; at?: string }[]): number {
  const times = events.filter((e) => (e.type === 'trial-started' || e.type === 'trial-finished') && e.at).map((e) => Date.parse(e.at!));
  return times.length ? (Math.max(...times) - Math.min(...times)) / 1000 : NaN;
}

function outcomeOf(summary: SearchSummary, seconds: number, events: Parameters<typeof studyWinner>[0]): SearchOutcome | undefined {
  const ok = summary.history.filter((t) => t.status === 'ok' && t.validationAccuracy !== undefined);
  if (!ok.length) return undefined;
  // What the search hands over: the sampler's recommendation (the model's best estimate), else the best proxy.
  const winner = studyWinner(events);
  const best = ok.find((t) => t.trialId === winner?.trialId) ?? ok.reduce((a, b) => ((b.validationAccuracy ?? 0) > (a.validationAccuracy ?? 0) ? b : a));
  return { widths: best.widths, proxyTrainings: summary.trials, seconds, proxyAccuracy: best.validationAccuracy! };
}

/** A finished search from its folder, or undefined when it has not run. */
function readSearch(dir: string, committedKey?: string): SearchOutcome | undefined {
  const journal = join(dir, 'journal.jsonl');
  if (!existsSync(journal)) return committedKey ? committed.get(committedKey) : undefined;
  const { events } = readRunJournal(journal);
  return outcomeOf(summaryFromJournal(events, dir), searchSeconds(events as { type: string; at?: string }[]), events);
}

/** The committed-winner key of a search (see `committed`). */
const committedKey = (start: Start, ratio: number, search: (typeof SEARCHES)[number], seed: number) => `${start.id}|${ratio}|${search.id} (${search.trials})|${seed}`;

async function runSearch(start: Start, ratio: number, search: (typeof SEARCHES)[number], seed: number): Promise<void> {
  const dir = runDir(start, ratio, search, seed);
  const journal = join(dir, 'journal.jsonl');
  const options = {
    space: start.space, dataset: 'fashion-mnist', sampler: search.sampler, ...('prior' in search ? { prior: search.prior } : {}), trials: search.trials, workers: 2, proxyEpochs: 3, proxyMaxTrain: 3000,
    budgetMacs: budgetOf(start, ratio).macs, seed, batchSize: 64, backend: 'wasm',
    // The MLP trains erratically at the search's default lr (see LEARNING_RATE): its proxies use its own.
    ...(start.family === 'mlp' ? { lr: LEARNING_RATE.mlp } : {}),
  };
  // A run folder that exists is resumed: its finished trials are kept, only what is left runs.
  const run = existsSync(journal) ? SearchRun.open({ resume: dir, studyOnly: true }) : SearchRun.open({ out: dir, studyOnly: true, options });
  await run.execute({ onTrialDone: (p) => process.stderr.write(`seed ${seed} ${start.id} ${ratio}x ${search.id}: ${p.done}/${p.total} ${p.last.widths.join(',')} ${p.last.metrics?.validationAccuracy.toFixed(4) ?? p.last.status}\n`) });
}

// Final trainings: the ground truth's recipe and cache, so a network it trained is not trained again.
const cache = new TrialCache(join(outDir, 'ground-truth', 'cache'), ['telemetry', 'groupTelemetry']);
const finalTasks = (start: Start, widths: readonly number[]) => GROUND_TRUTH_SEEDS.map((seed, i) => ({ ...groundTruthTask(start.family, [...widths], seed, 0), trialId: i }));
let pool: PoolEvaluator | undefined;
async function trainFinals(start: Start, widthSets: readonly (readonly number[])[]): Promise<void> {
  const keys = [...new Set(widthSets.map((w) => w.join(',')))];
  const tasks = keys.flatMap((k) => finalTasks(start, k.split(',').map(Number)));
  tasks.forEach((t, i) => (t.trialId = i));
  pool ??= new PoolEvaluator({ workers: 2 });
  await cache.runAll(pool, tasks, (t) => `final ${start.id} ${t.widths.join(',')} seed ${t.seed}`);
}
/** Whether a network's final trainings are all done (only those are compared). */
const allFinals = (x?: { length: number }) => x?.length === GROUND_TRUTH_SEEDS.length;
/** Test and validation accuracy of each final seed's training that is cached, in seed order. */
const finalMetrics = (start: Start, widths: readonly number[]) =>
  finalTasks(start, widths).map((t) => cache.get(t)).filter((r): r is TrialResult => !!r?.metrics).map((r) => ({ test: r.metrics!.testAccuracy, validation: r.metrics!.validationAccuracy }));
const finalAccuracies = (start: Start, widths: readonly number[]): number[] => finalMetrics(start, widths).map((m) => m.test);

/**
 * Streamline's winner checked against uniform scaling on the final trainings' validation split:
 * `search` trains both with the final recipe anyway, so keeping the one with the better validation
 * accuracy costs nothing. Per final seed (one final training each, as `search` does), the test
 * accuracy of the network that seed's validation accuracy picks.
 */
function checkedAgainstUniform(start: Start, winner: readonly number[], uniform: readonly number[]): { accs: number[]; keptUniform: number } {
  const w = finalMetrics(start, winner), u = finalMetrics(start, uniform);
  if (!allFinals(w) || !allFinals(u)) return { accs: [], keptUniform: 0 };
  const pick = w.map((m, k) => (m.validation >= u[k].validation ? m : u[k]));
  return { accs: pick.map((m) => m.test), keptUniform: pick.filter((m, k) => m !== w[k]).length };
}

/**
 * The model's winner checked against uniform scaling as `search` does it: per final seed, the
 * model weighs the two final validations against its proxy results (`finalChooser`).
 */
function checkedByModel(start: Start, dir: string, winner: readonly number[], uniform: readonly number[]): { accs: number[]; keptUniform: number } {
  const w = finalMetrics(start, winner), u = finalMetrics(start, uniform);
  const journal = join(dir, 'journal.jsonl');
  if (!allFinals(w) || !allFinals(u) || !existsSync(journal)) return { accs: [], keptUniform: 0 };
  const choose = finalChooser(readRunJournal(journal).events);
  if (winner.join(',') === uniform.join(',') || !choose) return { accs: w.map((m) => m.test), keptUniform: 0 };
  const pick = w.map((m, k) => (choose([{ widths: winner, validationAccuracy: m.validation }, { widths: uniform, validationAccuracy: u[k].validation }]) === 1 ? u[k] : m));
  return { accs: pick.map((m) => m.test), keptUniform: pick.filter((m, k) => m !== w[k]).length };
}

// ---- report ----
interface Row { method: string; proxyTrainings: number; perSeed: ({ widths: WidthVector; macs: number; params: number; accs: number[]; seconds: number; proxyAccuracy?: number; note?: string } | undefined)[] }

function cellRows(start: Start, ratio: number): Row[] {
  const uniform = uniformScaling(SPACES[start.family], [...start.widths], budgetOf(start, ratio));
  const entry = (widths: WidthVector, seconds: number) => ({ widths, ...cost(start, widths), accs: finalAccuracies(start, widths), seconds });
  const rows: Row[] = [];
  if (uniform) {
    const same = uniform.widths.join(',') === start.widths.join(',');
    // No search: the same network for every study seed.
    rows.push({ method: same ? 'uniform scaling (= the start)' : 'uniform scaling', proxyTrainings: 0, perSeed: REPORT_SEEDS.map(() => entry(uniform.widths, 0)) });
  }
  for (const search of SEARCHES) {
    const perSeed = REPORT_SEEDS.map((seed) => {
      const o = readSearch(runDir(start, ratio, search, seed), committedKey(start, ratio, search, seed));
      return o ? { ...entry(o.widths, o.seconds), proxyTrainings: o.proxyTrainings, proxyAccuracy: o.proxyAccuracy } : undefined;
    });
    if (!perSeed.some((x) => x)) continue;
    rows.push({ method: `${search.id} (${search.trials})`, proxyTrainings: Math.max(...perSeed.map((x) => x?.proxyTrainings ?? 0)), perSeed });
    // One final check for every method, the one `search` runs for it: the model weighs the two final
    // validations against its proxies; the others keep the better final validation.
    if (uniform) {
      rows.push({
        method: `${search.id}, checked against uniform (${search.trials})`, proxyTrainings: rows[rows.length - 1].proxyTrainings,
        perSeed: perSeed.map((x, i) => {
          if (!x) return undefined;
          const { accs, keptUniform } = search.sampler === 'model'
            ? checkedByModel(start, runDir(start, ratio, search, REPORT_SEEDS[i]), x.widths, uniform.widths)
            : checkedAgainstUniform(start, x.widths, uniform.widths);
          return { ...x, accs, note: `uniform kept by ${keptUniform} of ${accs.length} final seeds` };
        }),
      });
    }
  }
  return rows;
}

const pts = (xs: number[]) => (xs.length ? `${(mean(xs) * 100).toFixed(2)} ± ${(sampleStd(xs) * 100).toFixed(2)}` : '-');
/** Mean over study seeds of each seed's mean final accuracy (only seeds with all their finals). */
const seedMeans = (row: Row) => row.perSeed.filter((x) => allFinals(x?.accs)).map((x) => mean(x!.accs));
const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;

async function render(): Promise<void> {
  const md: string[] = ['# Search benchmark: the model sampler and streamline against uniform scaling, random search and evolution', ''];
  md.push(`Run by \`${usage.replace(' [--render-only]', '')}\` (defaults: 8 trials, budgets 0.5 and 1 x each start's MACs; study seeds 0, 1 and 2; searches whose run folders are gone are read from the committed benchmark.json). Fashion-MNIST. Searches: proxy trainings of 3 epochs on 3,000 images (the search's defaults; the MLP starts at lr ${LEARNING_RATE.mlp}, the conv starts at the default), 2 workers, the default signal; a search's winner is its best proxy validation accuracy. Search seconds are wall clock on this 2-core machine while other jobs ran: compare within a table only.`);
  md.push(`Every network is then trained with the ground truth's recipe (${recipeText(groundTruthTask('cnn', [...STARTS[0].widths], 0, 0).recipe)}; lr ${LEARNING_RATE.mlp} for the MLPs; ${GROUND_TRUTH_TRAINING.maxTrain} images), final seeds ${GROUND_TRUTH_SEEDS.join(', ')}. Per study seed: the winner's widths, its proxy validation accuracy (what the search maximised; one 3-epoch training) and its test accuracy, mean ± sample std over the final seeds, in points. "mean" is the mean over study seeds.`, '');
  const summaryLines: string[] = ['## At a glance: differences in test accuracy, points', '', 'Test accuracy: mean ± standard error over study seeds of the paired differences (each study seed\'s difference averaged over the final seeds). "checked": after the final check against uniform scaling, the same for every method (the model weighs the final validations against its proxies, the others keep the better final validation), as `search` does. "The same on proxy val.": the difference between the two winners\' proxy validation accuracies (mean over study seeds), the objective the searches maximised.', '', '| start | budget | streamline − uniform (unchecked) | streamline − uniform | streamline − random (same trainings) | the same on proxy val. | streamline − random x3 | streamline − evolution |', '|---|---|---:|---:|---:|---:|---:|---:|'];
  const modelLines: string[] = ['## The model sampler (the default) at a glance: differences in test accuracy, points', '', 'Paired as above. "checked": the model\'s winner after the final check that `search` does (the model weighs the final validations against its proxy results). "prior on − off": the variance signal as the model\'s prior against no prior, same study seeds.', '', '| start | budget | model − uniform (unchecked) | model − uniform | model − random (same trainings) | model − random x3 | model − evolution | model − streamline | prior on − off |', '|---|---|---:|---:|---:|---:|---:|---:|---:|'];
  const tally = { on: { vsRandom3: 0, vsEvolution: 0, cells: 0, worstVsUniform: Infinity }, off: { vsRandom3: 0, vsEvolution: 0, cells: 0, worstVsUniform: Infinity } };
  const json: unknown[] = [];
  const figurePanels = [];
  for (const start of STARTS) for (const ratio of REPORT_RATIOS) {
    const rows = cellRows(start, ratio);
    if (rows.every((r) => r.proxyTrainings === 0)) continue;
    json.push({ start: start.id, ratio, rows });
    const startCost = cost(start, start.widths);
    md.push(`## ${start.id} start ${start.widths.join(',')} at ${ratio}x (${startCost.macs.toLocaleString('en-US')} MACs; budget ${budgetOf(start, ratio).macs.toLocaleString('en-US')})`, '');
    md.push(`| method | proxy trainings | ${REPORT_SEEDS.map((s) => `study seed ${s}: widths, MACs, params, seconds | proxy val. | test accuracy`).join(' | ')} | mean |`);
    md.push(`|---|---:|${REPORT_SEEDS.map(() => '---|---:|---:').join('|')}|---:|`);
    for (const r of rows) {
      const proxy = (x: { proxyAccuracy?: number }) => (x.proxyAccuracy !== undefined ? (x.proxyAccuracy * 100).toFixed(2) : '-');
      const cells = r.perSeed.map((x) => (x ? `${x.note ?? `${x.widths.join(',')}; ${x.macs.toLocaleString('en-US')}; ${x.params.toLocaleString('en-US')}; ${r.proxyTrainings ? `${Math.round(x.seconds)} s` : '-'}`} | ${proxy(x)} | ${pts(x.accs)}` : '- | - | -'));
      const m = seedMeans(r);
      md.push(`| ${r.method} | ${r.proxyTrainings} | ${cells.join(' | ')} | ${m.length ? (mean(m) * 100).toFixed(2) : '-'} |`);
    }
    md.push('');
    const of = (prefix: string) => rows.find((r) => r.method.startsWith(prefix));
    const diff = (a?: Row, b?: Row) => {
      if (!a || !b) return '-';
      // Paired by study seed and final seed (a final seed fixes the initial weights' stream and the
      // batch order for both networks), averaged over final seeds: the study seed is the unit that
      // repeats, so the standard error is over study seeds (none with one seed).
      const d = REPORT_SEEDS.map((_, i) => [a.perSeed[i], b.perSeed[i]]).filter(([x, y]) => allFinals(x?.accs) && allFinals(y?.accs)).map(([x, y]) => mean(x!.accs.map((v, k) => v - y!.accs[k])));
      if (!d.length) return '-';
      const m = mean(d) * 100;
      return d.length > 1 ? `${signed(m)} ± ${((sampleStd(d) * 100) / Math.sqrt(d.length)).toFixed(2)} (${d.length} seeds)` : `${signed(m)} (1 seed, no se)`;
    };
    // The same comparison on the objective the searches were given: the winner's proxy accuracy.
    const proxyDiff = (a?: Row, b?: Row) => {
      const d = REPORT_SEEDS.map((_, i) => [a?.perSeed[i]?.proxyAccuracy, b?.perSeed[i]?.proxyAccuracy]).filter(([x, y]) => x !== undefined && y !== undefined).map(([x, y]) => (x! - y!) * 100);
      return d.length ? signed(mean(d)) : '-';
    };
    // Every method after the same final check against uniform scaling.
    const checked = (id: string) => of(`${id}, checked`);
    modelLines.push(`| ${start.id} | ${ratio}x | ${diff(of('model ('), of('uniform'))} | ${diff(checked('model'), of('uniform'))} | ${diff(checked('model'), checked('random'))} | ${diff(checked('model'), checked('random x3'))} | ${diff(checked('model'), checked('evolution'))} | ${diff(checked('model'), checked('streamline'))} | ${diff(checked('model'), checked('model, prior off'))} |`);
    {
      const m = (p: string) => { const r = of(p); const v = r ? seedMeans(r) : []; return v.length ? mean(v) : undefined; };
      const r3 = m('random x3, checked'), evo = m('evolution, checked'), uni = m('uniform');
      for (const [variant, model] of [['on', m('model, checked')], ['off', m('model, prior off, checked')]] as const) {
        if (model === undefined || r3 === undefined || evo === undefined) continue;
        const t = tally[variant];
        t.cells++;
        if (model >= r3) t.vsRandom3++;
        if (model >= evo) t.vsEvolution++;
        if (uni !== undefined) t.worstVsUniform = Math.min(t.worstVsUniform, (model - uni) * 100);
      }
    }
    summaryLines.push(`| ${start.id} | ${ratio}x | ${diff(of('streamline ('), of('uniform'))} | ${diff(checked('streamline'), of('uniform'))} | ${diff(checked('streamline'), checked('random'))} | ${proxyDiff(of('streamline ('), of('random ('))} | ${diff(checked('streamline'), checked('random x3'))} | ${diff(checked('streamline'), checked('evolution'))} |`);
    figurePanels.push({
      title: `${start.id} ${ratio}x`, xLabel: 'MACs', yLabel: 'test accuracy', yFromZero: false,
      series: rows.map((r, i) => ({
        label: r.method, scatter: true, color: PALETTE[i % PALETTE.length],
        points: r.perSeed.filter((x) => x?.accs.length).map((x) => [x!.macs, mean(x!.accs)] as [number, number]),
      })).filter((s) => s.points.length),
    });
  }
  for (const [variant, t] of Object.entries(tally)) {
    modelLines.push(`${variant === 'on' ? '\n' : ''}- Prior ${variant}: in ${t.cells} cells, the checked model's mean (over study seeds) is at least random x3's in ${t.vsRandom3} and at least evolution's in ${t.vsEvolution}; its worst cell against uniform scaling: ${Number.isFinite(t.worstVsUniform) ? signed(t.worstVsUniform) : '-'} points.`);
  }
  modelLines.push('');
  md.splice(5, 0, ...modelLines, ...summaryLines, '');
  writeFileSync(join(dataDir, 'benchmark.json'), JSON.stringify({ trials, training: GROUND_TRUTH_TRAINING, finalSeeds: GROUND_TRUTH_SEEDS, cells: json }, null, 1));
  if (figurePanels.length) {
    const svg = panelsSvg('Test accuracy against MACs (mean over final seeds; one point per study seed)', figurePanels, { columns: 4, panelWidth: 330, panelHeight: 250 });
    writeFileSync(join(dataDir, 'accuracy-macs.svg'), svg);
    const png = await svgToPng(svg);
    if (png) writeFileSync(join(dataDir, 'accuracy-macs.png'), png);
    md.push('![accuracy against MACs](benchmark/accuracy-macs.png)', '');
  }
  const reading = join(dataDir, 'reading.md');
  if (existsSync(reading)) md.push(readFileSync(reading, 'utf8'));
  writeFileSync(join(outDir, 'benchmark.md'), md.join('\n'));
  process.stderr.write(`wrote ${join(outDir, 'benchmark.md')}\n`);
}

// ---- compute: study-seed-major, then budget, then start; the report after every cell ----
if (!renderOnly) {
  for (const seed of studySeeds) for (const ratio of ratios) for (const start of chosenStarts) {
    for (const search of computed) if (!committed.has(committedKey(start, ratio, search, seed))) await runSearch(start, ratio, search, seed);
    const winners = SEARCHES.map((s) => readSearch(runDir(start, ratio, s, seed), committedKey(start, ratio, s, seed))?.widths).filter((w): w is WidthVector => !!w);
    const uniform = uniformScaling(SPACES[start.family], [...start.widths], budgetOf(start, ratio));
    await trainFinals(start, [...(uniform ? [uniform.widths] : []), ...winners]);
    await render();
  }
  await pool?.close();
}
await render();
