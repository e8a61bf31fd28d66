import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spaceKernelWeights } from '../../src/cost/cost.js';
import { JournalVersionError } from '../../src/pipeline/run-events.js';
import { SearchRun, type SearchRunDeps } from '../../src/pipeline/search-run.js';
import { summaryFromJournal } from '../../src/pipeline/summary-from-journal.js';
import type { OnnxSummary } from '../../src/report/search-summary.js';
import { loadSpace } from '../../src/space/load.js';
import { replayJournal } from '../../src/storage/journal.js';
import { lockRunFolder } from '../../src/storage/run-lock.js';
import { RunFolderLockedError } from '../../src/core/errors.js';
import { FakeEvaluator } from '../helpers/fake-evaluator.js';

const OPTIMUM = [96, 160];
const ONNX: OnnxSummary = { path: 'winner.onnx', bytes: 1234, examples: 256, maxAbsDiff: 1e-6, argmaxAgreement: 1 };
const OPTIONS = { space: 'mlp-mnist', sampler: 'random' as const, trials: 4, workers: 2, seed: 3, finalEpochs: 2, compareWideSparse: true };

/** Fake implementations that record what the run asked of them. */
function fakeDeps() {
  const evaluators: FakeEvaluator[] = [];
  const exports: string[] = [];
  const deps: SearchRunDeps = {
    startBackend: async () => ({ name: 'fake' }),
    createEvaluator: () => {
      const e = new FakeEvaluator(OPTIMUM);
      evaluators.push(e);
      return e;
    },
    exportWinner: async (runDir) => {
      exports.push(runDir);
      return ONNX;
    },
  };
  return { deps, evaluators, exports };
}

const journalLines = (dir: string) => readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const newDir = () => join(mkdtempSync(join(tmpdir(), 'ww-run-')), 'run');

test('a run trains base, winner, uniform scaling and wide & sparse with the study seed under ids no proxy trial has, the same network once, and journals the export as its own event', async () => {
  const dir = newDir();
  const { deps, evaluators, exports } = fakeDeps();
  const outcome = await SearchRun.open({ options: OPTIONS, out: dir }, deps).execute();
  assert.equal(outcome.status, 'finished');
  const tasks = evaluators[0].tasks;
  const proxies = tasks.filter((t) => t.saveTo === undefined);
  const finals = tasks.filter((t) => t.saveTo !== undefined);
  assert.equal(proxies.length, 4);
  assert.deepEqual(finals.map((t) => t.saveTo).sort(), ['base', 'wide-sparse', 'winner'].map((w) => join(dir, w)));
  for (const t of finals) {
    assert.equal(t.seed, 3, 'final trainings start from the study seed');
    assert.ok(t.trialId < 0 && !proxies.some((p) => p.trialId === t.trialId), `final id ${t.trialId} is no proxy trial's`);
    assert.equal(t.data.maxTrain, undefined, 'final trainings use all the training data');
  }
  const winner = outcome.summary.winner!;
  // The wide & sparse network keeps the winner's kernel weights, counted by hand: 784a + ab + 10b.
  const [a, b] = winner.widths;
  assert.equal(finals.find((t) => t.saveTo === join(dir, 'wide-sparse'))!.sparseNonzero, 784 * a + a * b + 10 * b);
  assert.equal(784 * a + a * b + 10 * b, spaceKernelWeights(loadSpace('mlp-mnist'), winner.widths));
  assert.deepEqual(exports, [dir]);
  const types = journalLines(dir).map((e) => e.type);
  // Four final models, three trainings: at the base's own MACs, uniform scaling of the base is the
  // base itself (any larger multiplier widens fc1 to 264 or more and goes over), trained once.
  assert.deepEqual(types.slice(-7), ['winner-chosen', 'final-trained', 'final-trained', 'final-trained', 'final-trained', 'onnx-exported', 'study-finished']);
  assert.deepEqual(outcome.summary.uniform?.widths, [256, 128]);
  assert.deepEqual(outcome.summary.uniform, outcome.summary.base);
  assert.ok(!journalLines(dir).some((e) => e.which === 'onnx'), 'no final-trained event for the export');
  assert.deepEqual(outcome.summary.onnx, ONNX);
  assert.equal(evaluators[0].closed >= 1, true, 'the evaluator is closed');
});

