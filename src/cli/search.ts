/** `widthwise search` and `widthwise report`: options in, the search pipeline's progress out. */
import type { Argv } from 'yargs';
import { join } from 'node:path';
import type { OptionTable } from '../core/option-table.js';
import { SEARCH_OPTION_KEYS, SEARCH_OPTION_TABLE, type SearchOptions } from '../pipeline/search-options.js';
import { SearchRun, type SearchRunObserver } from '../pipeline/search-run.js';
import { redactRedisUrl } from '../runtime/queue-connection.js';
import { distinctTrainings } from '../pipeline/final-trainings.js';
import { writeSearchReport } from '../pipeline/write-report.js';
import type { ModelSummary } from '../report/search-summary.js';
import { COMMANDS } from './command-list.js';
import { withOptions } from './options/declare.js';
import { backendLine, printJson } from './shared.js';
import { printingLoadHooks } from './data-progress.js';

/** `search`'s options: the search's own (stored in its journal) and the command line's. */
export const SEARCH_CLI_OPTIONS = {
  ...SEARCH_OPTION_TABLE,
  queue: { type: 'string', describe: 'train the proxy trials on `widthwise worker`s through this Redis: redis://[user:pass@]host:port[/db] (not stored; give it again on --resume)' },
  'queue-worker-timeout': { type: 'number', above: 0, unit: 'seconds', describe: 'with --queue: seconds with trials waiting and no worker before the search stops (default 60)' },
  'queue-redis-timeout': { type: 'number', above: 0, unit: 'seconds', describe: 'with --queue: seconds Redis may be unreachable, with trials waiting on it, before the search stops with exit 1 (default 120; --resume goes on once it is back)' },
  // --out is checked by the run itself (its default is known only once the space is loaded).
  out: { type: 'string', describe: 'run folder (default results/<space>-<time>)' },
  resume: { type: 'string', describe: 'resume the run in this folder from its journal' },
  json: { type: 'boolean', default: false, describe: 'print the summary as JSON on stdout' },
} as const satisfies OptionTable;

/** `report`'s options. */
export const REPORT_OPTIONS = {
  json: { type: 'boolean', default: false, describe: 'print the summary as JSON on stdout' },
} as const satisfies OptionTable;

