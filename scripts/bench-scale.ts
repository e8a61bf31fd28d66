/**
 * Long runs at scale (issue 36): a 1,000-trial search journal with real-sized telemetry, its bytes
 * per trial, and the time and peak memory of `report` (writeSearchReport: read, summarise, draw), of
 * opening its page on a fresh dashboard, and of `--resume` (open and execute a run cut one trial
 * before its end).
 *
 * The study is the real `SearchRun` (random sampler, cnn-mnist, 2 workers), its trials answered by
 * a fake evaluator whose results carry telemetry of exactly the shape a default conv proxy trial
 * records (`widthwise search` defaults: 3 epochs of 3,000 images, a record every 6 steps: 27
 * records; 5 layers with outgoing and paired series; 4 groups with outgoing, reader, BN gamma and
 * displacement per channel), filled with seeded full-precision doubles (real norms are doubles: no
 * shorter text or float32 would hold them). Trials and finals train nothing.
 *
 * `--code DIR` runs the same study on the widthwise source under DIR (e.g. /work/main, today's
 * code) so the two are measured side by side; each measured step runs in a child process of its own.
 *
 *   nice -n 10 node --import tsx scripts/bench-scale.ts [--code DIR] [--trials 1000] [--repeat 3] [--out /tmp/bench-scale]
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { numberArg, scriptArgs } from './lib/args.js';

const args = scriptArgs({
  code: { type: 'string', default: new URL('..', import.meta.url).pathname },
  trials: { type: 'string', default: '1000' },
  repeat: { type: 'string', default: '3' },
  out: { type: 'string', default: '/tmp/bench-scale' },
  step: { type: 'string' },
  dir: { type: 'string' },
}, 'node --import tsx scripts/bench-scale.ts [--code DIR] [--trials N] [--out DIR]');
const code = resolve(args.code);
const trials = numberArg(args.trials, 'trials');
const SEED_RECORDS = 27;

/** A seeded stream of doubles in (0, 1) with full mantissas (mulberry32 pairs). */
function doubles(seed: number): () => number {
  let a = seed >>> 0;
  const next32 = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return () => (next32() * 2 ** 21 + (next32() >>> 11)) / 2 ** 53 + 2 ** -60;
}

/** Telemetry of a default cnn-mnist proxy trial's shape (see the module comment) for `widths`. */
function convTelemetry(widths: number[], seed: number) {
  const r = doubles(seed);
  const steps = Array.from({ length: SEED_RECORDS }, (_, i) => Math.min(141, Math.round((i * 141) / (SEED_RECORDS - 1))));
  const epochOf = (step: number) => Math.floor(step / 47);
  const point = (step: number) => ({ epoch: epochOf(step), step, variance: r() * 0.1, mean: 1 + r(), min: r(), max: 2 + r() });
  const names = ['conv1', 'conv2', 'conv3', 'fc1'];
  const telemetry = [...names.map((n, i) => ({ layer: n, group: n, width: widths[i], outgoing: steps.map(point), paired: steps.map(point) })),
    { layer: 'out', group: null, width: 10, outgoing: steps.map(point) }];
  const channels = (w: number) => Array.from({ length: w }, () => r() * 2);
  const groupTelemetry = names.map((n, i) => ({
    group: n, width: widths[i], layers: [n],
    points: steps.map((step) => ({ epoch: epochOf(step), step, outgoing: channels(widths[i]), reader: channels(widths[i]), gamma: n === 'fc1' ? null : channels(widths[i]), displacement: channels(widths[i]) })),
  }));
  return { telemetry, groupTelemetry };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** Fake deps for `SearchRun`: trials answered at once with conv-sized telemetry; finals and export fake. */
function fakeDeps(): Any {
  const evaluator = {
    concurrency: 2,
    async evaluate(task: Any) {
      const accuracy = 0.9 - 0.01 * Math.abs(Math.log(task.widths[2] / 64));
      const final = task.trialId < 0;
      return {
        trialId: task.trialId, status: 'ok', widths: task.widths, seconds: 1, backend: 'fake',
        metrics: { validationAccuracy: accuracy, testAccuracy: accuracy, trainLoss: 0.3, params: 30000, macs: 1900000 },
        history: [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 0.5 / epoch, trainAccuracy: 0.8, seconds: 1 })),
        ...(final ? {} : convTelemetry(task.widths, task.seed)),
      };
    },
    async close() {},
  };
  return {
    startBackend: async () => ({ name: 'fake' }),
    createEvaluator: () => evaluator,
    exportWinner: async () => ({ path: 'winner.onnx', bytes: 1, examples: 1, maxAbsDiff: 0, argmaxAgreement: 1 }),
  };
}

const OPTIONS = { space: 'cnn-mnist', sampler: 'random', trials, workers: 2, seed: 1, finalEpochs: 1 };

