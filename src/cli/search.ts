import type { Argv } from 'yargs';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { DataSpec, SearchSummary, TrialResult, TrialTask } from '../core/types.js';
import { spaceCost } from '../cost/cost.js';
import * as tf from '@tensorflow/tfjs';
import { DATASET_NAMES, loadDataset } from '../data/registry.js';
import { loadCheckpoint } from '../export/checkpoint.js';
import { buildOnnxModel } from '../export/onnx.js';
import { checkParity } from '../export/parity.js';
import { searchFigures, searchReportHtml } from '../report/search-report.js';
import { svgToPng } from '../report/svg-plot.js';
import { PoolEvaluator } from '../runtime/pool-evaluator.js';
import { checkBudget, projectToBudget } from '../search/budget.js';
import { SAMPLER_NAMES, type SamplerName } from '../search/samplers.js';
import { Study, type StudyConfig } from '../search/study.js';
import { summaryFromJournal } from '../search/summary.js';
import { baseWidths, loadSpace, parseWidths, resolveNetwork, scaledWidths } from '../space/index.js';
import { kernelBudgets } from '../train/sparse.js';
import { Journal, repairTornTail, replayJournal } from '../storage/journal.js';
import { defaultRecipe } from '../train/trainer.js';
import { writeFileAtomic } from '../storage/files.js';
import { BACKEND_CHOICES, printJson, startBackend } from './shared.js';
import { DEFAULT_SIGNAL, NORM_KIND_NAMES, SCORE_NAMES, type NormKind, type ScoreName } from '../variance/index.js';

/** The options of a search, as stored in its journal; a resumed run starts from them. */
export interface SearchOptions {
  space: string;
  dataset?: string;
  dataDir?: string;
  sampler: SamplerName;
  trials: number;
  workers: number;
  proxyEpochs: number;
  proxyMaxTrain: number;
  finalEpochs: number;
  budgetMacs?: number;
  budgetRatio: number;
  maxParams?: number;
  widths?: string;
  seed: number;
  batchSize: number;
  lr?: number;
  recordEvery: number;
  trialTimeout?: number;
  backend: string;
  compareWideSparse?: boolean;
  wideSparseScale?: number;
  norm?: NormKind;
  score?: ScoreName;
}

export const SEARCH_DEFAULTS: SearchOptions = {
  // Proxy length and record cadence are those the default signal was chosen at (results/experiments/signal.md).
  space: 'cnn-mnist', sampler: 'streamline', trials: 12, workers: availableParallelism(), proxyEpochs: DEFAULT_SIGNAL.proxyEpochs, proxyMaxTrain: 3000,
  finalEpochs: 5, budgetRatio: 1, seed: 0, batchSize: 64, recordEvery: 6, backend: 'auto',
};

const KEYS = Object.keys(SEARCH_DEFAULTS).concat(['dataset', 'dataDir', 'budgetMacs', 'maxParams', 'widths', 'lr', 'trialTimeout', 'compareWideSparse', 'wideSparseScale', 'norm', 'score']) as (keyof SearchOptions)[];

function studyConfig(o: SearchOptions): StudyConfig {
  const space = loadSpace(o.space);
  const base = baseWidths(space);
  const budgetMacs = o.budgetMacs ?? Math.floor(spaceCost(space, base).macs * o.budgetRatio);
  const budget = { macs: budgetMacs, ...(o.maxParams !== undefined ? { params: o.maxParams } : {}) };
  checkBudget(space, budget);
  const start = projectToBudget(space, o.widths ? parseWidths(space, o.widths) : base, budget);
  return {
    space, sampler: o.sampler, trials: o.trials, budget, seed: o.seed, start, roundSize: o.workers,
    data: { name: o.dataset ?? space.dataset, dataDir: o.dataDir, seed: o.seed, maxTrain: o.proxyMaxTrain, validationFraction: 0.1 },
    proxyRecipe: defaultRecipe({ epochs: o.proxyEpochs, batchSize: o.batchSize, seed: o.seed, ...(o.lr !== undefined ? { lr: o.lr } : {}) }),
    recordEvery: o.recordEvery, normKind: o.norm ?? DEFAULT_SIGNAL.norm, score: o.score ?? DEFAULT_SIGNAL.score, backend: o.backend, trialTimeoutSeconds: o.trialTimeout,
  };
}

/** Writes summary.json, report.html and the figures of a run folder from its journal. */
export async function writeReport(runDir: string): Promise<SearchSummary> {
  const replay = replayJournal(join(runDir, 'journal.jsonl'));
  const summary = summaryFromJournal(replay.events, runDir);
  const figures = searchFigures(summary);
  for (const [name, svg] of Object.entries(figures)) {
    writeFileAtomic(join(runDir, name), svg);
    const png = await svgToPng(svg);
    if (png) writeFileAtomic(join(runDir, name.replace(/\.svg$/, '.png')), png);
  }
  writeFileAtomic(join(runDir, 'summary.json'), JSON.stringify(summary, null, 2));
  writeFileAtomic(join(runDir, 'report.html'), searchReportHtml(summary, figures));
  return summary;
}

