/**
 * Image folders: one subfolder per class (the sorted folder names are the labels 0, 1, ...), PNG,
 * JPEG or WebP files inside. Either `train/` and `test/` folders that each hold the class folders,
 * or the class folders directly, in which case a fixed 20% of each class (seeded shuffle, the same
 * for every run and machine) is the test split. Every image is resized to the target shape (the
 * space's input) and converted to its channel count (colour to gray is allowed, gray to colour
 * is not: that is bad data). Decoding uses sharp (libvips, prebuilt from npm); decoded pixels are
 * cached (`image-cache.ts`).
 *
 * Bad data (an unreadable or truncated image, a file that is not an image, an empty class folder,
 * an image of another size than the folder's usual one, a grayscale image in a colour space)
 * either fails with a `DataError` naming the file (`badImages: 'fail'`, the default) or is skipped
 * and counted (`'skip'`). This module does no console I/O: progress goes to a callback.
 */
import { existsSync, readdirSync, statSync, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import { DataError, UsageError } from '../core/errors.js';
import { createRng, shuffleInPlace } from '../core/rng.js';
import type { DataSplit } from '../core/dataset.js';
import type { ImageShape } from '../core/shapes.js';
import { readImageCache, writeImageCache, type CachedImage } from './image-cache.js';
import type { RawDataset } from './prepare.js';

/** File extensions read as images (case-insensitive). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'];

/** Fraction of each class held out as the test split when the folder has no `train/` and `test/`. */
export const FOLDER_TEST_FRACTION = 0.2;

/** What to do with bad data: stop with its message, or leave it out and count it. */
export type BadImagePolicy = 'fail' | 'skip';

/** Decoding progress: `done` of `total` images, `decoded` of them decoded now, the rest from the cache. */
export interface DecodeProgress {
  done: number;
  total: number;
  decoded: number;
}

export interface ImageFolderOptions {
  /** `[height, width, channels]` every image becomes; channels 1 or 3. */
  shape: ImageShape;
  badImages?: BadImagePolicy;
  /** Called as images are decoded (about every 1% and at the end). */
  onProgress?: (p: DecodeProgress) => void;
}

/** A skipped bad file or class, with the reason. */
export interface SkippedItem {
  path: string;
  reason: string;
}

/** The dataset and what reading it did: the split used, the cache's share, what was skipped. */
export interface ImageFolderResult {
  raw: RawDataset;
  classNames: string[];
  /** `'folders'` (train/ and test/) or `'seeded'` (one folder, FOLDER_TEST_FRACTION held out). */
  split: 'folders' | 'seeded';
  decoded: number;
  fromCache: number;
  skipped: SkippedItem[];
  /** The cache file written, if the cache could be written. */
  cacheFile?: string;
}

interface ImageFile {
  /** Absolute path. */
  file: string;
  /** Relative to the data folder, `/`-separated (the cache key). */
  path: string;
  label: number;
  part: 'train' | 'test';
  stats: Stats;
}

const isVisible = (name: string) => !name.startsWith('.');

function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && isVisible(d.name)).map((d) => d.name).sort();
}

/** Collects bad data: throws at once under 'fail', records it under 'skip'. */
class BadData {
  readonly skipped: SkippedItem[] = [];
  constructor(private readonly policy: BadImagePolicy) {}
  report(path: string, reason: string): void {
    if (this.policy === 'fail') throw new DataError(`${path}: ${reason} (pass --bad-images skip to leave such files out and count them)`);
    this.skipped.push({ path, reason });
  }
}

