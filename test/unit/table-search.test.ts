// `search --table`: the real pipeline with its default evaluator factory, answering from a table of
// trained networks. Each answer is checked against the table read here independently (JSON.parse,
// keys from the grids), and the tiny table's params and MACs against a hand count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../src/core/errors.js';
import { SearchRun } from '../../src/pipeline/search-run.js';
import { BenchTable } from '../../src/runtime/bench-table.js';
import { tableAnswer, TableEvaluator } from '../../src/runtime/table-evaluator.js';
import { loadSpace } from '../../src/space/load.js';
import { ResumeError } from '../../src/search/study.js';
import { keyOf, realResnetTable, tinyMacs, tinyParams, writeTinyTable, type BenchFixture } from '../helpers/bench-tables.js';

type Entry = { acc: number[]; mean: number; params: number; flops: number };
type Line = { type: string; trialId?: number; which?: string; widths?: number[]; result?: { status: string; widths: number[]; metrics?: Record<string, number> } };

const readTable = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, Entry>;
const journal = (dir: string) => readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
const tiny = writeTinyTable();
const FIXTURES: BenchFixture[] = [tiny, ...(realResnetTable() ? [realResnetTable()!] : [])];

for (const fixture of FIXTURES) {
  for (const sampler of ['random', 'evolution'] as const) {
    test(`${sampler} search answered from the ${fixture.label} table: proxies read one recorded training chosen by the seed, finals another, nothing is trained or exported`, async () => {
      const dir = join(writeTinyTable().dir, 'run');
      const outcome = await SearchRun.open({ options: { space: fixture.space, table: fixture.table, sampler, trials: 40, workers: 4, seed: 11, budgetRatio: 1.5 }, out: dir }).execute();
      assert.equal(outcome.status, 'finished');
      const table = readTable(fixture.table);
      const lines = journal(dir);
      const proxies = lines.filter((e) => e.type === 'trial-finished');
      assert.ok(proxies.length >= 20, `${proxies.length} proxy trials`);
      const indicesRead = new Set<number>();
      for (const { result } of proxies) {
        const entry = table[keyOf(fixture, result!.widths)];
        const m = result!.metrics!;
        const i = entry.acc.findIndex((a) => a / 100 === m.validationAccuracy);
        assert.ok(i >= 0 && i < entry.acc.length - 1, `proxy ${result!.widths} read ${m.validationAccuracy}: one of ${entry.acc.slice(0, -1)} (not the last, kept for the finals)`);
        indicesRead.add(i);
        assert.equal(m.testAccuracy, entry.mean / 100);
        assert.deepEqual([m.params, m.macs], [entry.params, entry.flops]);
        if (fixture === tiny) assert.deepEqual([m.params, m.macs], [tinyParams(result!.widths), tinyMacs(result!.widths)], 'hand count');
      }
      assert.deepEqual([...indicesRead].sort(), [0, 1], 'the seed chooses among the recorded trainings');
      const finals = lines.filter((e) => e.type === 'final-trained');
      assert.deepEqual(finals.map((e) => e.which).sort(), ['base', 'uniform', 'winner']);
      const winnerProxy = proxies.find((e) => e.trialId === outcome.best!.trialId)!.result!.metrics!;
      for (const { which, result } of finals) {
        const entry = table[keyOf(fixture, result!.widths)];
        assert.equal(result!.metrics!.validationAccuracy, entry.acc[entry.acc.length - 1] / 100, `${which}: the last recorded training`);
        assert.equal(result!.metrics!.testAccuracy, entry.mean / 100);
      }
      const winnerFinal = finals.find((e) => e.which === 'winner')!.result!;
      const winnerEntry = table[keyOf(fixture, winnerFinal.widths)];
      assert.notEqual(winnerEntry.acc.indexOf(winnerProxy.validationAccuracy * 100), winnerEntry.acc.length - 1, 'the winner\'s final never reads the training its proxy read');
      // No weights: no backend, no checkpoint folders, no export; the summary and report say so.
      assert.ok(!lines.some((e) => e.type === 'onnx-exported' || e.type === 'export-failed'));
      assert.equal(lines[lines.length - 1].type, 'study-finished');
      for (const which of ['base', 'winner', 'uniform']) assert.ok(!existsSync(join(dir, which)), `no ${which}/ checkpoint`);
      const s = outcome.summary;
      assert.equal(s.onnx, undefined);
      assert.equal(s.backend, 'table');
      assert.deepEqual(s.table, { path: fixture.table, sha256: createHash('sha256').update(readFileSync(fixture.table)).digest('hex'), networks: Object.keys(table).length });
      assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /no weights exist and nothing was exported/);
      assert.ok(s.recommended);
    });
  }
}