/** Exports the winner's checkpoint to ONNX and checks it in ONNX Runtime on test inputs. */
async function exportWinner(runDir: string, data: DataSpec) {
  const { model, masks } = await loadCheckpoint(join(runDir, 'winner'));
  try {
    const bytes = buildOnnxModel(model);
    const path = join(runDir, 'winner.onnx');
    writeFileAtomic(path, Buffer.from(bytes));
    const test = (await loadDataset({ ...data, maxTrain: undefined, maxTest: 256 })).test;
    const parity = await checkParity(model, bytes, test.x, test.count);
    return { path, bytes: bytes.length, ...parity };
  } finally {
    model.dispose();
    tf.dispose(Object.values(masks));
  }
}

function formatSeconds(s: number): string {
  return s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

export function searchCommand(yargs: Argv): Argv {
  return yargs.command(
    'search',
    'Search the widths of a space under a MACs budget, then train base and winner fully',
    (y) =>
      y
        .option('space', { type: 'string', describe: `space file or shipped name (default ${SEARCH_DEFAULTS.space})` })
        .option('dataset', { type: 'string', choices: DATASET_NAMES, describe: "dataset (default: the space's)" })
        .option('data-dir', { type: 'string', describe: 'folder of the dataset files' })
        .option('sampler', { type: 'string', choices: SAMPLER_NAMES, describe: 'streamline (IS/DS guided, default), random or evolution' })
        .option('trials', { type: 'number', describe: `maximum proxy trials (default ${SEARCH_DEFAULTS.trials})` })
        .option('workers', { type: 'number', describe: 'worker threads (default: the number of cores)' })
        .option('proxy-epochs', { type: 'number', describe: `epochs of each proxy training (default ${SEARCH_DEFAULTS.proxyEpochs})` })
        .option('proxy-max-train', { type: 'number', describe: `training images per proxy training (default ${SEARCH_DEFAULTS.proxyMaxTrain})` })
        .option('final-epochs', { type: 'number', describe: `epochs of the final training of base and winner (default ${SEARCH_DEFAULTS.finalEpochs})` })
        .option('budget-macs', { type: 'number', describe: 'MACs budget per example' })
        .option('budget-ratio', { type: 'number', describe: 'budget as a fraction of the base MACs (default 1.0)' })
        .option('max-params', { type: 'number', describe: 'cap on parameters' })
        .option('widths', { type: 'string', describe: 'start widths (default: the base widths)' })
        .option('seed', { type: 'number', describe: 'study seed; each trial seed derives from it (default 0)' })
        .option('batch-size', { type: 'number', describe: `batch size (default ${SEARCH_DEFAULTS.batchSize})` })
        .option('lr', { type: 'number', describe: 'base learning rate (default 0.05, SGD with momentum, cosine)' })
        .option('record-every', { type: 'number', describe: `record weight norms every k steps as well as every epoch (default ${SEARCH_DEFAULTS.recordEvery})` })
        .option('norm', { type: 'string', choices: NORM_KIND_NAMES, describe: `norm kind of the width signal (default ${DEFAULT_SIGNAL.norm}, the measured best; see probe --help)` })
        .option('score', { type: 'string', choices: SCORE_NAMES, describe: `score of the width signal (default ${DEFAULT_SIGNAL.score})` })
        .option('trial-timeout', { type: 'number', describe: 'seconds before a proxy trial is stopped and reported failed' })
        .option('backend', { type: 'string', choices: BACKEND_CHOICES, describe: 'tfjs backend (default auto)' })
        .option('compare-wide-sparse', { type: 'boolean', describe: 'also train the wide & sparse network (base widths x --wide-sparse-scale) with the winner\'s nonzero kernel weights' })
        .option('wide-sparse-scale', { type: 'number', describe: 'width scale of that network (default 2)' })
        .option('out', { type: 'string', describe: 'run folder (default results/<space>-<time>)' })
        .option('resume', { type: 'string', describe: 'resume the run in this folder from its journal' })
        .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON on stdout' })
        .example('$0 search', 'the embedded default: cnn-mnist on the bundled digits, a few minutes on 2 cores')
        .example('$0 search --space mlp-mnist --budget-ratio 0.5 --trials 20', 'half the MACs of the base MLP')
        .example('$0 search --resume results/cnn-mnist-20261123-050000', 'carry on after a crash or Ctrl-C'),
    async (args) => {
      if (args.resume && args.out) throw new UsageError('give either --resume or --out, not both');
      const explicit = Object.fromEntries(KEYS.filter((k) => (args as Record<string, unknown>)[k] !== undefined).map((k) => [k, (args as Record<string, unknown>)[k]]));
      let runDir: string;
      let options: SearchOptions;
      let events;
      if (args.resume) {
        runDir = resolve(args.resume);
        const replay = replayJournal(join(runDir, 'journal.jsonl'));
        if (replay.tornLastLine !== undefined) {
          process.stderr.write(`journal: skipped a torn last line (${replay.tornLastLine.length} bytes) left by a crash\n`);
          repairTornTail(join(runDir, 'journal.jsonl'), replay);
        }
        events = replay.events;
        const created = events.find((e) => e.type === 'study-created');
        const stored = (created?.type === 'study-created' ? (created.config as { options?: SearchOptions }).options : undefined) ?? SEARCH_DEFAULTS;
        options = { ...stored, ...explicit } as SearchOptions;
      } else {
        options = { ...SEARCH_DEFAULTS, ...explicit } as SearchOptions;
        const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
        runDir = resolve(args.out ?? join('results', `${loadSpace(options.space).name}-${stamp}`));
        if (existsSync(join(runDir, 'journal.jsonl'))) throw new UsageError(`${runDir} already holds a search journal: use --resume ${runDir}, or another --out`);
      }
      for (const key of ['trials', 'workers', 'proxyEpochs', 'finalEpochs', 'proxyMaxTrain'] as const) {
        if (!(Number.isInteger(options[key]) && options[key] >= 1)) throw new UsageError(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: expected a positive integer, found ${options[key]}`);
      }
      const config = { ...studyConfig(options), options } as StudyConfig & { options: SearchOptions };
      const backend = await startBackend(options.backend as never);
      mkdirSync(runDir, { recursive: true });
      const journal = new Journal(join(runDir, 'journal.jsonl'));
      const pool = new PoolEvaluator({ workers: options.workers, trialTimeoutSeconds: options.trialTimeout });
      const study = new Study(config, pool, journal);
      if (events) study.restore(events);
      else study.create();
      const space = config.space;
      process.stderr.write(`search ${space.name} on ${config.data.name}: ${options.sampler}, up to ${options.trials} trials on ${options.workers} workers (${backend}), budget ${config.budget.macs.toLocaleString('en-US')} MACs; run folder ${runDir}\n`);
      let interrupted = false;
      const onSigint = () => {
        if (interrupted) process.exit(130);
        interrupted = true;
        process.stderr.write('\nstopping: running trials are aborted and will run again on --resume (Ctrl-C again to quit now)\n');
        study.stop();
        void pool.close();
      };
      process.on('SIGINT', onSigint);
      const tty = process.stderr.isTTY;
      const started = performance.now();
      const doneAtStart = study.history.length;
      try {
        await study.run({
          onTrialDone: (p) => {
            const elapsed = (performance.now() - started) / 1000;
            const rate = (p.done - doneAtStart) / Math.max(1, elapsed);
            const left = rate > 0 ? (p.total - p.done) / rate : NaN;
            const best = p.best?.metrics ? `best ${p.best.metrics.validationAccuracy.toFixed(4)} at ${p.best.widths.join(',')}` : 'no success yet';
            const last = p.last.status === 'ok' ? `trial ${p.last.trialId} ${p.last.widths.join(',')} acc ${p.last.metrics!.validationAccuracy.toFixed(4)}` : `trial ${p.last.trialId} failed`;
            const bar = `[${'#'.repeat(Math.round((20 * p.done) / p.total)).padEnd(20, '.')}]`;
            const line = `${bar} ${p.done}/${p.total} trials  ${best}  ${Number.isFinite(left) ? `~${formatSeconds(left)} left (at most)` : ''}`;
            if (tty) process.stderr.write(`\r\x1b[K${line}`);
            else process.stderr.write(`${last}; ${line}\n`);
          },
        });
      } finally {
        process.off('SIGINT', onSigint);
      }
      if (tty) process.stderr.write('\n');
      if (interrupted || study.stopped) {
        journal.close();
        await writeReport(runDir);
        process.stderr.write(`stopped after ${study.history.length} trials; resume with: widthwise search --resume ${runDir}\n`);
        process.exitCode = 130;
        return;
      }
      const best = study.best();
      if (best && study.history.length < options.trials) {
        process.stderr.write(`the ${options.sampler} sampler stopped after ${study.history.length} of ${options.trials} trials${study.samplerStopReason ? `: ${study.samplerStopReason}` : ''}\n`);
      }
      if (!best) {
        await pool.close();
        journal.close();
        throw new UsageError(`every proxy trial failed (see ${join(runDir, 'report.html')}); first reason: ${study.history[0] && (study.results.get(study.history[0].trialId)?.reason ?? '?')}`);
      }
      const have = new Set((events ?? []).filter((e) => e.type === 'final-trained').map((e) => (e as { which: string }).which));
      if (!(events ?? []).some((e) => e.type === 'winner-chosen')) journal.append({ type: 'winner-chosen', trialId: best.trialId, widths: [...best.widths] });
      const finalRecipe = defaultRecipe({ epochs: options.finalEpochs, batchSize: options.batchSize, seed: options.seed, keepBest: true, ...(options.lr !== undefined ? { lr: options.lr } : {}) });
      const winnerKernels = kernelBudgets(resolveNetwork(space, [...best.widths])).reduce((n, l) => n + l.weights, 0);
      const finals: { which: 'base' | 'winner' | 'wide-sparse'; widths: number[]; sparseNonzero?: number }[] = [
        { which: 'base' as const, widths: baseWidths(space) },
        { which: 'winner' as const, widths: [...best.widths] },
        ...(options.compareWideSparse ? [{ which: 'wide-sparse' as const, widths: scaledWidths(space, options.wideSparseScale ?? 2), sparseNonzero: winnerKernels }] : []),
      ].filter((f) => !have.has(f.which));
      if (finals.length) process.stderr.write(`final training (${options.finalEpochs} epochs, all training data): ${finals.map((f) => `${f.which} ${f.widths.join(',')}`).join('; ')}\n`);
      await Promise.all(finals.map(async (f, i) => {
        const task: TrialTask = {
          trialId: 1_000_000 + i, space, widths: f.widths, seed: options.seed, backend: options.backend,
          data: { ...config.data, maxTrain: undefined }, recipe: finalRecipe, saveTo: join(runDir, f.which),
          ...(f.sparseNonzero !== undefined ? { sparseNonzero: f.sparseNonzero } : {}),
        };
        const result: TrialResult = await pool.evaluate(task, (e) => {
          if (e.kind === 'epoch') process.stderr.write(`  ${f.which}: epoch ${e.epoch}/${e.epochs} loss ${e.loss?.toFixed(4)}\n`);
        });
        journal.append({ type: 'final-trained', which: f.which, result: { ...result, telemetry: undefined } });
      }));
      await pool.close();
      if (!have.has('onnx')) {
        try {
          const onnx = await exportWinner(runDir, config.data);
          journal.append({ type: 'final-trained', which: 'onnx', result: onnx });
          process.stderr.write(`ONNX: ${onnx.path} (${onnx.bytes.toLocaleString('en-US')} bytes); ONNX Runtime vs tfjs on ${onnx.examples} test inputs: max |difference| ${onnx.maxAbsDiff.toExponential(2)}, argmax agreement ${(100 * onnx.argmaxAgreement).toFixed(1)}%\n`);
        } catch (err) {
          process.stderr.write(`ONNX export failed: ${(err as Error).message}\n`);
        }
      }
      journal.append({ type: 'study-finished' });
      journal.close();
      const summary = await writeReport(runDir);
      if (args.json) {
        printJson(summary);
        return;
      }
      const row = (name: string, m?: { widths: number[]; params: number; macs: number; validationAccuracy: number; testAccuracy: number }) =>
        m ? `${name.padEnd(7)} ${m.widths.join(',').padEnd(24)} ${m.params.toLocaleString('en-US').padStart(11)} ${m.macs.toLocaleString('en-US').padStart(14)}  ${m.validationAccuracy.toFixed(4)}  ${m.testAccuracy.toFixed(4)}` : `${name}: not trained`;
      console.log(`${'model'.padEnd(7)} ${'widths'.padEnd(24)} ${'params'.padStart(11)} ${'MACs'.padStart(14)}  val acc test acc`);
      console.log(row('base', summary.base));
      console.log(row('winner', summary.winner));
      if (summary.wideSparse) console.log(`${row('w&s', summary.wideSparse)}  (${summary.wideSparse.nonzeroWeights?.toLocaleString('en-US')} nonzero weights)`);
      console.log(`\n${summary.trials} trials (${summary.failedTrials} failed); report: ${join(runDir, 'report.html')}`);
    },
  );
}

export function reportCommand(yargs: Argv): Argv {
  return yargs.command(
    'report <run-dir>',
    'Rebuild summary.json, report.html and the figures of a search run from its journal',
    (y) => y.positional('run-dir', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false }),
    async (args) => {
      const summary = await writeReport(args.runDir);
      if (args.json) printJson(summary);
      else console.log(`wrote ${join(args.runDir, 'report.html')} (${summary.trials} trials${summary.finished ? '' : ', run not finished'})`);
    },
  );
}
