/**
 * Making sure a run folder can be written, before any work starts: created level by level (see
 * `createFolder`: Node's recursive mkdir never returns under /proc), then checked to be a folder
 * this process may write.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { createFolder } from './files.js';

/** Creates `dir` and its missing parents, or throws `UsageError` naming the flag that gave it. */
export function ensureWritableDir(dir: string, flag: string): void {
  try {
    createFolder(dir);
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new UsageError(`${flag} ${dir}: cannot write a folder there (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a writable folder`);
  }
}
