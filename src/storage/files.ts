/**
 * Durable file writes and checksums. A write that must survive a crash goes to a temporary file,
 * is flushed to the disk (fsync), and only then renamed over its target; the folder is flushed too,
 * so the rename itself is on the disk. A reader therefore sees the old file or the new one, whole.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Writes `data` to `path` and flushes it to the disk before returning (no rename: see `writeFileAtomic`). */
export function writeFileDurable(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
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
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileDurable(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
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
