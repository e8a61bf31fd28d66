import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunFolderLockedError } from '../../src/core/errors.js';
import { processIsDead, readProcStat } from '../../src/storage/process-liveness.js';
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

// --- Dead holders that `kill(pid, 0)` calls alive: a zombie, and a pid now another program's ---

const KILLER = new URL('../fixtures/kill-at-checkpoint.mjs', import.meta.url).pathname;

/** The state letter of process `pid` from /proc/<pid>/status (read here, not through the lock's code). */
function procState(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8').match(/^State:\s+(\S)/m)?.[1];
  } catch {
    return undefined;
  }
}

/** Waits until process `pid` is a zombie (state Z in /proc/<pid>/status). */
async function untilZombie(pid: number, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (procState(pid) !== 'Z') {
    if (Date.now() > deadline) throw new Error(`process ${pid} did not become a zombie (state ${procState(pid)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Runs `node argv` in the background of a shell that then execs `sleep`: the node process's parent
 * is then a program that never waits for children, so once node dies it stays a zombie until the
 * sleep is killed (as a holder whose parent was killed with it stays one in a container without init).
 */
function underNonReapingParent(argv: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const quoted = [process.execPath, ...argv].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return spawn('sh', ['-c', `${quoted} </dev/null >/dev/null 2>&1 & exec sleep 600`], { stdio: 'ignore', env: { ...process.env, ...env } });
}

const linuxOnly = existsSync('/proc/self/stat') ? false : 'needs /proc (Linux)';

test('a zombie holder (killed, never reaped) is dead: its lock is taken over at once', { skip: linuxOnly }, async () => {
  const dir = tmp();
  const parent = underNonReapingParent(['--import', 'tsx', HOLDER, dir]);
  try {
    let holderPid: number | undefined;
    for (const deadline = Date.now() + 30_000; holderPid === undefined && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      try {
        holderPid = JSON.parse(readFileSync(join(dir, HOLDER_FILE), 'utf8')).pid;
      } catch { /* not written yet */ }
    }
    assert.ok(holderPid, 'the holder took the lock');
    await assert.rejects(lockRunFolder(dir, { command: 'test' }), RunFolderLockedError, 'refused while the holder lives');
    process.kill(holderPid, 'SIGKILL');
    await untilZombie(holderPid);
    assert.doesNotThrow(() => process.kill(holderPid!, 0), 'kill(pid, 0) still finds the zombie');
    const started = Date.now();
    const lock = await lockRunFolder(dir, { command: 'test' });
    assert.ok(Date.now() - started < 3000, `took the zombie's lock in ${Date.now() - started} ms`);
    assert.equal(procState(holderPid), 'Z', 'still a zombie when the lock was taken');
    await lock.release();
  } finally {
    parent.kill('SIGKILL');
  }
});

test('a holder whose pid now belongs to another program (another start time) is dead; the same start time is alive', { skip: linuxOnly }, async () => {
  const dir = tmp();
  const other = spawn('sleep', ['600'], { stdio: 'ignore' });
  try {
    await new Promise((r) => other.once('spawn', r));
    const fields = readFileSync(`/proc/${other.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const startTicks = fields[19]; // field 22 of proc(5), counting from the state (field 3)
    const write = (ticks: string) => {
      rmSync(join(dir, LOCK_DIR), { recursive: true, force: true });
      mkdirSync(join(dir, LOCK_DIR));
      const lock = { ino: statSync(join(dir, LOCK_DIR)).ino, birthtimeMs: statSync(join(dir, LOCK_DIR)).birthtimeMs };
      writeFileSync(join(dir, HOLDER_FILE), JSON.stringify({ pid: other.pid, host: hostname(), command: 'widthwise search', since: new Date().toISOString(), startTicks: ticks, lock }));
    };
    write(startTicks);
    await assert.rejects(lockRunFolder(dir, { command: 'test' }), (e: Error) => e instanceof RunFolderLockedError && e.message.includes(`in use by process ${other.pid} `));
    write(String(Number(startTicks) - 1));
    const started = Date.now();
    const lock = await lockRunFolder(dir, { command: 'test' });
    assert.ok(Date.now() - started < 3000);
    const own = JSON.parse(readFileSync(join(dir, HOLDER_FILE), 'utf8'));
    assert.equal(own.startTicks, readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[19], 'the new holder records its own start time');
    await lock.release();
  } finally {
    other.kill('SIGKILL');
  }
});

test('train --resume goes on at once when the killed training is a zombie still "holding" the folder', { skip: linuxOnly }, async () => {
  const dir = join(tmp(), 'ckpt');
  // SIGKILLed right after its first checkpoint (epoch 1 of 2), under a parent that never reaps it.
  const parent = underNonReapingParent(['--import', KILLER, BIN, 'train', 'mlp-mnist', '--epochs', '2', '--max-train', '300', '--backend', 'wasm', '--save', dir], { WIDTHWISE_TEST_KILL: 'after:1' });
  try {
    let pid: number | undefined;
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      try {
        pid = JSON.parse(readFileSync(join(dir, HOLDER_FILE), 'utf8')).pid;
        if (existsSync(join(dir, 'checkpoint.json')) && procState(pid!) === 'Z') break;
      } catch { /* not written yet */ }
    }
    assert.ok(pid !== undefined && procState(pid) === 'Z', `the killed training is a zombie (state ${pid && procState(pid)})`);
    const started = Date.now();
    const r = spawnSync(process.execPath, [BIN, 'train', '--resume', dir, '--backend', 'wasm'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /RunFolderLockedError/);
    assert.equal(procState(pid), 'Z', 'the zombie was still there while the resume ran');
    assert.equal(JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).epochsDone, 2, `resumed to the end in ${Date.now() - started} ms`);
  } finally {
    parent.kill('SIGKILL');
  }
});

test('a process whose name holds ") " is read right from /proc (its state and start time, not fields shifted by the name)', { skip: linuxOnly }, async () => {
  const dir = tmp();
  const odd = join(dir, 'x) R 1 (y');
  copyFileSync(spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim(), odd);
  chmodSync(odd, 0o755);
  const child = spawn(odd, ['600'], { stdio: 'ignore' });
  try {
    await new Promise((r) => child.once('spawn', r));
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    assert.match(status, /^Name:\s+x\) R 1 \(y$/m, 'the kernel took the odd name');
    const stat = readProcStat(child.pid!);
    assert.equal(stat?.state, procState(child.pid!));
    // Start time from /proc/<pid>/stat as the kernel documents it, counted by hand: 19 fields after the state.
    const raw = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const afterName = raw.slice(raw.indexOf(' (y) ') + ' (y) '.length).split(' ');
    assert.equal(stat?.startTicks, afterName[19]);
    assert.equal(processIsDead(child.pid!, afterName[19]), false);
    assert.equal(processIsDead(child.pid!, String(Number(afterName[19]) + 1)), true);
  } finally {
    child.kill('SIGKILL');
  }
});
