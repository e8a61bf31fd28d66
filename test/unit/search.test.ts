import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrialResult } from '../../src/trial/result.js';
import { spaceCost } from '../../src/cost/index.js';
import { Study, ResumeError, type StudyConfig } from '../../src/search/study.js';
import { Journal, MemoryJournal, repairTornTail, replayJournal } from '../../src/storage/journal.js';
import { baseWidths, loadSpace } from '../../src/space/index.js';
import { FakeEvaluator } from '../helpers/fake-evaluator.js';

const space = loadSpace('cnn-mnist');
// A known optimum under the base budget: conv1 narrow, conv2 and conv3 wider, fc1 narrow.
const OPTIMUM = [8, 48, 64, 32];
const budgetMacs = spaceCost(space, baseWidths(space)).macs;

class FakeRunner extends FakeEvaluator {
  constructor() {
    super(OPTIMUM);
  }
}

const config = (sampler: StudyConfig['sampler'], trials = 24): StudyConfig => ({
  space, sampler, trials, budget: { macs: budgetMacs }, seed: 7, start: baseWidths(space), roundSize: 2,
  data: { name: 'synthetic' }, proxyRecipe: { epochs: 1, batchSize: 8, lr: 0.1, optimizer: { name: 'sgd' }, schedule: { name: 'constant' }, seed: 0 },
  normKind: 'outgoing',
});
const journalPath = () => join(mkdtempSync(join(tmpdir(), 'ww-s-')), 'journal.jsonl');

test('streamline moves width from IS groups to DS groups and beats the base widths, within the budget', async () => {
  const runner = new FakeRunner();
  const journal = new Journal(journalPath());
  const study = new Study(config('streamline'), runner, journal);
  study.create();
  await study.run();
  journal.close();
  const base = study.history[0];
  const best = study.best()!;
  assert.deepEqual(base.widths, baseWidths(space));
  assert.ok(best.metrics!.validationAccuracy > base.metrics!.validationAccuracy + 0.05, `best ${best.widths} vs base`);
  // conv2 (DS at base: 32 < 48) grew, conv1 and fc1 (IS at base) shrank.
  assert.ok(best.widths[1] > 32 && best.widths[0] < 16 && best.widths[3] < 64, `best ${best.widths}`);
  for (const w of runner.calls) assert.ok(spaceCost(space, w).macs <= budgetMacs, `over budget: ${w}`);
});

test('random and evolution stay within the budget and find better trials after their first round', async () => {
  for (const sampler of ['random', 'evolution'] as const) {
    const runner = new FakeRunner();
    const journal = new Journal(journalPath());
    const study = new Study(config(sampler, 30), runner, journal);
    study.create();
    await study.run();
    journal.close();
    assert.equal(study.history.length, 30);
    for (const w of runner.calls) assert.ok(spaceCost(space, w).macs <= budgetMacs);
    // Both can fail: best() must pick the most accurate trial, and a sampler that only repeats its
    // first round's quality (or proposes worse widths) never finds a better one later.
    const accuracies = study.history.map((t) => t.metrics!.validationAccuracy);
    assert.equal(study.best()!.metrics!.validationAccuracy, Math.max(...accuracies), `${sampler}: best() is the most accurate trial`);
    assert.ok(Math.max(...accuracies.slice(2)) > Math.max(...accuracies.slice(0, 2)), `${sampler} found a better trial after its first round`);
    assert.equal(new Set(runner.calls.map((w) => w.join(','))).size, runner.calls.length, `${sampler} never repeats a trial`);
  }
});

test('a resumed study replays its journal: finished trials never rerun, in-flight ones do, and it ends where an uninterrupted one ends', async () => {
  const path = journalPath();
  const uninterrupted = new Study(config('random', 10), new FakeRunner(), new Journal(journalPath()));
  uninterrupted.create();
  await uninterrupted.run();

  // Interrupted run: stop after 4 trials have finished.
  const first = new FakeRunner();
  const j1 = new Journal(path);
  const s1 = new Study(config('random', 10), first, j1);
  s1.create();
  await s1.run({ onTrialDone: (p) => { if (p.done >= 4) s1.stop(); } });
  j1.close();
  // A crash before the last result was written: that trial is in flight, plus a torn line.
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const lastFinished = lines.map((l) => JSON.parse(l).type).lastIndexOf('trial-finished');
  const inFlight = JSON.parse(lines[lastFinished]).result.widths.join(',');
  lines.splice(lastFinished, 1);
  writeFileSync(path, lines.join('\n') + '\n{"type":"trial-fin');
  const replay = replayJournal(path);
  assert.ok(replay.tornLastLine);
  repairTornTail(path, replay);
  const finishedBefore = replayJournal(path).events.filter((e) => e.type === 'trial-finished').length;

  const second = new FakeRunner();
  const j2 = new Journal(path);
  const s2 = new Study(config('random', 10), second, j2);
  s2.restore(replayJournal(path).events);
  await s2.run();
  j2.close();
  const finishedKeys = new Set(replayJournal(path).events.filter((e) => e.type === 'trial-finished').slice(0, finishedBefore).map((e) => (e as { result: TrialResult }).result.widths.join(',')));
  assert.equal(second.calls[0].join(','), inFlight, 'the in-flight trial runs first');
  assert.ok(second.calls.every((w) => !finishedKeys.has(w.join(','))), 'no finished trial ran twice');
  assert.deepEqual(s2.history.map((t) => t.widths.join(',')).sort(), uninterrupted.history.map((t) => t.widths.join(',')).sort());

  const other = new Study({ ...config('random', 10), seed: 8 }, new FakeRunner(), new Journal(journalPath()));
  assert.throws(() => other.restore(replayJournal(path).events), (e: Error) => e instanceof ResumeError && /seed/.test(e.message));
});

test('resume ignores where the space file was read from, not what it says', () => {
  const path = journalPath();
  const j = new Journal(path);
  new Study({ ...config('random', 4), space: { ...space, file: '/elsewhere/cnn-mnist.json' } }, new FakeRunner(), j).create();
  j.close();
  const events = replayJournal(path).events;
  assert.doesNotThrow(() => new Study(config('random', 4), new FakeRunner(), new Journal(journalPath())).restore(events));
  const changed = { ...space, groups: space.groups.map((g, i) => (i === 0 ? { ...g, max: g.max + g.step } : g)) };
  assert.throws(() => new Study({ ...config('random', 4), space: changed }, new FakeRunner(), new Journal(journalPath())).restore(events), (e: Error) => e instanceof ResumeError && /space/.test(e.message));
});

test('a study in a memory journal writes the same events as one in a file journal, and restores from them', async () => {
  const file = new Journal(journalPath());
  const memory = new MemoryJournal();
  const inFile = new Study(config('random', 8), new FakeRunner(), file);
  const inMemory = new Study(config('random', 8), new FakeRunner(), memory);
  for (const s of [inFile, inMemory]) { s.create(); await s.run(); }
  file.close();
  const strip = (events: { at?: string }[]) => events.map(({ at: _at, ...rest }) => rest);
  // The file is read back by replayJournal, independently of the journal object that wrote it.
  assert.deepEqual(strip(memory.events()), strip(replayJournal(file.path).events));
  const restored = new Study(config('random', 8), new FakeRunner(), new MemoryJournal());
  restored.restore(memory.events());
  assert.deepEqual(restored.history.map((t) => t.widths), inFile.history.map((t) => t.widths));
});
