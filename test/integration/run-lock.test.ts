import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunFolderLockedError } from '../../src/core/errors.js';
import { HOLDER_FILE, LOCK_DIR, lockRunFolder } from '../../src/storage/run-lock.js';

const HOLDER = new URL('../fixtures/hold-lock.ts', import.meta.url).pathname;
const BIN = new URL('../../bin/widthwise.js', import.meta.url).pathname;
const tmp = () => mkdtempSync(join(tmpdir(), 'ww-lock-'));

/** A child process that holds the lock of `dir` once this resolves. */
async function holdLock(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => { if (String(d).includes('locked')) resolve(); });
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

test('a second writer is refused at once, naming the folder and the live holder; a SIGKILLed holder\'s lock is taken over', async () => {
  const dir = tmp();
  const child = await holdLock(dir);
  try {
    const started = Date.now();
    await assert.rejects(lockRunFolder(dir, { command: 'test' }), (e: Error) => {
      assert.ok(e instanceof RunFolderLockedError, e.message);
      assert.ok(e.message.startsWith(`${dir}: in use by process ${child.pid} `), e.message);
      assert.match(e.message, /hold-lock fixture/);
      return true;
    });
    assert.ok(Date.now() - started < 1000, 'refused at once');
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  const started = Date.now();
  const lock = await lockRunFolder(dir, { command: 'test' });
  assert.ok(Date.now() - started < 5000, `took over the dead holder's lock in ${Date.now() - started} ms`);
  await lock.release();
  assert.ok(!existsSync(join(dir, LOCK_DIR)) && !existsSync(join(dir, HOLDER_FILE)), 'release removes the lock and the holder file');
});

test('one process cannot take its own folder twice; after release it can', async () => {
  const dir = tmp();
  const lock = await lockRunFolder(dir, { command: 'first' });
  await assert.rejects(lockRunFolder(dir, { command: 'second' }), (e: Error) => e instanceof RunFolderLockedError && /\(first, since /.test(e.message));
  await lock.release();
  await (await lockRunFolder(dir, { command: 'third' })).release();
});

test('a folder that cannot be made (/proc, a file in the way) is an error at once, not a hang', async () => {
  const started = Date.now();
  await assert.rejects(lockRunFolder('/proc/widthwise-lock-test', { command: 'test' }), /ENOENT/);
  await assert.rejects(lockRunFolder(join(BIN, 'x'), { command: 'test' }), /ENOTDIR/);
  assert.ok(Date.now() - started < 2000);
});

test('a lock of another host unrefreshed for longer than staleSeconds is stale and taken over', async () => {
  const dir = tmp();
  mkdirSync(join(dir, LOCK_DIR));
  writeFileSync(join(dir, HOLDER_FILE), JSON.stringify({ pid: 1, host: 'elsewhere', command: 'gone', since: '2026-01-01T00:00:00Z', lock: { ino: 0, birthtimeMs: 0 } }));
  await assert.rejects(lockRunFolder(dir, { command: 'test', staleSeconds: 2 }), (e: Error) => e instanceof RunFolderLockedError && /process 1 on elsewhere/.test(e.message));
  const old = new Date(Date.now() - 10_000);
  utimesSync(join(dir, LOCK_DIR), old, old);
  const lock = await lockRunFolder(dir, { command: 'test', staleSeconds: 2 });
  await lock.release();
});

test('train --save on a folder another process writes exits non-zero before any work, naming folder and holder', async () => {
  const dir = tmp();
  const child = await holdLock(dir);
  try {
    const started = Date.now();
    const r = spawnSync(process.execPath, [BIN, 'train', 'mlp-mnist', '--epochs', '1', '--save', dir], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^RunFolderLockedError: ${dir}: in use by process ${child.pid} `));
    assert.doesNotMatch(r.stderr, /backend:|training /, 'no work started');
    assert.ok(Date.now() - started < 10_000);
    assert.ok(!existsSync(join(dir, 'checkpoint.json')));
  } finally {
    child.kill('SIGKILL');
  }
});
// Two searches and two resumes of one folder at once, as child processes: search-resume-kill.test.ts.

test('a lock taken a moment ago, whose holder file is not written yet, is refused naming the holder once it is', async () => {
  const dir = tmp();
  mkdirSync(join(dir, LOCK_DIR));
  const holder = { pid: process.pid, host: hostname(), command: 'a search that has just locked', since: new Date().toISOString(), lock: { ino: 0, birthtimeMs: 0 } };
  setTimeout(() => writeFileSync(join(dir, HOLDER_FILE), JSON.stringify(holder)), 300);
  await assert.rejects(lockRunFolder(dir, { command: 'test' }), (e: Error) => e instanceof RunFolderLockedError && e.message.includes(`in use by process ${process.pid} `) && e.message.includes('a search that has just locked'));
});