test('a resumed run does only what is left: no trial, no final training, the export once', async () => {
  const dir = newDir();
  await SearchRun.open({ options: OPTIONS, out: dir }, fakeDeps().deps).execute();
  // Cut the journal after the final trainings, as a crash during the export would leave it.
  const lines = readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n');
  writeFileSync(join(dir, 'journal.jsonl'), lines.slice(0, -2).join('\n') + '\n');
  const { deps, evaluators, exports } = fakeDeps();
  const outcome = await SearchRun.open({ resume: dir }, deps).execute();
  assert.equal(evaluators[0].tasks.length, 0);
  assert.deepEqual(exports, [dir]);
  assert.equal(outcome.summary.trials, 4);
  assert.ok(outcome.summary.finished && outcome.summary.base && outcome.summary.wideSparse);
});

test('a version-1 journal (the export as final-trained "onnx", no journalVersion) replays and resumes; a newer version is refused by name', async () => {
  const dir = newDir();
  await SearchRun.open({ options: OPTIONS, out: dir }, fakeDeps().deps).execute();
  // Rewrite it as the previous release wrote it.
  const v1 = journalLines(dir).map((e) => {
    if (e.type === 'study-created') {
      const config = { ...(e.config as Record<string, unknown>) };
      delete config.journalVersion;
      return { ...e, config };
    }
    return e.type === 'onnx-exported' ? { type: 'final-trained', at: e.at, which: 'onnx', result: e.onnx } : e;
  });
  writeFileSync(join(dir, 'journal.jsonl'), v1.map((e) => JSON.stringify(e)).join('\n') + '\n');
  assert.deepEqual(summaryFromJournal(replayJournal(join(dir, 'journal.jsonl')).events, dir).onnx, ONNX);
  const { deps, evaluators, exports } = fakeDeps();
  const resumed = await SearchRun.open({ resume: dir }, deps).execute();
  assert.equal(evaluators[0].tasks.length, 0);
  assert.deepEqual(exports, [], 'the version-1 export counts as done');
  assert.deepEqual(resumed.summary.onnx, ONNX);

  const future = journalLines(dir).map((e) => (e.type === 'study-created' ? { ...e, config: { ...(e.config as object), journalVersion: 99 } } : e));
  writeFileSync(join(dir, 'journal.jsonl'), future.map((e) => JSON.stringify(e)).join('\n') + '\n');
  assert.throws(() => SearchRun.open({ resume: dir }, fakeDeps().deps), (e: Error) => e instanceof JournalVersionError && /journal version 99/.test(e.message));
  assert.throws(() => summaryFromJournal(replayJournal(join(dir, 'journal.jsonl')).events, dir), JournalVersionError);
});

test('stop() before the study runs: nothing is trained, the outcome says stopped, and resuming finishes the run', async () => {
  const dir = newDir();
  const { deps, evaluators } = fakeDeps();
  const run = SearchRun.open({ options: OPTIONS, out: dir }, deps);
  const execution = run.execute({ onStudyStart: () => run.stop() });
  const outcome = await execution;
  assert.equal(outcome.status, 'stopped');
  assert.equal(evaluators[0].tasks.length, 0);
  const resumed = await SearchRun.open({ resume: dir }, fakeDeps().deps).execute();
  assert.equal(resumed.status, 'finished');
  assert.equal(resumed.summary.trials, 4);
});

