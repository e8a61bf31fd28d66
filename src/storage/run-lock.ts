/**
 * One writer per run folder. The lock is proper-lockfile's: a `.widthwise.lock` folder created
 * atomically (mkdir) inside the run folder, its modification time refreshed every second while
 * the holder lives. Beside it, `.widthwise.lock-holder.json` says who holds it (pid, host,
 * command, since), for the message a second writer gets.
 *
 * A holder killed with SIGKILL cannot remove its lock, so a lock counts as stale, and is taken
 * over, when either its holder's process is dead (same host: checked by pid, and on Linux also by
 * /proc, so a zombie or a pid reused by another program counts as dead: see process-liveness.ts;
 * the holder file names the lock folder it made by inode and birth time, so a newer lock is never
 * mistaken for the dead one's) or it has not been refreshed for `staleSeconds` (any host).
 */
import { existsSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { RunFolderLockedError } from '../core/errors.js';
import { createFolder, writeFileAtomic } from './files.js';
import { ownStartTicks, processIsDead } from './process-liveness.js';

export const LOCK_DIR = '.widthwise.lock';
export const HOLDER_FILE = '.widthwise.lock-holder.json';
const REFRESH_MS = 1000;
/** Tries (100 ms apart) before a lock folder no live process claims is taken as orphaned. */
const CLAIM_WAIT_TRIES = 20;

/** Who holds a run folder's lock. */
export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  since: string;
  /** The holder's start time, clock ticks since boot (Linux /proc field 22), so a reused pid is told apart; absent without /proc. */
  startTicks?: string;
  /** Identity of the lock folder this holder made. */
  lock: { ino: number; birthtimeMs: number };
}

/** A held lock; `release` gives it up (also given up when the process exits normally). */
export interface RunFolderLock {
  dir: string;
  release(): Promise<void>;
  /** Set when the lock was lost while held (its refresh failed, or another process took it). */
  readonly compromised?: Error;
}

export interface LockOptions {
  /** Says what holds the lock, e.g. `widthwise train --save`. */
  command: string;
  /** A lock unrefreshed for this long is stale whatever its holder (default 60 s, at least 2). */
  staleSeconds?: number;
}

function readHolder(dir: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, HOLDER_FILE), 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/** True when the holder was a process of this host that is dead now (gone, a zombie, or its pid reused). */
function holderIsDead(holder: LockHolder): boolean {
  return holder.host === hostname() && processIsDead(holder.pid, holder.startTicks);
}

function lockIdentity(dir: string): LockHolder['lock'] {
  const stat = statSync(join(dir, LOCK_DIR));
  return { ino: stat.ino, birthtimeMs: stat.birthtimeMs };
}

/**
 * Removes the lock of a process of this host that no longer exists; true if it did. The lock
 * folder may be a newer holder's whose holder file is not written yet, so one that is not the dead
 * holder's own is only removed when `orphaned` (nobody has claimed it for a while: a copied folder).
 */
function removeDeadHoldersLock(dir: string, holder: LockHolder, orphaned: boolean): boolean {
  try {
    const now = lockIdentity(dir);
    const its = now.ino === holder.lock?.ino && now.birthtimeMs === holder.lock?.birthtimeMs;
    if (!its && !orphaned) return false;
    rmdirSync(join(dir, LOCK_DIR));
    return true;
  } catch {
    return false;
  }
}

/**
 * Who holds run folder `dir` now, without taking or changing anything (for readers such as the
 * dashboard): undefined when there is no lock, when it has not been refreshed for `staleSeconds`,
 * or when its holder was a process of this host that is gone (killed: its lock stays behind).
 * A lock just taken whose holder file is not written yet counts as held, by `unknown`.
 */
export function runFolderHolder(dir: string, staleSeconds = 60): LockHolder | 'unknown' | undefined {
  let lockModified: number;
  try {
    lockModified = statSync(join(dir, LOCK_DIR)).mtimeMs;
  } catch {
    return undefined;
  }
  if (Date.now() - lockModified > staleSeconds * 1000) return undefined;
  const holder = readHolder(dir);
  if (!holder) return 'unknown';
  if (holderIsDead(holder)) return undefined;
  return holder;
}

/** The holder file a run folder's last writer left, live or not (it names the command, e.g. `widthwise baseline`). */
export function lastHolder(dir: string): LockHolder | undefined {
  return readHolder(dir);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes the lock of run folder `dir` (created if missing) for this process. Throws
 * `RunFolderLockedError`, naming the folder and the holder, when a live process holds it.
 */
export async function lockRunFolder(dir: string, options: LockOptions): Promise<RunFolderLock> {
  const folder = resolve(dir);
  createFolder(folder);
  const stale = Math.max(2, options.staleSeconds ?? 60) * 1000;
  let compromised: Error | undefined;
  const attempt = () => lockfile.lock(folder, {
    lockfilePath: join(folder, LOCK_DIR), realpath: false, stale, update: Math.min(REFRESH_MS, stale / 2), retries: 0,
    onCompromised: (err) => {
      compromised = err;
    },
  });
  let release: () => Promise<void>;
  for (let tries = 0; ; tries++) {
    try {
      release = await attempt();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      const holder = readHolder(folder);
      // This very process holds it (taken twice), unless the pid is a dead holder's reused by us (a restarted container).
      const ours = holder !== undefined && holder.pid === process.pid && (holder.startTicks === undefined || holder.startTicks === ownStartTicks());
      const gone = holder !== undefined && !ours && holderIsDead(holder);
      // A dead holder's lock is taken over; a newer one being set up is given a moment to say whose it is.
      if (gone && tries <= CLAIM_WAIT_TRIES) {
        if (!removeDeadHoldersLock(folder, holder, tries === CLAIM_WAIT_TRIES)) await sleep(100);
        continue;
      }
      // A lock just taken has no holder file for a moment: wait for it, so the message names the holder.
      if (holder === undefined && tries < CLAIM_WAIT_TRIES) {
        await sleep(100);
        continue;
      }
      const who = holder ? `process ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.since})` : 'another process';
      throw new RunFolderLockedError(`${folder}: in use by ${who}; wait for it to finish, or stop it, then run again (a killed holder's lock is taken over automatically)`);
    }
  }
  const holder: LockHolder = { pid: process.pid, host: hostname(), command: options.command, since: new Date().toISOString(), startTicks: ownStartTicks(), lock: lockIdentity(folder) };
  writeFileAtomic(join(folder, HOLDER_FILE), JSON.stringify(holder, null, 2));
  return {
    dir: folder,
    get compromised() {
      return compromised;
    },
    release: async () => {
      if (readHolder(folder)?.pid === process.pid) rmSync(join(folder, HOLDER_FILE), { force: true });
      if (!compromised && existsSync(join(folder, LOCK_DIR))) await release();
    },
  };
}
