import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunFolderLockedError } from '../../src/core/errors.js';
import { HOLDER_FILE, LOCK_DIR, lockRunFolder } from '../../src/storage/run-lock.js';
import { runWidthwiseAsync as widthwise, type ChildRun } from '../fixtures/widthwise-child.js';

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

// Real child processes on one run folder: two searches started together, then (the winner killed
// during its final trainings) two resumes started together. Each time one works and the other
// fails at once, naming the folder and the process that holds it; the journal has one history.
const SEARCH = ['search', '--space', 'mlp-mnist', '--sampler', 'random', '--trials', '2', '--workers', '1', '--proxy-epochs', '1', '--proxy-max-train', '300', '--final-epochs', '1', '--seed', '3', '--backend', 'wasm'];

/** The run that failed for the lock and the one that held it, checked. */
function oneRefused(runs: ChildRun[], dir: string, holderOutcome: (r: ChildRun) => void): void {
  const refused = runs.filter((r) => r.status === 1 && /RunFolderLockedError/.test(r.stderr));
  assert.equal(refused.length, 1, runs.map((r) => `${r.status ?? r.signal}: ${r.stderr}`).join('\n---\n'));
  const holder = runs.find((r) => r !== refused[0])!;
  assert.match(refused[0].stderr.trim(), new RegExp(`^RunFolderLockedError: ${dir}: in use by process ${holder.pid} `));
  assert.equal(refused[0].stderr.trim().split('\n').length, 1, refused[0].stderr);
  assert.ok(refused[0].ms < 10_000, `refused after ${refused[0].ms} ms`);
  holderOutcome(holder);
}

test('two searches on one folder, then two resumes of it, at once: one runs, the other fails naming the holder', async () => {
  const dir = join(tmp(), 'run');
  // Both children SIGKILL themselves at their first final-training checkpoint: only a holder gets there.
  const searches = await Promise.all([widthwise([...SEARCH, '--out', dir], 'after:1'), widthwise([...SEARCH, '--out', dir], 'after:1')]);
  oneRefused(searches, dir, (holder) => assert.equal(holder.signal, 'SIGKILL', holder.stderr));
  const resumes = await Promise.all([widthwise(['search', '--resume', dir]), widthwise(['search', '--resume', dir])]);
  oneRefused(resumes, dir, (holder) => assert.equal(holder.status, 0, holder.stderr));
  const events = readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const ids = events.filter((e) => e.type === 'trial-finished').map((e) => e.trialId);
  assert.deepEqual(ids, [0, 1], 'each trial finished once');
  assert.deepEqual(events.filter((e) => e.type === 'final-trained').map((e) => e.which).sort(), ['base', 'uniform', 'winner']);
  assert.equal(events.filter((e) => e.type === 'study-created').length, 1);
});