test('studyOnly stops after the study: its best trial, no final training, no export, and the run stays resumable to the end', async () => {
  const dir = newDir();
  const { deps, evaluators, exports } = fakeDeps();
  const outcome = await SearchRun.open({ options: OPTIONS, out: dir, studyOnly: true }, deps).execute();
  assert.equal(outcome.status, 'finished');
  assert.ok(evaluators[0].tasks.every((t) => t.saveTo === undefined), 'no final training');
  assert.deepEqual(exports, []);
  // The best trial is the most accurate of the four, computed here from the fake's formula.
  const accuracy = (w: readonly number[]) => 0.99 - 0.1 * w.reduce((s, x, i) => s + Math.abs(Math.log(x / OPTIMUM[i])), 0);
  const best = Math.max(...evaluators[0].tasks.map((t) => accuracy(t.widths)));
  assert.ok(Math.abs(outcome.best!.metrics!.validationAccuracy - best) < 1e-12);
  assert.equal(outcome.summary.finished, false);
  const resumed = await SearchRun.open({ resume: dir }, fakeDeps().deps).execute();
  assert.ok(resumed.summary.finished && resumed.summary.winner);
});

/** A fake evaluator whose final training of `which` (by its save folder) fails, as a NaN loss would. */
class FailingFinal extends FakeEvaluator {
  constructor(private readonly which: string) {
    super(OPTIMUM);
  }
  override async evaluate(task: Parameters<FakeEvaluator['evaluate']>[0]) {
    const result = await super.evaluate(task);
    return task.saveTo?.endsWith(`/${this.which}`) ? { trialId: task.trialId, status: 'failed' as const, reason: 'TrainError: loss is NaN at epoch 1', widths: task.widths, seconds: 0 } : result;
  }
}

test('a failed final training is a failure: journaled as an attempt, no export, an error; a resume trains only it, then exports', async () => {
  const dir = newDir();
  const exports: string[] = [];
  const deps = (evaluator: FakeEvaluator): SearchRunDeps => ({
    startBackend: async () => ({ name: 'fake' }), createEvaluator: () => evaluator,
    exportWinner: async (runDir) => {
      exports.push(runDir);
      return ONNX;
    },
  });
  await assert.rejects(SearchRun.open({ options: OPTIONS, out: dir }, deps(new FailingFinal('winner'))).execute(), /final training of the winner failed: TrainError: loss is NaN/);
  const types = journalLines(dir).map((e) => e.type);
  assert.ok(types.includes('final-failed') && !types.includes('study-finished') && !types.includes('onnx-exported'));
  assert.deepEqual(exports, []);
  assert.deepEqual(summaryFromJournal(replayJournal(join(dir, 'journal.jsonl')).events, dir).failures?.map((f) => f.what), ['winner']);

  const retry = new FakeEvaluator(OPTIMUM);
  const outcome = await SearchRun.open({ resume: dir }, deps(retry)).execute();
  assert.deepEqual(retry.tasks.map((t) => t.saveTo), [join(dir, 'winner')], 'only the failed training runs again');
  assert.deepEqual(exports, [dir]);
  assert.ok(outcome.summary.finished && outcome.summary.winner && !outcome.summary.failures);
});

test('a failed export is journaled, fails the command, and is retried by a resume', async () => {
  const dir = newDir();
  let attempts = 0;
  const deps: SearchRunDeps = {
    startBackend: async () => ({ name: 'fake' }), createEvaluator: () => new FakeEvaluator(OPTIMUM),
    exportWinner: async () => {
      if (++attempts === 1) throw new Error('ENOSPC: no space left on device');
      return ONNX;
    },
  };
  await assert.rejects(SearchRun.open({ options: OPTIONS, out: dir }, deps).execute(), /ONNX export of the recommended network failed: ENOSPC/);
  assert.ok(journalLines(dir).some((e) => e.type === 'export-failed'));
  const outcome = await SearchRun.open({ resume: dir }, deps).execute();
  assert.equal(attempts, 2);
  assert.deepEqual(outcome.summary.onnx, ONNX);
  assert.ok(outcome.summary.finished && !outcome.summary.failures);
});

