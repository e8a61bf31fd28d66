// Trial telemetry in side files (journal version 3): the journal keeps the decisions, the side
// files the trajectories, and every reader gets the events back as if the telemetry were inline.
// An old-format journal (test/fixtures/journal-v2, written by the previous release on a real conv
// search) still reports and resumes as the release that wrote it did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunJournal } from '../../src/pipeline/run-events.js';
import { telemetryProblem } from '../../src/pipeline/run-telemetry.js';
import { SearchRun, type SearchRunDeps } from '../../src/pipeline/search-run.js';
import { summaryFromJournal } from '../../src/pipeline/summary-from-journal.js';
import { studySignal } from '../../src/search/study.js';
import { groupSignals } from '../../src/variance/index.js';
import { decodeSideFile, encodeSideFile, SideFileError } from '../../src/storage/side-file.js';
import type { Evaluator } from '../../src/trial/evaluator.js';
import { trialResultSchema } from '../../src/trial/result-schema.js';
import type { TrialResult } from '../../src/trial/result.js';
import type { TrialTask } from '../../src/trial/task.js';
import { FakeEvaluator } from '../helpers/fake-evaluator.js';

const FIXTURE = new URL('../fixtures/journal-v2/', import.meta.url).pathname;
const expected = JSON.parse(readFileSync(join(FIXTURE, 'expected-summary.json'), 'utf8'));
const ONNX = { path: 'winner.onnx', bytes: 1234, examples: 256, maxAbsDiff: 1e-6, argmaxAgreement: 1 };
const newDir = () => join(mkdtempSync(join(tmpdir(), 'ww-tel-')), 'run');
const lines = (dir: string) => readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n');

/** A fake evaluator that also returns per-group channel telemetry (with a NaN and a -0, as real ones can), and keeps what it returned. */
class TelemetryEvaluator implements Evaluator {
  readonly concurrency = 2;
  readonly inner = new FakeEvaluator([96, 160]);
  readonly results: TrialResult[] = [];
  async evaluate(task: TrialTask): Promise<TrialResult> {
    const r = await this.inner.evaluate(task);
    const groupTelemetry = task.space.groups.map((g, gi) => ({
      group: g.name, width: task.widths[gi], layers: [g.name],
      points: Array.from({ length: 5 }, (_, p) => ({
        epoch: p, step: 3 * p,
        outgoing: Array.from({ length: task.widths[gi] }, (_, c) => 1 + Math.sin(c * 0.37 + p + task.seed) / 3),
        reader: Array.from({ length: task.widths[gi] }, (_, c) => 1 + Math.cos(c + p) / 7),
        gamma: null,
        displacement: Array.from({ length: task.widths[gi] }, (_, c) => (p === 0 ? -0 : c === 0 ? NaN : c / (p + 1) / 3)),
      })),
    }));
    const result = { ...r, groupTelemetry };
    this.results.push(result);
    return result;
  }
  async close(): Promise<void> {}
}

function deps(evaluators: TelemetryEvaluator[] = []): SearchRunDeps {
  return {
    startBackend: async () => ({ name: 'fake' }),
    createEvaluator: () => {
      const e = new TelemetryEvaluator();
      evaluators.push(e);
      return e;
    },
    exportWinner: async () => ONNX,
  };
}

async function v3Run(): Promise<{ dir: string; evaluator: TelemetryEvaluator }> {
  const dir = newDir();
  const evaluators: TelemetryEvaluator[] = [];
  await SearchRun.open({ options: { space: 'mlp-mnist', sampler: 'random', trials: 4, workers: 2, seed: 7, finalEpochs: 1 }, out: dir }, deps(evaluators)).execute();
  return { dir, evaluator: evaluators[0] };
}

test('side files give back exactly what a JSON line would: NaN, Infinity and null as null, -0 as 0, every other double bit for bit', () => {
  const number = fc.oneof(fc.double(), fc.constant(NaN), fc.constant(-0), fc.constant(Infinity), fc.integer());
  const value = fc.letrec((tie) => ({
    any: fc.oneof({ maxDepth: 4 }, fc.array(fc.oneof(number, fc.constant(null)), { maxLength: 6 }), fc.array(fc.record({ a: number, b: fc.oneof(number, fc.constant(null)) }), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 4 }).filter((k) => !k.startsWith('$')), tie('any'), { maxKeys: 4 }), fc.array(tie('any'), { maxLength: 3 }), fc.string(), fc.boolean(), fc.constant(null), number),
  })).any;
  fc.assert(fc.property(value, (v) => {
    assert.deepEqual(decodeSideFile(encodeSideFile(v), 'x'), JSON.parse(JSON.stringify(v)));
  }), { numRuns: 300 });
});

