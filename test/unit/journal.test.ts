import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, JournalError, repairTornTail, replayJournal } from '../../src/storage/journal.js';

test('events written are read back in order, each on its own line', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ww-j-')), 'journal.jsonl');
  const j = new Journal(path);
  j.append({ type: 'study-created', config: { space: 'cnn-mnist' } });
  j.append({ type: 'trial-started', trialId: 0, widths: [8, 16], seed: 3 });
  j.append({ type: 'trial-finished', trialId: 0, result: { acc: 0.5 } });
  j.close();
  assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 3);
  const r = replayJournal(path);
  assert.deepEqual(r.events.map((e) => e.type), ['study-created', 'trial-started', 'trial-finished']);
  assert.equal(r.tornLastLine, undefined);
});

test('a torn last line is skipped and reported, then cut so appends stay valid; a torn middle line is an error', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ww-j-')), 'journal.jsonl');
  const j = new Journal(path);
  j.append({ type: 'study-created', config: {} });
  j.close();
  appendFileSync(path, '{"type":"trial-fini');
  const r = replayJournal(path);
  assert.equal(r.events.length, 1);
  assert.equal(r.tornLastLine, '{"type":"trial-fini');
  repairTornTail(path, r);
  const j2 = new Journal(path);
  j2.append({ type: 'study-finished' });
  j2.close();
  assert.deepEqual(replayJournal(path).events.map((e) => e.type), ['study-created', 'study-finished']);

  writeFileSync(path, '{"type":"study-created","config":{}}\n{oops\n{"type":"study-finished"}\n');
  assert.throws(() => replayJournal(path), (e: Error) => e instanceof JournalError && /line 2/.test(e.message));
});

test('a null line or a trial-finished line without trialId in the middle is a JournalError with its line number', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ww-j-')), 'journal.jsonl');
  const cases: [string, RegExp][] = [
    ['null', /line 2: expected an event object, found null/],
    ['{"type":"trial-finished","result":{"status":"ok"}}', /line 2: a trial-finished event needs "trialId" \(a trial number\), found nothing/],
    ['{"type":"trial-started","trialId":1,"widths":[8,"x"],"seed":1}', /line 2: a trial-started event needs "widths"/],
    ['[1,2]', /line 2: expected an event object, found an array/],
  ];
  for (const [bad, pattern] of cases) {
    writeFileSync(path, `{"type":"study-created","config":{}}\n${bad}\n{"type":"study-finished"}\n`);
    assert.throws(() => replayJournal(path), (e: Error) => e instanceof JournalError && pattern.test(e.message), bad);
  }
});

// Property tests: whatever a crash or an editor does to a journal, replaying it gives the events of
// the whole lines or a JournalError naming the line, never a TypeError or a half-read event.
const trialId = fc.nat({ max: 1000 });
const widths = fc.array(fc.integer({ min: 1, max: 512 }), { minLength: 1, maxLength: 4 });
const text = fc.string({ maxLength: 12 });
const eventArb = fc.oneof(
  fc.record({ type: fc.constant('study-created'), config: fc.dictionary(text, fc.oneof(text, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean())) }),
  fc.record({ type: fc.constant('trial-started'), trialId, widths, seed: fc.integer() }),
  fc.record({ type: fc.constant('trial-finished'), trialId, result: fc.record({ status: fc.constantFrom('ok', 'failed'), acc: fc.double({ min: 0, max: 1, noNaN: true }) }) }),
  fc.record({ type: fc.constant('trial-failed'), trialId, reason: text }),
  fc.record({ type: fc.constant('winner-chosen'), trialId, widths }),
  fc.record({ type: fc.constant('final-trained'), which: fc.constantFrom('base', 'winner'), result: fc.record({ acc: fc.double({ min: 0, max: 1, noNaN: true }) }) }),
  fc.record({ type: fc.constant('study-finished') }),
).map((e) => JSON.parse(JSON.stringify({ ...e, at: '2026-11-25T00:00:00.000Z' })));  // plain objects, as a reader sees them

function replayOf(content: string | Buffer) {
  const path = join(mkdtempSync(join(tmpdir(), 'ww-jp-')), 'journal.jsonl');
  writeFileSync(path, content);
  return () => replayJournal(path);
}

test('property: a journal cut at any byte replays the events of its whole lines, and reports the torn one', () => {
  fc.assert(fc.property(fc.array(eventArb, { maxLength: 8 }), fc.double({ min: 0, max: 1, noNaN: true }), (events, where) => {
    const bytes = Buffer.from(events.map((e) => JSON.stringify(e) + '\n').join(''));
    const cut = Math.floor(where * bytes.length);
    const r = replayOf(bytes.subarray(0, cut))();
    // Whole lines are those whose JSON ends at or before the cut (the newline may be missing).
    let end = 0;
    const whole = events.filter((e) => (end += Buffer.byteLength(JSON.stringify(e)) + 1) - 1 <= cut);
    assert.deepEqual(r.events, whole);
    const tornBytes = cut - whole.reduce((s, e) => s + Buffer.byteLength(JSON.stringify(e)) + 1, 0);
    assert.equal(r.tornLastLine !== undefined, tornBytes > 0);
  }), { numRuns: 300 });
});

const badLine = fc.oneof(
  fc.constant('null'),
  fc.constant('{"type":"trial-finished","result":{}}'),
  fc.constantFrom('[]', '42', '"text"', '{}', 'true', '{"type":7}'),
  fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !s.includes('\n') && s.trim() !== ''),
  eventArb.chain((e) => {
    const line = JSON.stringify(e);
    return fc.integer({ min: 1, max: line.length - 1 }).map((n) => line.slice(0, n));
  }),
).filter((line) => {
  // Random text that happens to be a valid event is not a bad line.
  try {
    const v = JSON.parse(line);
    return !(typeof v === 'object' && v !== null && !Array.isArray(v) && typeof v.type === 'string' && !['trial-finished', 'trial-started', 'trial-failed', 'winner-chosen', 'final-trained', 'study-created'].includes(v.type));
  } catch {
    return true;
  }
});

test('property: a garbage, null or partial line anywhere is a JournalError with its line number, or a torn last line', () => {
  fc.assert(fc.property(fc.array(eventArb, { maxLength: 8 }), badLine, fc.double({ min: 0, max: 1, noNaN: true }), (events, bad, where) => {
    const lines = events.map((e) => JSON.stringify(e));
    const at = Math.min(lines.length, Math.floor(where * (lines.length + 1)));
    lines.splice(at, 0, bad);
    const replay = replayOf(lines.join('\n') + '\n');
    let result: ReturnType<typeof replayJournal> | undefined;
    try {
      result = replay();
    } catch (err) {
      assert.ok(err instanceof JournalError, `not a JournalError: ${(err as Error).stack}`);
      assert.match(err.message, new RegExp(`line ${at + 1}[: ]`));
      return;
    }
    // Only a last line may be skipped, as torn; everything whole is replayed.
    assert.equal(at, events.length, `the bad line ${JSON.stringify(bad)} at line ${at + 1} was accepted`);
    assert.deepEqual(result.events, events);
    assert.equal(result.tornLastLine, bad);
  }), { numRuns: 300 });
});
