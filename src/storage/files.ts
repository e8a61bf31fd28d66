/**
 * Durable file writes and checksums. A write that must survive a crash goes to a temporary file,
 * is flushed to the disk (fsync), and only then renamed over its target; the folder is flushed too,
 * so the rename itself is on the disk. A reader therefore sees the old file or the new one, whole.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { WidthwiseError } from '../core/errors.js';

/**
 * A write failed because its file system is full (ENOSPC) or the user's quota is spent (EDQUOT).
 * The message names the file; whatever the write had put there was taken back, so what was on the
 * disk before (the previous checkpoint, the journal's earlier lines) is whole, and a resume once
 * space is freed goes on from it.
 */
export class DiskFullError extends WidthwiseError {}

/** The error codes of a full file system. */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/**
 * `err` as a `DiskFullError` naming `path` when it says the disk is full, else `err` itself.
 * `kept` says what is left as it was (e.g. `the previous file is left whole`).
 */
export function diskFullAs(err: unknown, path: string, kept: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined || !DISK_FULL_CODES.has(code)) return err;
  return new DiskFullError(`${path}: the file system is full (${code}); ${kept}; free some space, then resume`);
}

/** Writes all of `bytes` at the file's position (a short write is followed by another, which then fails if the disk is full). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
}

/**
 * Writes `data` to `path` and flushes it to the disk before returning (no rename: see
 * `writeFileAtomic`). When the disk is full, the partly written file is removed and a
 * `DiskFullError` naming `path` is thrown.
 */
export function writeFileDurable(path: string, data: string | Uint8Array): void {
  try {
    writeAndFlush(path, data);
  } catch (err) {
    const named = diskFullAs(err, path, 'no part of it was left');
    // A part of the file is worth nothing and holds space the user must free.
    if (named !== err) rmSync(path, { force: true });
    throw named;
  }
}

/** Writes and flushes `path`, passing any error on as it is (the callers name it). */
function writeAndFlush(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a folder's entries (new names, renames, removals) to the disk. */
export function fsyncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems cannot open or flush a folder; the data files themselves are flushed.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes a file atomically and durably (a flushed temporary file, then a rename, then the folder
 * flushed): a crash at any moment leaves either the previous file or the new one, never a part.
 * On a full disk the previous file stays and a `DiskFullError` naming `path` is thrown.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeAndFlush(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw diskFullAs(err, path, existsSync(path) ? 'the previous file is left whole' : 'the file was not made');
  }
  fsyncFolder(dirname(path));
}

/** The sha256 of `data` as 64 lowercase hex digits. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * `mkdir -p` one level at a time: Node 20's recursive mkdir never returns on some file systems
 * (it loops on /proc), a plain mkdir fails at once.
 */
export function createFolder(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  while (!existsSync(at)) {
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const folder of missing) mkdirSync(folder);
}
