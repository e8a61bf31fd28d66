import { test } from 'node:test';
import assert from 'node:assert/strict';
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

  writeFileSync(path, '{"type":"study-created"}\n{oops\n{"type":"study-finished"}\n');
  assert.throws(() => replayJournal(path), (e: Error) => e instanceof JournalError && /line 2/.test(e.message));
});
