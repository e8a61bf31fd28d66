/**
 * How long `widthwise search --table` takes, and where the time goes: side by side in one run,
 * repeated and interleaved, (a) `widthwise inspect cbm-resnet` (the command line's start-up floor),
 * (b) `search --space cbm-resnet --table <file> --trials N` with its run folder on disk, (c) the
 * same with the run folder on tmpfs (/dev/shm: a journal fsync costs next to nothing there), then
 * in process: the phases of one search (table read and check, study, finals, report) on disk and on
 * tmpfs, and the table evaluator alone. Writes results/experiments/table-search.md.
 *   npx tsx scripts/time-table-search.ts [--table ../shared/data/channel-bench-macro/Results_ResNet.json] [--trials 100] [--repeats 3]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../src/core/stats.js';
import { SearchRun } from '../src/pipeline/search-run.js';
import { BenchTable } from '../src/runtime/bench-table.js';
import { spaceCost } from '../src/cost/cost.js';
import { checkTableForSpace, tableAnswer, TableEvaluator, widthsOfKey } from '../src/runtime/table-evaluator.js';
import { loadSpace } from '../src/space/load.js';
import { numberArg, scriptArgs } from './lib/args.js';

const args = scriptArgs({
  table: { type: 'string', default: new URL('../../shared/data/channel-bench-macro/Results_ResNet.json', import.meta.url).pathname },
  trials: { type: 'string', default: '100' }, repeats: { type: 'string', default: '3' },
}, 'npx tsx scripts/time-table-search.ts [--table <Results_ResNet.json>] [--trials 100] [--repeats 3]');
const trials = numberArg(args.trials, 'trials');
const repeats = numberArg(args.repeats, 'repeats');
const BIN = new URL('../bin/widthwise.js', import.meta.url).pathname;
const SHM = existsSync('/dev/shm') ? '/dev/shm' : undefined;
const searchArgs = ['--space', 'cbm-resnet', '--table', args.table, '--sampler', 'random', '--trials', String(trials), '--workers', '4', '--budget-ratio', '2'];

function wall(argv: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`widthwise ${argv.join(' ')} failed: ${r.stderr}`);
  return (performance.now() - started) / 1000;
}

const cli: Record<'inspect' | 'disk' | 'tmpfs', number[]> = { inspect: [], disk: [], tmpfs: [] };
for (let i = 0; i < repeats; i++) {
  cli.inspect.push(wall(['inspect', 'cbm-resnet']));
  const disk = mkdtempSync(join(tmpdir(), 'ww-time-'));
  cli.disk.push(wall(['search', ...searchArgs, '--out', join(disk, 'run')]));
  rmSync(disk, { recursive: true });
  if (SHM) {
    const shm = mkdtempSync(join(SHM, 'ww-time-'));
    cli.tmpfs.push(wall(['search', ...searchArgs, '--out', join(shm, 'run')]));
    rmSync(shm, { recursive: true });
  }
}

interface Phases { open: number; study: number; total: number; journalLines: number }

async function phases(root: string): Promise<Phases> {
  const dir = join(mkdtempSync(join(root, 'ww-time-')), 'run');
  const t0 = performance.now();
  const run = SearchRun.open({ options: { space: 'cbm-resnet', table: args.table, sampler: 'random', trials, workers: 4, budgetRatio: 2 }, out: dir });
  const opened = performance.now();
  let studyStart = 0;
  let studyEnd = 0;
  await run.execute({
    onStudyStart: () => { studyStart = performance.now(); },
    onTrialDone: () => { studyEnd = performance.now(); },
  });
  const end = performance.now();
  const journalLines = readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n').length;
  rmSync(join(dir, '..'), { recursive: true });
  return { open: (opened - t0) / 1000, study: (studyEnd - studyStart) / 1000, total: (end - t0) / 1000, journalLines };
}

const inProcess: Record<string, Phases[]> = { disk: [], tmpfs: [] };
for (let i = 0; i < repeats; i++) {
  inProcess.disk.push(await phases(tmpdir()));
  if (SHM) inProcess.tmpfs.push(await phases(SHM));
}

// The evaluator alone: every network of the table, once.
const table = BenchTable.load(args.table);
const space = loadSpace('cbm-resnet');
checkTableForSpace(table, space);
const evaluator = new TableEvaluator(table);
const keys = [...table.all()].map(([key]) => key);
const started = performance.now();
let failed = 0;
for (const [i, key] of keys.entries()) {
  const r = await evaluator.evaluate({ trialId: i, space, widths: widthsOfKey(space, key), seed: i, data: { name: 'cifar10' }, recipe: {} as never });
  if (r.status !== 'ok') failed++;
}
const perAnswerMicros = ((performance.now() - started) * 1000) / keys.length;
const microsPerNetwork = (f: (widths: number[]) => unknown) => {
  const all = keys.map((key) => widthsOfKey(space, key));
  const t = performance.now();
  for (const widths of all) f(widths);
  return ((performance.now() - t) * 1000) / all.length;
};
const costMicros = microsPerNetwork((widths) => spaceCost(space, widths));
const lookupMicros = microsPerNetwork((widths) => table.lookup(space, widths));
const drawMicros = microsPerNetwork((widths) => tableAnswer(table.lookup(space, widths), widths.join(','), { salt: 1 }, false));

const s = (xs: number[]) => (xs.length ? `${median(xs).toFixed(2)} s` : 'n/a');
const med = (rows: Phases[], k: keyof Phases) => median(rows.map((r) => r[k]));
const report = `# search --table: how long 100 trials take, and where the time goes

\`npx tsx scripts/time-table-search.ts --trials ${trials} --repeats ${repeats}\` (${new Date().toISOString().slice(0, 10)}), Channel-Bench-Macro's
ResNet table (${table.size.toLocaleString('en-US')} networks), \`--space cbm-resnet --sampler random --workers 4 --budget-ratio 2\`.
A shared 2-core machine (other agents running): medians of ${repeats} interleaved runs; compare within the table, not across days.

## End to end, through the command line (wall clock)

| what | median |
|---|---|
| \`widthwise inspect cbm-resnet\` (start-up floor: node, tsx, the space) | ${s(cli.inspect)} |
| \`search --table\`, ${trials} trials, run folder on disk | ${s(cli.disk)} |
| the same, run folder on tmpfs (/dev/shm) | ${s(cli.tmpfs)} |

## In process (no start-up), one search

| phase | disk | tmpfs |
|---|---|---|
| open: options, space, table read (JSON.parse, SHA-256) and checked | ${med(inProcess.disk, 'open').toFixed(3)} s | ${inProcess.tmpfs.length ? `${med(inProcess.tmpfs, 'open').toFixed(3)} s` : 'n/a'} |
| study: ${trials} proxy trials | ${med(inProcess.disk, 'study').toFixed(3)} s | ${inProcess.tmpfs.length ? `${med(inProcess.tmpfs, 'study').toFixed(3)} s` : 'n/a'} |
| whole run (with finals, report.html, figures) | ${med(inProcess.disk, 'total').toFixed(3)} s | ${inProcess.tmpfs.length ? `${med(inProcess.tmpfs, 'total').toFixed(3)} s` : 'n/a'} |
| journal lines written (each appended and fsynced) | ${med(inProcess.disk, 'journalLines')} | ${inProcess.tmpfs.length ? med(inProcess.tmpfs, 'journalLines') : 'n/a'} |

The table evaluator alone answers in ${perAnswerMicros.toFixed(0)} µs per network (all ${keys.length.toLocaleString('en-US')} networks once, ${failed} failed):
the space's exact params and MACs take ${costMicros.toFixed(1)} µs, the table lookup ${lookupMicros.toFixed(1)} µs, the seeded draw
of the recorded training ${drawMicros.toFixed(1)} µs; the rest is the async call.

## Reading

The study's time is the journal's: every trial is two appended, fsynced lines (trial-started,
trial-finished). The difference between disk and tmpfs is that fsync; it is kept, because a
resumed search must never lose an answered trial, and it still leaves ${trials} trials in seconds.
`;
writeFileSync(new URL('../results/experiments/table-search.md', import.meta.url), report);
process.stdout.write(report);
