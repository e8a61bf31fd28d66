/**
 * Making sure a run folder can be written, before any work starts. Node's `mkdirSync(dir,
 * { recursive: true })` never returns for a path under /proc (it retries forever), so folders are
 * created one level at a time from the nearest existing ancestor, which must be a writable folder.
 */
import { accessSync, constants, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';

/** Creates `dir` (and missing parents) and proves a file can be written in it; throws `UsageError` naming the flag otherwise. */
export function ensureWritableDir(dir: string, flag: string): void {
  const target = resolve(dir);
  const missing: string[] = [];
  let at = target;
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch {
      missing.unshift(at);
      const parent = dirname(at);
      if (parent === at) throw new UsageError(`${flag} ${dir}: no existing folder to create it in`);
      at = parent;
      continue;
    }
    if (!isDir) throw new UsageError(`${flag} ${dir}: ${at} is a file, not a folder`);
    break;
  }
  try {
    accessSync(at, constants.W_OK);
    for (const d of missing) mkdirSync(d);
    const probe = join(target, `.write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (err) {
    throw new UsageError(`${flag} ${dir}: cannot write there (${err instanceof Error ? err.message : String(err)}); pick a folder you can write`);
  }
}