/** The class folders of one part (`root` holds them), the files of each, bad entries reported. */
function listPart(dataDir: string, root: string, classNames: string[], part: 'train' | 'test', bad: BadData): ImageFile[] {
  const files: ImageFile[] = [];
  classNames.forEach((name, label) => {
    const folder = join(root, name);
    const entries = readdirSync(folder, { withFileTypes: true }).filter((d) => isVisible(d.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
    let images = 0;
    for (const d of entries) {
      const file = join(folder, d.name);
      const path = relative(dataDir, file).split(sep).join('/');
      if (!d.isFile() || !IMAGE_EXTENSIONS.includes(extname(d.name).toLowerCase())) {
        bad.report(file, `not an image file (expected ${IMAGE_EXTENSIONS.join(', ')} files in class folders)`);
        continue;
      }
      files.push({ file, path, label, part, stats: statSync(file) });
      images++;
    }
    if (images === 0) bad.report(folder, `class folder "${name}" has no images`);
  });
  return files;
}

/** The layout of `dataDir`: class names and the image files of both parts. */
function listFolder(dataDir: string, bad: BadData): { classNames: string[]; files: ImageFile[]; split: 'folders' | 'seeded' } {
  let top: string[];
  try {
    top = subfolders(dataDir);
  } catch {
    throw new DataError(`${dataDir}: not a readable folder (expected one subfolder of images per class, or train/ and test/ holding them)`);
  }
  const hasTrain = top.includes('train');
  const hasTest = top.includes('test');
  if (hasTrain !== hasTest) throw new DataError(`${dataDir}: has ${hasTrain ? 'train/' : 'test/'} but no ${hasTrain ? 'test/' : 'train/'}; expected both, or class folders only`);
  if (hasTrain) {
    const classNames = subfolders(join(dataDir, 'train'));
    const testNames = subfolders(join(dataDir, 'test'));
    if (classNames.join('\n') !== testNames.join('\n')) {
      throw new DataError(`${dataDir}: train/ has classes [${classNames.join(', ')}] but test/ has [${testNames.join(', ')}]; expected the same class folders in both`);
    }
    if (classNames.length < 2) throw new DataError(`${join(dataDir, 'train')}: ${classNames.length} class folder(s); expected at least 2`);
    const files = [...listPart(dataDir, join(dataDir, 'train'), classNames, 'train', bad), ...listPart(dataDir, join(dataDir, 'test'), classNames, 'test', bad)];
    return { classNames, files, split: 'folders' };
  }
  if (top.length < 2) throw new DataError(`${dataDir}: ${top.length} class folder(s); expected at least 2 (one subfolder of images per class)`);
  const files = listPart(dataDir, dataDir, top, 'train', bad);
  // A fixed seed, not the run's: the test split must be the same for every run and machine.
  const rng = createRng('image-folder-test-split');
  for (let label = 0; label < top.length; label++) {
    const ofClass = files.filter((f) => f.label === label);
    shuffleInPlace(ofClass, rng);
    // At least one test image for a class of two or more, so every class is tested.
    const testCount = ofClass.length >= 2 ? Math.max(1, Math.round(ofClass.length * FOLDER_TEST_FRACTION)) : 0;
    for (const f of ofClass.slice(0, testCount)) f.part = 'test';
  }
  return { classNames: top, files, split: 'seeded' };
}

/** Decodes one file to the target shape; a bad file is reported as such (returns undefined). */
async function decode(image: ImageFile, shape: ImageShape, bad: BadData): Promise<CachedImage | undefined> {
  const { default: sharp } = await import('sharp');
  const [h, w, c] = shape;
  try {
    // The file is read once, for the header and the pixels. failOn 'warning': a truncated PNG or
    // JPEG is an error, not a half-grey image.
    const input = sharp(await readFile(image.file), { failOn: 'warning' });
    const meta = await input.metadata();
    if (c === 3 && (meta.channels ?? 3) < 3) {
      bad.report(image.file, `a grayscale image (${meta.channels} channel${meta.channels === 1 ? '' : 's'}) in a space of 3-channel (RGB) inputs; convert it to RGB or use a 1-channel space`);
      return undefined;
    }
    // An image already at the target size is not resized (libvips' resize costs even then).
    let pipeline = (meta.width === w && meta.height === h ? input : input.resize(w, h, { fit: 'fill' })).removeAlpha();
    if (c === 1) pipeline = pipeline.toColourspace('b-w');
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== c || data.length !== h * w * c) {
      bad.report(image.file, `decoded to ${info.width}x${info.height}x${info.channels}, expected ${w}x${h}x${c}`);
      return undefined;
    }
    return { path: image.path, bytes: image.stats.size, mtimeMs: image.stats.mtimeMs, width: meta.width ?? 0, height: meta.height ?? 0, pixels: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    bad.report(image.file, `unreadable or truncated image (${why})`);
    return undefined;
  }
}

function toSplit(images: { pixels: Uint8Array; label: number }[], size: number): DataSplit {
  const x = new Float32Array(images.length * size);
  const y = new Int32Array(images.length);
  images.forEach((im, i) => {
    for (let k = 0; k < size; k++) x[i * size + k] = im.pixels[k] / 255;
    y[i] = im.label;
  });
  return { x, y, count: images.length };
}

/**
 * Reads an image folder as raw splits (pixels in [0, 1], NHWC), decoding only the images the
 * cache does not hold as they are now, and rewriting the cache. Throws `DataError` for a folder it
 * cannot use and, under `badImages: 'fail'`, for the first bad file or class.
 */
export async function readImageFolder(dataDir: string, options: ImageFolderOptions): Promise<ImageFolderResult> {
  const dir = resolve(dataDir);
  const shape = options.shape;
  const [h, w, c] = shape;
  if (c !== 1 && c !== 3) throw new DataError(`${dir}: image folders give 1- or 3-channel inputs; the space asks for ${c} channels`);
  const bad = new BadData(options.badImages ?? 'fail');
  const listing = listFolder(dir, bad);
  const cache = readImageCache(dir, shape);

  const decodedByPath = new Map<string, CachedImage>();
  let done = 0;
  let decoded = 0;
  let newlyCached = 0;
  const total = listing.files.length;
  const step = Math.max(1, Math.floor(total / 100));
  const tick = () => {
    done++;
    if (done % step === 0 || done === total) options.onProgress?.({ done, total, decoded });
  };
  const toDecode: ImageFile[] = [];
  for (const f of listing.files) {
    const hit = cache.get(f.path);
    if (hit && hit.bytes === f.stats.size && hit.mtimeMs === f.stats.mtimeMs) {
      decodedByPath.set(f.path, hit);
      tick();
    } else toDecode.push(f);
  }
  // A few decodes in flight keep libvips' threads busy without holding many files in memory.
  let next = 0;
  const decodeNext = async (): Promise<void> => {
    while (next < toDecode.length) {
      const f = toDecode[next++];
      const image = await decode(f, shape, bad);
      decoded++;
      if (image) {
        decodedByPath.set(f.path, image);
        newlyCached++;
      }
      tick();
    }
  };
  await Promise.all(Array.from({ length: 4 }, decodeNext));

  // Images are resized to the space's input: all of one size keeps every image's scale the same,
  // so an image of another size than the folder's usual one is bad data.
  const sizeCounts = new Map<string, number>();
  for (const im of decodedByPath.values()) sizeCounts.set(`${im.width}x${im.height}`, (sizeCounts.get(`${im.width}x${im.height}`) ?? 0) + 1);
  const usual = [...sizeCounts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
  let kept: { pixels: Uint8Array; label: number; part: 'train' | 'test' }[] = [];
  for (const f of listing.files) {
    const im = decodedByPath.get(f.path);
    if (!im) continue;
    if (`${im.width}x${im.height}` !== usual) {
      bad.report(f.file, `is ${im.width}x${im.height} but most images in ${dir} are ${usual}; resizing mixed sizes to ${w}x${h} would stretch them differently`);
      continue;
    }
    kept.push({ pixels: im.pixels, label: f.label, part: f.part });
  }

  // Rewritten only when it changes: a bad file skipped on every load does not rewrite it each time.
  const cacheFile = newlyCached > 0 || cache.size !== decodedByPath.size ? writeImageCache(dir, shape, [...decodedByPath.values()]) : undefined;
  // A class without train or test images would be a label the network never learns (or is never
  // tested on): under 'skip' it is left out and the labels close up; under 'fail' its empty folder
  // has already stopped the read, so only skipped images can leave a class empty here.
  let classNames = listing.classNames;
  const present = new Set(kept.map((k) => `${k.label}:${k.part}`));
  const usable = classNames.map((_, label) => present.has(`${label}:train`) && present.has(`${label}:test`));
  if (usable.includes(false)) {
    const dropped = classNames.filter((_, label) => !usable[label]);
    for (const name of dropped) {
      if (!bad.skipped.some((s) => s.path === join(listing.split === 'folders' ? join(dir, 'train') : dir, name) || s.path === join(dir, 'test', name))) {
        bad.report(join(dir, name), `class "${name}" has no usable train or test images`);
      }
    }
    const newLabel = new Map<number, number>();
    classNames.forEach((_, label) => { if (usable[label]) newLabel.set(label, newLabel.size); });
    classNames = classNames.filter((_, label) => usable[label]);
    kept = kept.filter((k) => newLabel.has(k.label)).map((k) => ({ ...k, label: newLabel.get(k.label)! }));
    if (classNames.length < 2) throw new DataError(`${dir}: ${classNames.length} class(es) with usable images after skipping ${bad.skipped.length} bad item(s); expected at least 2`);
  }
  const size = h * w * c;
  const raw: RawDataset = {
    name: 'folder',
    source: dir,
    inputShape: shape,
    classes: classNames.length,
    train: toSplit(kept.filter((k) => k.part === 'train'), size),
    test: toSplit(kept.filter((k) => k.part === 'test'), size),
  };
  return { raw, classNames, split: listing.split, decoded, fromCache: total - decoded, skipped: bad.skipped, ...(cacheFile ? { cacheFile } : {}) };
}

/**
 * Refuses, before any work, a `folder` dataset without a data folder or with one that is not a
 * folder (a `UsageError`: the command line asked for something that cannot be).
 */
export function checkImageFolderDir(dataDir: string | undefined): void {
  if (dataDir === undefined) throw new UsageError('--dataset folder needs --data-dir, the folder with one subfolder of images per class (or train/ and test/ holding them)');
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) throw new UsageError(`--data-dir ${dataDir}: not a folder (expected one subfolder of images per class, or train/ and test/ holding them)`);
}

/** One line saying what was read: classes, the split and its sizes, the cache's share, skips. */
export function describeImageFolder(r: ImageFolderResult): string {
  const split = r.split === 'folders'
    ? 'train/ and test/ folders'
    : `one folder, ${Math.round(100 * FOLDER_TEST_FRACTION)}% of each class held out as test by a fixed seed`;
  const named = r.skipped.slice(0, 3).map((s) => `${relative(r.raw.source, s.path) || s.path}: ${s.reason}`).join('; ');
  const skipped = r.skipped.length ? `; skipped ${r.skipped.length} bad item(s) (${named}${r.skipped.length > 3 ? '; ...' : ''})` : '';
  return `${r.raw.source}: ${r.classNames.length} classes (${r.classNames.join(', ')}); ${split}: ${r.raw.train.count} train, ${r.raw.test.count} test; ${r.decoded} decoded, ${r.fromCache} from the cache${skipped}`;
}
