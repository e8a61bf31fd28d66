/**
 * The one way a URL path becomes a file path: decoded once, every segment checked, resolved under
 * the served folder, and its real path (symlinks followed) required to stay inside that folder's
 * real path. Anything else is "not found", so a probe learns nothing about what lies outside.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';

/**
 * The real path of `urlPath` (a URL path below the route's prefix, still percent-encoded) under
 * `realRoot` (itself a real path), or undefined when it is malformed, names a hidden file or a
 * parent (`..`, also encoded as `..%2f`), does not exist, or leads outside through a symlink.
 */
export function resolveUnder(realRoot: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  // Hidden names cover `.` and `..`, and the lock files, which are nobody's business over HTTP.
  if (segments.some((s) => s.startsWith('.'))) return undefined;
  let real: string;
  try {
    real = realpathSync(join(realRoot, ...segments));
  } catch {
    return undefined;
  }
  return isInside(realRoot, real) ? real : undefined;
}

/** Whether `path` is `root` or lies below it (both absolute, normalised). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