/** The measured steps, run in a child process each (`--step`), printing one JSON line. */
async function step(name: string, dir: string): Promise<void> {
  const { SearchRun } = await import(join(code, 'src/pipeline/search-run.ts'));
  const { writeSearchReport } = await import(join(code, 'src/pipeline/write-report.ts'));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  if (name === 'make') {
    await SearchRun.open({ options: OPTIONS, out: dir }, fakeDeps()).execute();
  } else if (name === 'report') {
    await writeSearchReport(dir);
  } else if (name === 'dashboard') {
    // Opening the run's page on a fresh dashboard (cold: the journal read and summarised), then again (warm).
    const { startDashboard } = await import(join(code, 'src/dashboard/server.ts'));
    const dashboard = await startDashboard({ root: join(dir, '..'), host: '127.0.0.1', port: 0 });
    const open = async () => {
      const t = performance.now();
      const res = await fetch(`${dashboard.url}run/${dir.split('/').at(-1)}`);
      const body = await res.text();
      if (res.status !== 200 || !body.includes('trials-done')) throw new Error(`dashboard page: HTTP ${res.status}`);
      return performance.now() - t;
    };
    const cold = await open();
    const warm = await open();
    await dashboard.close();
    process.stdout.write(`${JSON.stringify({ coldMs: cold, warmMs: warm })}\n`);
  } else if (name === 'resume') {
    const run = SearchRun.open({ resume: dir }, fakeDeps());
    const opened = performance.now() - t0;
    const outcome = await run.execute();
    if (outcome.status !== 'finished' || outcome.trials !== trials) throw new Error(`resume ended ${outcome.status} with ${outcome.trials} trials`);
    process.stdout.write(`${JSON.stringify({ openMs: opened })}\n`);
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // CPU time as well as wall time: on a shared machine the wall time is mostly waiting for a core.
  process.stdout.write(`${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

if (args.step) {
  await step(args.step, args.dir!);
  process.exit(0);
}

const label = existsSync(join(code, '.git')) && code !== resolve(new URL('..', import.meta.url).pathname) ? code : 'this checkout';
const root = join(args.out, code.replace(/[^a-z0-9]+/gi, '_'), String(trials));
const run = (name: string, dir: string) => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--code', code, '--trials', String(trials), '--step', name, '--dir', dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).reduce((a, b) => ({ ...a, ...b }), {});
};
const folderBytes = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((s, e) => s + (e.isDirectory() ? folderBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);

const made = join(root, 'run');
// Cached by settings: a rerun measures again without writing the study again.
if (!existsSync(join(made, 'summary.json'))) {
  rmSync(made, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const t = run('make', made);
  writeFileSync(join(root, 'make.json'), JSON.stringify(t));
}
const journalBytes = statSync(join(made, 'journal.jsonl')).size;
const sideBytes = existsSync(join(made, 'telemetry')) ? folderBytes(join(made, 'telemetry')) : 0;
const repeats = Array.from({ length: numberArg(args.repeat, 'repeat') }, (_, i) => i);
const report = repeats.map(() => run('report', made));

const dashboardOpen = run('dashboard', made);

// --resume: the run cut after its next-to-last trial (the last trial's lines and everything after gone).
const resumes = repeats.map(() => {
  const cut = join(root, 'resume');
  rmSync(cut, { recursive: true, force: true });
  cpSync(made, cut, { recursive: true });
  const lines = readFileSync(join(made, 'journal.jsonl'), 'utf8').trim().split('\n');
  const last = lines.findIndex((l) => l.includes('"type":"trial-started"') && l.includes(`"trialId":${trials - 1},`));
  writeFileSync(join(cut, 'journal.jsonl'), lines.slice(0, last).join('\n') + '\n');
  return run('resume', cut);
});

const fmt = (xs: number[]) => `${Math.min(...xs).toFixed(0)} / ${[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)].toFixed(0)} / ${Math.max(...xs).toFixed(0)}`;
process.stdout.write([
  `load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(', ')} (2 cores)`,
  `code: ${label}; ${trials} trials of cnn-mnist (random sampler, conv-sized telemetry, seed 1)`,
  `journal: ${(journalBytes / 1024 / 1024).toFixed(2)} MB, ${(journalBytes / trials / 1024).toFixed(1)} KB per trial; side files ${(sideBytes / 1024 / 1024).toFixed(1)} MB (${(sideBytes / trials / 1024).toFixed(1)} KB per trial); run folder ${(folderBytes(made) / 1024 / 1024).toFixed(1)} MB`,
  `report (read, summarise, draw), min / median / max of ${repeats.length}, ms: wall ${fmt(report.map((r) => r.ms))}, CPU ${fmt(report.map((r) => r.cpuMs))}; peak RSS ${Math.max(...report.map((r) => r.maxRssMb)).toFixed(0)} MB`,
  `dashboard: the run's page opened on a fresh dashboard ${dashboardOpen.coldMs.toFixed(0)} ms, again ${dashboardOpen.warmMs.toFixed(0)} ms; peak RSS ${dashboardOpen.maxRssMb.toFixed(0)} MB`,
  `--resume (open + execute: 1 trial, finals, report), ms: wall ${fmt(resumes.map((r) => r.ms))}, CPU ${fmt(resumes.map((r) => r.cpuMs))} (wall of open alone ${fmt(resumes.map((r) => r.openMs))}); peak RSS ${Math.max(...resumes.map((r) => r.maxRssMb)).toFixed(0)} MB`,
].join('\n') + '\n');