test('one writer per run folder: a search on a folder another writer holds fails at once and writes nothing', async () => {
  const dir = newDir();
  const holder = await lockRunFolder(dir, { command: 'another widthwise search' });
  try {
    const { deps, evaluators } = fakeDeps();
    await assert.rejects(SearchRun.open({ options: OPTIONS, out: dir }, deps).execute(), (e: Error) => e instanceof RunFolderLockedError && e.message.includes('another widthwise search'));
    assert.equal(evaluators.length, 0, 'no evaluator was started');
    assert.ok(!existsSync(join(dir, 'journal.jsonl')));
  } finally {
    await holder.release();
  }
  // Two searches opened on one --out before either wrote it: the one that holds the folder second finds the journal and is refused.
  const { deps } = fakeDeps();
  const first = SearchRun.open({ options: OPTIONS, out: dir }, deps);
  const second = SearchRun.open({ options: OPTIONS, out: dir }, fakeDeps().deps);
  await first.execute();
  await assert.rejects(second.execute(), /already holds a search journal/);
});

test('the recommended network is the winner unless uniform scaling validated better in the final trainings, and it is what is exported', async () => {
  // The fake's accuracy peaks at the base widths, which are also uniform scaling at the base's own
  // MACs; random proposals never hit them exactly, so the winner validates worse than uniform.
  const exported: { folder: string; onnx: string }[] = [];
  const deps: SearchRunDeps = {
    startBackend: async () => ({ name: 'fake' }),
    createEvaluator: () => new FakeEvaluator([256, 128]),
    exportWinner: async (_runDir, _data, source) => {
      exported.push(source!);
      return ONNX;
    },
  };
  const dir = newDir();
  const { summary } = await SearchRun.open({ options: { ...OPTIONS, compareWideSparse: false }, out: dir }, deps).execute();
  assert.notDeepEqual(summary.winner!.widths, [256, 128]);
  assert.ok(summary.uniform!.validationAccuracy > summary.winner!.validationAccuracy);
  assert.equal(summary.recommended?.which, 'uniform');
  assert.deepEqual(summary.recommended?.widths, [256, 128]);
  // Uniform scaling is the base here, trained once, in the base's folder.
  assert.deepEqual(exported, [{ folder: 'base', onnx: 'uniform.onnx' }]);

  // With the optimum elsewhere, the winner (closer to it than the base) is kept.
  const kept: { folder: string; onnx: string }[] = [];
  const other = newDir();
  const result = await SearchRun.open({ options: { ...OPTIONS, compareWideSparse: false }, out: other }, { ...deps, createEvaluator: () => new FakeEvaluator(OPTIMUM), exportWinner: async (_r, _d, source) => { kept.push(source!); return ONNX; } }).execute();
  assert.ok(result.summary.winner!.validationAccuracy >= result.summary.uniform!.validationAccuracy);
  assert.equal(result.summary.recommended?.which, 'winner');
  assert.deepEqual(kept, [{ folder: 'winner', onnx: 'winner.onnx' }]);
});

test('a resume takes the space from the journal: the space file may have moved or changed', async () => {
  const dir = newDir();
  const file = join(mkdtempSync(join(tmpdir(), 'ww-space-')), 'my-mlp.json');
  writeFileSync(file, readFileSync(new URL('../../search-spaces/mlp-mnist.json', import.meta.url)));
  const first = fakeDeps();
  await assert.rejects(SearchRun.open({ options: { ...OPTIONS, space: file }, out: dir }, { ...first.deps, exportWinner: async () => { throw new Error('EIO'); } }).execute(), /ONNX export/);
  rmSync(file);
  const { deps, exports } = fakeDeps();
  const outcome = await SearchRun.open({ resume: dir }, deps).execute();
  assert.equal(outcome.status, 'finished');
  assert.deepEqual(exports, [dir]);
  assert.equal(outcome.summary.space, 'mlp-mnist');
});
