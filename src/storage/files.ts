import { renameSync, writeFileSync } from 'node:fs';

/** Writes a file atomically (a temporary file, then a rename): a crash never leaves half of it. */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