function formatSeconds(s: number): string {
  return s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** The progress lines of a search on stderr: one updating bar on a terminal, one line per trial otherwise. */
function progressPrinter(options: SearchOptions): SearchRunObserver {
  const tty = process.stderr.isTTY;
  const started = performance.now();
  let doneAtStart = 0;
  const data = printingLoadHooks();
  return {
    onDataProgress: data.onProgress,
    onDataNote: data.onNote,
    onEvaluatorMessage: (line) => process.stderr.write(`${line}\n`),
    onJournalRepaired: (bytes) => process.stderr.write(`journal: skipped a torn last line (${bytes} bytes) left by a crash\n`),
    onBackend: (backend) => process.stderr.write(options.table ? `answering every trial from the table ${options.table}: nothing is trained\n` : backendLine(backend)),
    onStudyStart: ({ config, runDir, backend, trialsDone }) => {
      doneAtStart = trialsDone;
      process.stderr.write(`search ${config.space.name} on ${config.data.name}: ${options.sampler}, up to ${options.trials} trials on ${options.workers} workers (${backend.name}), budget ${config.budget.macs.toLocaleString('en-US')} MACs; run folder ${runDir}\n`);
    },
    onTrialDone: (p) => {
      const elapsed = (performance.now() - started) / 1000;
      const rate = (p.done - doneAtStart) / Math.max(1, elapsed);
      const left = rate > 0 ? (p.total - p.done) / rate : NaN;
      const best = p.best?.metrics ? `best ${p.best.metrics.validationAccuracy.toFixed(4)} at ${p.best.widths.join(',')}` : 'no success yet';
      const last = `${p.last.status === 'ok' ? `trial ${p.last.trialId} ${p.last.widths.join(',')} acc ${p.last.metrics!.validationAccuracy.toFixed(4)}` : `trial ${p.last.trialId} failed`}${p.last.note && p.last.note !== 'start' ? ` (${p.last.note})` : ''}`;
      const bar = `[${'#'.repeat(Math.round((20 * p.done) / p.total)).padEnd(20, '.')}]`;
      const line = `${bar} ${p.done}/${p.total} trials  ${best}  ${Number.isFinite(left) ? `~${formatSeconds(left)} left (at most)` : ''}`;
      if (tty) process.stderr.write(`\r\x1b[K${line}`);
      else process.stderr.write(`${last}; ${line}\n`);
    },
    onSamplerStopped: ({ trials, reason }) => {
      process.stderr.write(`the ${options.sampler} sampler stopped after ${trials} of ${options.trials} trials${reason ? `: ${reason}` : ''}\n`);
    },
    onFinalTrainingsStart: (models, epochs) => process.stderr.write(
      `${options.table ? 'final models from the table (another recorded training than the proxies read)' : `final training (${epochs} epochs, all training data)`}: ${distinctTrainings(models).map((same) => `${same.map((f) => f.which).join(' = ')} ${same[0].widths.join(',')}`).join('; ')}\n`,
    ),
    onFinalTrainingEvent: (which, e) => {
      if (e.kind === 'epoch') process.stderr.write(`  ${which}: epoch ${e.epoch}/${e.epochs} loss ${e.loss?.toFixed(4)}\n`);
      else if (e.kind === 'resumed') process.stderr.write(`  ${which}: ${e.epoch === e.epochs ? 'finished before, not trained again' : `resumed from its checkpoint after epoch ${e.epoch}/${e.epochs}`}\n`);
      else if (e.note) process.stderr.write(`  ${which}: ${e.note}\n`);
    },
    onOnnxExported: (onnx) => process.stderr.write(`ONNX: ${onnx.path} (${onnx.bytes.toLocaleString('en-US')} bytes); ONNX Runtime vs tfjs on ${onnx.examples} test inputs: max |difference| ${onnx.maxAbsDiff.toExponential(2)}, argmax agreement ${(100 * onnx.argmaxAgreement).toFixed(1)}%\n`),
  };
}

function modelRow(name: string, m?: ModelSummary): string {
  return m
    ? `${name.padEnd(7)} ${m.widths.join(',').padEnd(24)} ${m.params.toLocaleString('en-US').padStart(11)} ${m.macs.toLocaleString('en-US').padStart(14)}  ${m.validationAccuracy.toFixed(4)}  ${m.testAccuracy.toFixed(4)}`
    : `${name}: not trained`;
}

export function searchCommand(yargs: Argv): Argv {
  return yargs.command(
    COMMANDS.search.command,
    COMMANDS.search.describe,
    (y) =>
      withOptions(y, SEARCH_CLI_OPTIONS)
        .example('$0 search', 'the embedded default: cnn-mnist on the bundled digits, a few minutes on 2 cores')
        .example('$0 search --space mlp-mnist --budget-ratio 0.5 --trials 20', 'half the MACs of the base MLP')
        .example('$0 search --resume results/cnn-mnist-20261123-050000', 'carry on after a crash or Ctrl-C')
        .example('$0 search --space cbm-resnet --table Results_ResNet.json --sampler evolution --trials 100', 'answer from Channel-Bench-Macro\'s table of trained CIFAR-10 networks: seconds, no training')
        .example('$0 search --space cbm-resnet --table Results_ResNet.json --holdout 2 --widths 64,64,64,512,512,512,512', 'the same, judged honestly: recorded training 2 is never read, and every test figure is that run alone'),
    async (args) => {
      const given = args as Record<string, unknown>;
      const options = Object.fromEntries(SEARCH_OPTION_KEYS.filter((k) => given[k] !== undefined).map((k) => [k, given[k]])) as Partial<SearchOptions>;
      const queue = args.queue !== undefined ? { url: args.queue, workerTimeoutSeconds: args.queueWorkerTimeout, redisTimeoutSeconds: args.queueRedisTimeout } : undefined;
      const run = SearchRun.open({ options, out: args.out, resume: args.resume, queue });
      if (run.queueName) process.stderr.write(`queue: trials go to ${run.queueName}; start workers with: widthwise worker --queue ${redactRedisUrl(args.queue!)} --study ${run.queueName}\n`);
      let interrupted = false;
      const onSigint = () => {
        if (interrupted) process.exit(130);
        interrupted = true;
        process.stderr.write('\nstopping: running trials are aborted and will run again on --resume (Ctrl-C again to quit now)\n');
        run.stop();
      };
      process.on('SIGINT', onSigint);
      let outcome;
      try {
        outcome = await run.execute(progressPrinter(run.options));
      } finally {
        process.off('SIGINT', onSigint);
        if (process.stderr.isTTY) process.stderr.write('\n');
      }
      if (outcome.status === 'stopped') {
        process.stderr.write(`stopped after ${outcome.trials} trials; resume with: widthwise search --resume ${outcome.runDir}\n`);
        process.exitCode = 130;
        return;
      }
      const summary = outcome.summary;
      if (args.json) {
        printJson(summary);
        return;
      }
      console.log(`${'model'.padEnd(7)} ${'widths'.padEnd(24)} ${'params'.padStart(11)} ${'MACs'.padStart(14)}  val acc test acc`);
      console.log(modelRow('base', summary.base));
      console.log(modelRow('uniform', summary.uniform));
      console.log(modelRow('winner', summary.winner));
      if (summary.wideSparse) console.log(`${modelRow('w&s', summary.wideSparse)}  (${summary.wideSparse.nonzeroWeights?.toLocaleString('en-US')} nonzero weights)`);
      if (summary.modelGains) {
        const signed = (v: number) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)}`;
        console.log(`\nwhat the model learned from ${summary.trials} proxy trials (validation accuracy per grid step wider, ± sd, points): ${summary.modelGains.map((g) => `${g.group} ${signed(g.gainPerStep)} ± ${(100 * g.sd).toFixed(2)}`).join(', ')}`);
      }
      if (summary.room) console.log(`\nroom: ${summary.room.text}`);
      if (summary.recommended) console.log(`${summary.room ? '' : '\n'}recommended: ${summary.recommended.which} ${summary.recommended.widths.join(',')}: ${summary.recommended.reason}${summary.onnx ? `; ONNX: ${summary.onnx.path}` : ''}`);
      if (summary.table) {
        console.log(`answered from the table ${summary.table.path}: no weights exist, nothing was exported`);
        console.log(summary.table.holdout !== undefined
          ? `test accuracies are recorded training ${summary.table.holdout} alone, held out: the search never read it`
          : 'test accuracies are the mean of all recorded trainings, which includes what the search read: not held out (--holdout K holds one out)');
      }
      console.log(`\n${summary.trials} trials (${summary.failedTrials} failed); report: ${join(outcome.runDir, 'report.html')}`);
    },
  );
}

export function reportCommand(yargs: Argv): Argv {
  return yargs.command(
    COMMANDS.report.command,
    COMMANDS.report.describe,
    (y) => withOptions(y.positional('run-dir', { type: 'string', demandOption: true, describe: 'a search run folder' }), REPORT_OPTIONS),
    async (args) => {
      const summary = await writeSearchReport(args.runDir);
      if (args.json) printJson(summary);
      else console.log(`wrote ${join(args.runDir, 'report.html')} (${summary.trials} trials${summary.finished ? '' : ', run not finished'})`);
    },
  );
}