test('a table search stopped after 15 trials, then cut by a crash mid-line, resumes to the uninterrupted result', async () => {
  const options = { space: tiny.space, table: tiny.table, sampler: 'evolution' as const, trials: 40, workers: 3, seed: 5, budgetRatio: 1.5 };
  const whole = await SearchRun.open({ options, out: join(writeTinyTable().dir, 'run') }).execute();
  const dir = join(writeTinyTable().dir, 'run');
  const run = SearchRun.open({ options, out: dir });
  const stopped = await run.execute({ onTrialDone: (p) => { if (p.done === 15) run.stop(); } });
  assert.equal(stopped.status, 'stopped');
  assert.ok(stopped.trials >= 15 && stopped.trials < 40, `${stopped.trials} trials before the stop`);
  appendFileSync(join(dir, 'journal.jsonl'), '{"type":"trial-started","trialId":9');
  const resumed = await SearchRun.open({ resume: dir }).execute();
  assert.equal(resumed.status, 'finished');
  const view = (s: typeof whole.summary) => ({
    history: s.history.map((t) => [t.trialId, t.widths.join(','), t.validationAccuracy]),
    finals: [s.base, s.uniform, s.winner].map((m) => m && [m.widths.join(','), m.validationAccuracy, m.testAccuracy]),
    recommended: s.recommended,
  });
  assert.deepEqual(view(resumed.summary), view(whole.summary));
});

test('a resume refuses a table whose content changed, and a new search refuses --table with --queue or --compare-wide-sparse', async () => {
  const fixture = writeTinyTable();
  const dir = join(fixture.dir, 'run');
  const run = SearchRun.open({ options: { space: fixture.space, table: fixture.table, sampler: 'random', trials: 10, workers: 2 }, out: dir });
  await run.execute({ onTrialDone: (p) => { if (p.done === 4) run.stop(); } });
  const changed = readTable(fixture.table);
  changed['1111'].acc[0] += 0.01;
  writeFileSync(fixture.table, JSON.stringify(changed));
  await assert.rejects(SearchRun.open({ resume: dir }).execute(), (e: Error) => e instanceof ResumeError && /\btable\b/.test(e.message));
  assert.throws(() => SearchRun.open({ options: { space: fixture.space, table: fixture.table }, queue: { url: 'redis://localhost:6379' } }), UsageError);
  assert.throws(() => SearchRun.open({ options: { space: fixture.space, table: fixture.table, compareWideSparse: true } }), (e: Error) => e instanceof UsageError && /dense networks only/.test(e.message));
});

test('a bad --table is a one-line UsageError naming --table before any work', () => {
  const good = writeTinyTable();
  const noLast = writeTinyTable((t) => { for (const e of Object.values(t)) e.acc = [e.acc[0]]; });
  const wrongCount = writeTinyTable((t) => { t[Object.keys(t)[0]].params += 1; });
  writeFileSync(join(good.dir, 'bad.json'), '{"1111": {"acc": [90, 91], "mean": 90.5,');
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ space: good.space, table: join(good.dir, 'missing.json') }, /^--table: .*missing\.json: no such file/],
    [{ space: good.space, table: join(good.dir, 'bad.json') }, /^--table: .*bad\.json: .*JSON/],
    [{ space: 'cbm-resnet', table: good.table }, /^--table: .*keys have 4 digits but space cbm-resnet has 7 width groups$/],
    [{ space: noLast.space, table: noLast.table }, /^--table: .*network 1111 has 1 recorded accuracy/],
    [{ space: wrongCount.space, table: wrongCount.table }, /^--table: .*widths 8,8,8,8 \(key 1111\) have 6587 params and 6544 MACs in the table but 6586 and 6544 in space mlp-table-test: the table is not this space's network$/],
  ];
  for (const [options, pattern] of cases) {
    assert.throws(() => SearchRun.open({ options, out: join(good.dir, 'never') }), (e: Error) => e instanceof UsageError && pattern.test(e.message) && !e.message.includes('\n'), JSON.stringify(options));
    assert.ok(!existsSync(join(good.dir, 'never')), 'no run folder');
  }
});

