// A search's journal read as `search --resume` and `report` read it: every line checked against its
// event's schema. Whatever an editor or a damaged disk does to one field of one line, reading the
// journal and summarising it gives the summary or a widthwise error naming the line, never a
// TypeError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WidthwiseError } from '../../src/core/errors.js';
import { readRunJournal } from '../../src/pipeline/run-events.js';
import { SearchRun } from '../../src/pipeline/search-run.js';
import { summaryFromJournal } from '../../src/pipeline/summary-from-journal.js';
import { JournalError } from '../../src/storage/journal.js';
import { FakeEvaluator } from '../helpers/fake-evaluator.js';

const ONNX = { path: 'winner.onnx', bytes: 1234, examples: 256, maxAbsDiff: 1e-6, argmaxAgreement: 1 };

/** The run folder of the last `finishedJournal`: its trials' telemetry side files go with every edited copy. */
let sourceDir = '';

/** The lines of a finished search's journal (fake trainings: no tfjs). */
async function finishedJournal(): Promise<string[]> {
  const dir = join(mkdtempSync(join(tmpdir(), 'ww-rj-')), 'run');
  sourceDir = dir;
  await SearchRun.open({ options: { space: 'mlp-mnist', sampler: 'random', trials: 3, workers: 2, seed: 1, finalEpochs: 1 }, out: dir }, {
    startBackend: async () => ({ name: 'fake' }), createEvaluator: () => new FakeEvaluator([96, 160]), exportWinner: async () => ONNX,
  }).execute();
  return readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n');
}

function readAndSummarise(lines: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'ww-rj-'));
  cpSync(join(sourceDir, 'telemetry'), join(dir, 'telemetry'), { recursive: true });
  writeFileSync(join(dir, 'journal.jsonl'), lines.join('\n') + '\n');
  return summaryFromJournal(readRunJournal(join(dir, 'journal.jsonl')).events, dir);
}

test('a run event that fails its schema is a JournalError naming its line and field', async () => {
  const lines = await finishedJournal();
  assert.ok(readAndSummarise(lines).finished);
  const at = lines.findIndex((l) => JSON.parse(l).type === 'final-trained');
  const cases: [(e: any) => void, RegExp][] = [
    [(e) => { e.result.metrics.testAccuracy = 'high'; }, /a final-trained event needs "result" \(result\.metrics\.testAccuracy: expected number, received string\)/],
    [(e) => { e.which = 'bogus'; }, /a final-trained event needs "which"|a final-trained event needs "result"/],
    [(e) => { delete e.result.metrics; }, /needs "result" \(result\.metrics: a successful result needs its metrics\)/],
    [(e) => { e.result = null; }, /needs "result"/],
  ];
  for (const [mutate, pattern] of cases) {
    const edited = [...lines];
    const event = JSON.parse(edited[at]);
    mutate(event);
    edited[at] = JSON.stringify(event);
    assert.throws(() => readAndSummarise(edited), (e: Error) => e instanceof JournalError && e.message.includes(`line ${at + 1}: `) && pattern.test(e.message), edited[at]);
  }
});

/** Every path to a value inside `value` (object keys and array indices). */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

const garbage = fc.oneof(fc.constant(null), fc.constant(undefined), fc.string({ maxLength: 5 }), fc.integer(), fc.constant(-1), fc.double(), fc.boolean(), fc.constant([]), fc.constant({}));

test('property: one field of one line replaced by garbage gives the summary or a widthwise error, never a TypeError', async () => {
  const lines = await finishedJournal();
  const events = lines.map((l) => JSON.parse(l));
  // Every place a field can be, the study's config (its space, its options) included.
  const places = events.flatMap((e, line) => paths(e).filter((p) => p.length > 0).map((p) => ({ line, path: p })));
  fc.assert(fc.property(fc.constantFrom(...places), garbage, ({ line, path }, value) => {
    const edited = structuredClone(events);
    let parent = edited[line];
    for (const key of path.slice(0, -1)) parent = parent[key];
    if (value === undefined) delete parent[path[path.length - 1]];
    else parent[path[path.length - 1]] = value;
    try {
      readAndSummarise(edited.map((e) => JSON.stringify(e)));
    } catch (err) {
      assert.ok(err instanceof WidthwiseError, `${path.join('.')} = ${JSON.stringify(value)} on line ${line + 1}: ${(err as Error).stack}`);
    }
  }), { numRuns: 600 });
});
