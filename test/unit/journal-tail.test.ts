import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalTail } from '../../src/dashboard/journal-tail.js';
import { JournalError } from '../../src/storage/journal.js';

const line = (trialId: number, note = '') => JSON.stringify({ type: 'trial-started', at: 'now', trialId, widths: [4, 2], seed: 1, tag: note }) + '\n';

test('a journal tail returns each completed line once and waits for a torn last line', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ww-tail-')), 'journal.jsonl');
  const tail = new JournalTail(path);
  assert.deepEqual(tail.read(), { events: [], restarted: false }, 'no file yet: nothing, no error');
  writeFileSync(path, line(0) + line(1));
  assert.deepEqual(tail.read().events.map((e) => (e as { trialId: number }).trialId), [0, 1]);
  assert.equal(tail.read().events.length, 0, 'nothing new');

  // The writer mid-append: half a line, cut inside a two-byte character, is not an error.
  const next = Buffer.from(line(2, 'größer'));
  const cut = next.indexOf(Buffer.from('ö')) + 1;
  appendFileSync(path, next.subarray(0, cut));
  assert.equal(tail.read().events.length, 0);
  appendFileSync(path, next.subarray(cut));
  const [event] = tail.read().events as { trialId: number; tag: string }[];
  assert.equal(event.trialId, 2);
  assert.equal(event.tag, 'größer', 'the character split across reads is whole');
});

test('a torn tail cut by a resume and appended after is read right; a journal rewritten shorter is read again', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ww-tail-')), 'journal.jsonl');
  const complete = line(0) + line(1);
  writeFileSync(path, complete + '{"type":"trial-fin');
  const tail = new JournalTail(path);
  assert.equal(tail.read().events.length, 2);
  // What a resume does (storage's repairTornTail), then its next append: longer than before.
  truncateSync(path, Buffer.byteLength(complete));
  appendFileSync(path, line(5, 'a note long enough to pass the old end'));
  const resumed = tail.read();
  assert.equal(resumed.restarted, false);
  assert.deepEqual(resumed.events.map((e) => (e as { trialId: number }).trialId), [5]);

  writeFileSync(path, line(7));
  const again = tail.read();
  assert.equal(again.restarted, true);
  assert.deepEqual(again.events.map((e) => (e as { trialId: number }).trialId), [7]);
});

test('a complete line that is not an event is an error naming its line', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ww-tail-')), 'journal.jsonl');
  writeFileSync(path, line(0) + '{"type":"trial-started"}\n');
  assert.throws(() => new JournalTail(path).read(), (err: Error) => err instanceof JournalError && /line 2: .*trialId/.test(err.message));
});
