// Every write of the storage layer failing the way a full disk fails it: a short write followed by
// ENOSPC (fs.writeSync patched for the duration, as the disk would answer), checked against the
// bytes on the disk before the failure. The real full file system is in integration/disk-full.test.ts.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs, { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskFullError, writeFileAtomic, writeFileDurable } from '../../src/storage/files.js';
import { Journal, replayJournal } from '../../src/storage/journal.js';

const realWriteSync = fs.writeSync;
const tmp = () => mkdtempSync(join(tmpdir(), 'ww-enospc-'));

/** From now on the disk takes `bytes` more bytes (a short write at the edge), then answers `code`. */
function diskFullAfter(bytes: number, code = 'ENOSPC'): void {
  let room = bytes;
  (fs as { writeSync: unknown }).writeSync = (fd: number, buffer: Uint8Array | string, offset?: number, length?: number, position?: number) => {
    const data = typeof buffer === 'string' ? Buffer.from(buffer) : buffer;
    const start = typeof offset === 'number' ? offset : 0;
    const want = typeof length === 'number' ? length : data.length - start;
    if (room === 0) throw Object.assign(new Error(`${code}: simulated, write`), { code });
    const n = Math.min(room, want);
    room -= n;
    return realWriteSync(fd, data, start, n, position ?? null);
  };
  syncBuiltinESMExports();
}

afterEach(() => {
  (fs as { writeSync: unknown }).writeSync = realWriteSync;
  syncBuiltinESMExports();
});

test('a journal append cut short by a full disk is taken back: the file holds exactly its earlier lines, and appends go on after it', () => {
  const path = join(tmp(), 'journal.jsonl');
  const journal = new Journal(path);
  journal.append({ type: 'study-created', config: { a: 1 } });
  journal.append({ type: 'trial-started', trialId: 0, widths: [4], seed: 1 });
  const before = readFileSync(path, 'utf8');
  diskFullAfter(17);
  assert.throws(() => journal.append({ type: 'trial-finished', trialId: 0, result: { widths: [4] } }), (e: Error) => {
    assert.ok(e instanceof DiskFullError, e.message);
    assert.match(e.message, new RegExp(`^${path}: the file system is full \\(ENOSPC\\); its lines before this trial-finished event are left whole`));
    return true;
  });
  assert.equal(readFileSync(path, 'utf8'), before, 'the 17 bytes that went in were cut off');
  (fs as { writeSync: unknown }).writeSync = realWriteSync;
  syncBuiltinESMExports();
  journal.append({ type: 'trial-finished', trialId: 0, result: { widths: [4] } });
  journal.close();
  const replay = replayJournal(path);
  assert.equal(replay.tornLastLine, undefined);
  assert.deepEqual(replay.events.map((e) => e.type), ['study-created', 'trial-started', 'trial-finished']);
});

test('another write error is passed on as it is, and the journal is cut back all the same', () => {
  const path = join(tmp(), 'journal.jsonl');
  const journal = new Journal(path);
  journal.append({ type: 'study-created', config: {} });
  const before = readFileSync(path, 'utf8');
  diskFullAfter(5, 'EIO');
  assert.throws(() => journal.append({ type: 'study-finished' }), (e: Error & { code?: string }) => !(e instanceof DiskFullError) && e.code === 'EIO');
  assert.equal(readFileSync(path, 'utf8'), before);
  journal.close();
});

test('an atomic write on a full disk leaves the previous file whole and no temporary file', () => {
  const dir = tmp();
  const path = join(dir, 'summary.json');
  writeFileSync(path, '{"old":true}');
  diskFullAfter(100);
  assert.throws(() => writeFileAtomic(path, JSON.stringify({ big: 'x'.repeat(1000) })), (e: Error) => e instanceof DiskFullError && e.message.startsWith(`${path}: the file system is full (ENOSPC); the previous file is left whole`));
  assert.equal(readFileSync(path, 'utf8'), '{"old":true}');
  assert.deepEqual(readdirSync(dir), ['summary.json']);
});

test('a durable write on a full disk leaves no part of the file', () => {
  const dir = tmp();
  const path = join(dir, 'weights.3.bin');
  diskFullAfter(4096);
  assert.throws(() => writeFileDurable(path, new Uint8Array(10_000)), (e: Error) => e instanceof DiskFullError && e.message.startsWith(`${path}: the file system is full (ENOSPC); no part of it was left`));
  assert.deepEqual(readdirSync(dir), []);
});