test('the old-format journal (version 2, telemetry inline) reports as the release that wrote it did', () => {
  const { events } = readRunJournal(join(FIXTURE, 'journal.jsonl'));
  const summary = summaryFromJournal(events, FIXTURE);
  // Scores as the release that wrote it; labels as people now read them (issue 33: the paper's shape
  // against seed noise), computed here from the fixture's inline telemetry read as plain JSON, so the
  // report's labels rest on the very trajectories the old release journaled.
  assert.deepEqual(summary.history.map((h) => ({ trialId: h.trialId, widths: h.widths, groupScores: h.groupScores })), expected.history.map(({ groupLabels: _l, ...rest }: { groupLabels?: unknown }) => rest));
  const raw = readFileSync(join(FIXTURE, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const created = raw.find((e) => e.type === 'study-created');
  const signal = studySignal(created.config);
  for (const h of summary.history) {
    const line = raw.find((e) => e.type === 'trial-finished' && e.trialId === h.trialId);
    if (!line?.result.groupTelemetry) continue;
    for (const g of groupSignals(line.result.groupTelemetry, signal)) if (h.groupLabels && g.group in h.groupLabels) assert.equal(h.groupLabels[g.group], g.label, `trial ${h.trialId} ${g.group}`);
  }
  assert.deepEqual({ trialId: summary.winner?.trialId, widths: summary.winner?.widths }, expected.winner);
  assert.equal(summary.recommended?.which, expected.recommended);
  assert.deepEqual(summary.modelGains, expected.modelGains);
  assert.deepEqual(summary.winnerGroupTelemetry?.map((g) => g.points.length), expected.winnerGroupTelemetryPoints);
});

test('the old-format journal cut after two trials resumes: the third proposal is the one the uninterrupted run made, and its lines stay in version 2 (no side files)', async () => {
  const dir = newDir();
  mkdirSync(dir, { recursive: true });
  const all = readFileSync(join(FIXTURE, 'journal.jsonl'), 'utf8').trim().split('\n');
  const original = all.map((l) => JSON.parse(l));
  const cut = original.findIndex((e) => e.type === 'trial-finished' && e.trialId === 1);
  writeFileSync(join(dir, 'journal.jsonl'), all.slice(0, cut + 1).join('\n') + '\n');
  const evaluators: TelemetryEvaluator[] = [];
  const outcome = await SearchRun.open({ resume: dir }, deps(evaluators)).execute();
  assert.equal(outcome.status, 'finished');
  const proxies = evaluators[0].inner.tasks.filter((t) => t.saveTo === undefined && t.trialId >= 0);
  assert.deepEqual(proxies.map((t) => [t.trialId, t.widths]), [[2, original.find((e) => e.type === 'trial-started' && e.trialId === 2).widths]]);
  assert.equal(existsSync(join(dir, 'telemetry')), false);
  const resumed = lines(dir).map((l) => JSON.parse(l)).find((e) => e.type === 'trial-finished' && e.trialId === 2);
  assert.ok(Array.isArray(resumed.result.groupTelemetry) && resumed.telemetryFile === undefined, 'a version-2 run keeps its telemetry inline');
});

test('a version-3 run keeps the telemetry out of its journal, and every reader gets it back as the evaluator returned it', async () => {
  const { dir, evaluator } = await v3Run();
  const journal = lines(dir);
  assert.equal(JSON.parse(journal[0]).config.journalVersion, 3);
  const trialLines = journal.filter((l) => JSON.parse(l).type === 'trial-finished');
  assert.equal(trialLines.length, 4);
  for (const l of trialLines) {
    const e = JSON.parse(l);
    assert.equal(e.result.telemetry, undefined);
    assert.equal(e.result.groupTelemetry, undefined);
    assert.match(e.telemetryFile.file, /^telemetry\/trial-\d+-[0-9a-f]{12}\.wws$/);
    assert.equal(statSync(join(dir, e.telemetryFile.file)).size, e.telemetryFile.bytes);
  }
  const events = readRunJournal(join(dir, 'journal.jsonl')).events;
  for (const r of evaluator.results.filter((x) => x.trialId >= 0)) {
    const e = events.find((x) => x.type === 'trial-finished' && x.trialId === r.trialId) as { result: TrialResult; telemetryFile?: unknown };
    assert.equal(e.telemetryFile, undefined);
    assert.deepEqual(e.result, JSON.parse(JSON.stringify(r)));
  }
  // The summary reads the groups from the side files: a labelled group means the telemetry was read.
  const summary = summaryFromJournal(events, dir);
  assert.ok(summary.history.every((h) => h.groupScores && Object.values(h.groupScores).some((v) => v !== null)), JSON.stringify(summary.history.map((h) => h.groupScores)));
  assert.ok(summary.winnerGroupTelemetry?.length);
});

test('a missing or damaged side file is a SideFileError naming it; the journal and the other files are untouched and read again once it is back', async () => {
  const { dir } = await v3Run();
  const journalPath = join(dir, 'journal.jsonl');
  const before = readFileSync(journalPath);
  const files = readdirSync(join(dir, 'telemetry')).sort();
  assert.equal(files.length, 4);
  const victim = join(dir, 'telemetry', files[1]);
  const keep = join(dir, 'victim-copy');
  copyFileSync(victim, keep);
  const names = (e: Error) => e instanceof SideFileError && e.message.includes(victim);
  const damages: [string, () => void, RegExp][] = [
    ['missing', () => rmSync(victim), /side file missing/],
    ['cut short', () => writeFileSync(victim, readFileSync(keep).subarray(0, 100)), /damaged: 100 bytes/],
    ['one byte changed', () => { const b = readFileSync(keep); b[b.length - 3] ^= 1; writeFileSync(victim, b); }, /damaged: its sha256/],
  ];
  for (const [what, damage, pattern] of damages) {
    damage();
    // Missing or cut short: seen when the journal is read; edited: when the telemetry is (its sha256).
    const read = () => summaryFromJournal(readRunJournal(journalPath).events, dir);
    assert.throws(read, (e: Error) => names(e) && pattern.test(e.message), what);
    await assert.rejects(async () => SearchRun.open({ resume: dir }, deps()).execute(), (e: Error) => names(e), `resume, ${what}`);
    assert.deepEqual(readFileSync(journalPath), before, `the journal is untouched (${what})`);
    copyFileSync(keep, victim);
    assert.equal(readRunJournal(journalPath).events.length, before.toString().trim().split('\n').length);
  }
  // A well-formed file whose content is not telemetry (the journal edited to match it) is refused by name too.
  const alien = encodeSideFile({ telemetry: 'none' });
  writeFileSync(victim, alien);
  const { createHash } = await import('node:crypto');
  const edited = before.toString().split('\n').map((l) => {
    if (!l.includes(files[1])) return l;
    const e = JSON.parse(l);
    e.telemetryFile = { ...e.telemetryFile, bytes: alien.length, sha256: createHash('sha256').update(alien).digest('hex') };
    return JSON.stringify(e);
  }).join('\n');
  writeFileSync(journalPath, edited);
  // Its size and sha256 match the line: it is decoded, and refused, when a reader first asks for it.
  const events = readRunJournal(journalPath).events;
  assert.throws(() => summaryFromJournal(events, dir), (e: Error) => names(e) && /not a trial's telemetry \(telemetry must be a list\)/.test(e.message));
  renameSync(keep, victim);
});

test("the side file's shape check agrees with the trial result schema on every one-field edit of a telemetry", () => {
  const point = { epoch: 0, step: 1, variance: 0.5, mean: 1, min: null, max: 2 };
  const telemetry = {
    telemetry: [{ layer: 'a', group: 'g', width: 3, outgoing: [point], paired: [point] }, { layer: 'out', group: null, width: 10, outgoing: [] }],
    groupTelemetry: [{ group: 'g', width: 3, layers: ['a'], points: [{ epoch: 0, step: 0, outgoing: [1, null, 2], reader: null, gamma: [1, 1, 1], displacement: [0, 0, 0] }] }],
  };
  const base = { trialId: 0, status: 'ok', widths: [3], seconds: 1, metrics: { validationAccuracy: 0.5, testAccuracy: 0.5, trainLoss: 1, params: 1, macs: 1 } };
  const edits: unknown[] = [null, 'x', -1, 1.5, [], {}, [1], ['x'], undefined];
  const paths = (v: unknown, at: (string | number)[] = []): (string | number)[][] =>
    v === null || typeof v !== 'object' ? [at] : [at, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...at, Array.isArray(v) ? Number(k) : k]))];
  let cases = 0;
  for (const path of paths(telemetry).filter((p) => p.length > 0)) {
    for (const edit of edits) {
      const copy = structuredClone(telemetry) as Record<string | number, unknown>;
      let at: Record<string | number, unknown> = copy;
      for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
      if (edit === undefined) delete at[path.at(-1)!];
      else at[path.at(-1)!] = edit;
      // As a reader sees it: through JSON (a deleted list item is a null there).
      const read = JSON.parse(JSON.stringify(copy));
      const zod = trialResultSchema.safeParse({ ...base, ...read }).success;
      const fast = telemetryProblem(read) === undefined;
      assert.equal(fast, zod, `${path.join('.')} = ${JSON.stringify(edit)}: shape check ${fast ? 'accepts' : 'refuses'}, schema ${zod ? 'accepts' : 'refuses'}`);
      cases++;
    }
  }
  assert.ok(cases > 200);
});
