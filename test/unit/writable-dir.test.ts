import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/core/errors.js';
import { ensureWritableDir } from '../../src/storage/writable-dir.js';

test('run folders: created level by level, refused at once where they cannot be written', () => {
  const root = mkdtempSync(join(tmpdir(), 'ww-dir-'));
  const nested = join(root, 'a', 'b', 'c');
  ensureWritableDir(nested, '--out');
  assert.ok(existsSync(nested));
  assert.deepEqual(readdirSync(nested), []);
  const file = join(root, 'file');
  writeFileSync(file, 'x');
  assert.throws(() => ensureWritableDir(join(file, 'run'), '--out'), (e: Error) => e instanceof UsageError && /--out .*cannot write a folder there \(ENOTDIR\)/.test(e.message));
  // Node's recursive mkdir never returns here; this must fail in well under a second.
  const started = Date.now();
  assert.throws(() => ensureWritableDir('/proc/widthwise-test/run', '--out'), (e: Error) => e instanceof UsageError && /cannot write a folder there \(ENOENT\)/.test(e.message));
  assert.ok(Date.now() - started < 1000);
});