test('a network the table lacks, or a count that disagrees, is a failed trial that names the widths; the seed spreads proxies over all but the last training', async () => {
  const fixture = writeTinyTable((t) => { delete t['2132']; t['1112'].flops += 3; });
  const table = BenchTable.load(fixture.table);
  const evaluator = new TableEvaluator(table, { concurrency: 4 });
  const space = loadSpace(fixture.space);
  const task = (widths: number[]) => ({ trialId: 0, space, widths, seed: 1, data: { name: 'mnist' }, recipe: {} as never });
  const missing = await evaluator.evaluate(task([16, 8, 24, 16]));
  assert.equal(missing.status, 'failed');
  assert.match(missing.reason!, /no entry for widths 16,8,24,16 \(key 2132\) of space mlp-table-test/);
  const miscounted = await evaluator.evaluate(task([8, 8, 8, 16]));
  assert.equal(miscounted.status, 'failed');
  assert.match(miscounted.reason!, /widths 8,8,8,16 \(key 1112\) have .* MACs in the table but/);
  assert.equal((await evaluator.evaluate(task([8, 8, 8, 8]))).status, 'ok');
  const sparse = await evaluator.evaluate({ ...task([8, 8, 8, 8]), sparseNonzero: 100 });
  assert.equal(sparse.status, 'failed');
  assert.match(sparse.reason!, /dense networks only/);
  // Over the table's networks and a few salts, first proxies spread over every run but the last
  // (kept for the finals); a repeat of the same widths reads the other one.
  const counts = [0, 0, 0];
  for (const [key, entry] of table.all()) {
    for (let salt = 0; salt < 8; salt++) {
      const first = tableAnswer(entry, key, { salt }, false, 0).index;
      counts[first]++;
      assert.equal(tableAnswer(entry, key, { salt }, false, 1).index, 1 - first, `${key}: the repeat reads the other proxy run`);
      assert.equal(tableAnswer(entry, key, { salt }, true, 1).index, 2, 'a final reads the last run');
    }
  }
  assert.equal(counts[2], 0);
  const n = counts[0] + counts[1];
  assert.ok(counts[0] > 0.35 * n && counts[1] > 0.35 * n, `${counts}`);
});

test('--holdout K: no proxy, repeat or final ever reads run K (set absurd here), every test accuracy is run K, and the summary says the test is held out', async () => {
  for (const holdout of [0, 1, 2]) {
    // Run K is absurd, and absurdly good for narrow networks: a search that read it would chase them.
    const fixture = writeTinyTable((t) => { for (const e of Object.values(t)) e.acc[holdout] = 1000 - e.params / 100; });
    const table = readTable(fixture.table);
    const dir = join(fixture.dir, 'run');
    const outcome = await SearchRun.open({ options: { space: fixture.space, table: fixture.table, holdout, sampler: 'model', trials: 30, workers: 2, seed: holdout, budgetRatio: 1.5 }, out: dir }).execute();
    assert.equal(outcome.status, 'finished');
    const lines = journal(dir);
    const answers = lines.filter((e) => e.type === 'trial-finished' || e.type === 'final-trained');
    assert.ok(answers.length >= 25);
    const perNetwork = new Map<string, Set<number>>();
    for (const { result } of answers) {
      const key = keyOf(fixture, result!.widths);
      const entry = table[key];
      const m = result!.metrics!;
      assert.ok(m.validationAccuracy < 1, `run ${holdout} was read: ${m.validationAccuracy}`);
      const i = entry.acc.findIndex((a) => a / 100 === m.validationAccuracy);
      assert.ok(i >= 0 && i !== holdout, `${key} read run ${i}`);
      assert.equal(m.testAccuracy, entry.acc[holdout] / 100, 'the test accuracy is the held-out run alone');
      perNetwork.set(key, (perNetwork.get(key) ?? new Set()).add(i));
    }
    // A network evaluated twice (a repeat, or a proxy and its final) read both visible runs.
    for (const { result } of answers.filter((e) => e.type === 'final-trained' && e.which === 'winner')) {
      assert.equal(perNetwork.get(keyOf(fixture, result!.widths))!.size, 2, 'the winner\'s final read the run its proxy did not');
    }
    assert.equal(outcome.summary.table?.holdout, holdout);
    assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), new RegExp(`held-out recorded training ${holdout}`));
  }
  const fixture = writeTinyTable();
  assert.throws(() => SearchRun.open({ options: { space: fixture.space, table: fixture.table, holdout: 3 }, out: join(fixture.dir, 'never') }), (e: Error) => e instanceof UsageError && /cannot hold out run 3: network \d+ has 3 recorded trainings/.test(e.message));
  assert.throws(() => SearchRun.open({ options: { space: fixture.space, holdout: 1 }, out: join(fixture.dir, 'never') }), (e: Error) => e instanceof UsageError && /--holdout needs --table/.test(e.message));
});
