/**
 * The decode cache of an image folder: the decoded, resized pixels of every image, keyed by the
 * image's path (relative to the data folder), byte size and modification time, in one file per
 * (data folder, target shape). A file whose size or mtime changed is decoded again; the others are
 * reused, so 20 proxy trainings (and every worker thread) decode a folder once.
 *
 * Where: `<data-dir>/.widthwise-cache/` when that folder is writable (it sits beside the images it
 * describes, each machine of a queue search has its own beside its own copy, and deleting the data
 * deletes it), else `$XDG_CACHE_HOME/widthwise/images/` (or `~/.cache/widthwise/images/`).
 *
 * File layout: 8 bytes "WWIMGC01", a uint32 (LE) header length, the JSON header, then the pixels of
 * the entries in header order, `h * w * c` bytes each. Written to a temporary file and renamed, so
 * a reader sees the old cache or the new one, never half of one.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ImageShape } from '../core/shapes.js';

const MAGIC = 'WWIMGC01';

/** One decoded image as the cache keeps it. */
export interface CachedImage {
  /** Path relative to the data folder, `/`-separated. */
  path: string;
  bytes: number;
  mtimeMs: number;
  /** Size of the image file itself, before resizing (for the mixed-sizes check). */
  width: number;
  height: number;
  /** `h * w * c` bytes, NHWC, at the cache's target shape. */
  pixels: Uint8Array;
}

interface Header {
  dir: string;
  shape: ImageShape;
  entries: Omit<CachedImage, 'pixels'>[];
}

/** The folder the cache of `dataDir` lives in (see the module comment for the choice). */
export function imageCacheDir(dataDir: string): string {
  const beside = join(resolve(dataDir), '.widthwise-cache');
  try {
    if (existsSync(beside)) accessSync(beside, constants.W_OK);
    else accessSync(resolve(dataDir), constants.W_OK);
    return beside;
  } catch {
    const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
    return join(base, 'widthwise', 'images');
  }
}

/** The cache file of `dataDir` at `shape`: one per (absolute folder, shape). */
export function imageCacheFile(dataDir: string, shape: ImageShape): string {
  const dir = resolve(dataDir);
  const key = createHash('sha256').update(JSON.stringify([dir, shape])).digest('hex').slice(0, 16);
  return join(imageCacheDir(dataDir), `${shape.join('x')}-${key}.bin`);
}

/**
 * The cached images of `dataDir` at `shape`, by relative path; empty when there is no cache or it
 * is unreadable, of another shape or folder (a damaged cache is ignored and rewritten, never an error).
 */
export function readImageCache(dataDir: string, shape: ImageShape): Map<string, CachedImage> {
  const file = imageCacheFile(dataDir, shape);
  const found = new Map<string, CachedImage>();
  if (!existsSync(file)) return found;
  try {
    const buf = readFileSync(file);
    if (buf.subarray(0, 8).toString('latin1') !== MAGIC) return found;
    const headerBytes = buf.readUInt32LE(8);
    const header = JSON.parse(buf.subarray(12, 12 + headerBytes).toString('utf8')) as Header;
    if (header.dir !== resolve(dataDir) || header.shape.join() !== shape.join()) return found;
    const size = shape[0] * shape[1] * shape[2];
    let offset = 12 + headerBytes;
    if (buf.length !== offset + header.entries.length * size) return found;
    for (const e of header.entries) {
      found.set(e.path, { ...e, pixels: new Uint8Array(buf.buffer, buf.byteOffset + offset, size) });
      offset += size;
    }
  } catch {
    found.clear();
  }
  return found;
}

/** Writes the cache of `dataDir` at `shape` (atomically); a folder that cannot be written is no error. */
export function writeImageCache(dataDir: string, shape: ImageShape, images: CachedImage[]): string | undefined {
  const file = imageCacheFile(dataDir, shape);
  const header: Header = { dir: resolve(dataDir), shape, entries: images.map(({ pixels: _, ...e }) => e) };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(12);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(json.length, 8);
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, prefix);
      writeSync(fd, json);
      for (const image of images) writeSync(fd, image.pixels);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    return file;
  } catch {
    return undefined;
  }
}
