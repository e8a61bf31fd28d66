/**
 * The CIFAR-10 / CIFAR-100 binary format: fixed-size records of label byte(s) then 3072 pixel bytes,
 * channel-major (1024 red, 1024 green, 1024 blue, each 32x32 row-major). Converted to NHWC.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../core/errors.js';

export type CifarKind = 'cifar10' | 'cifar100';

const PIXELS = 3072;

export const CIFAR_FILES: Record<CifarKind, { folder: string; train: string[]; test: string[]; labelBytes: number; classes: number }> = {
  cifar10: {
    folder: 'cifar-10-batches-bin',
    train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
    test: ['test_batch.bin'],
    labelBytes: 1,
    classes: 10,
  },
  cifar100: { folder: 'cifar-100-binary', train: ['train.bin'], test: ['test.bin'], labelBytes: 2, classes: 100 },
};

/** Raw examples: NHWC bytes and labels. */
export interface RawImages {
  count: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** The folder holding the .bin files: `dir` itself or its standard subfolder. */
export function cifarFolder(kind: CifarKind, dir: string): string {
  const spec = CIFAR_FILES[kind];
  for (const candidate of [dir, join(dir, spec.folder)]) {
    if (existsSync(join(candidate, spec.test[0]))) return candidate;
  }
  const wanted = [...spec.train, ...spec.test].join(', ');
  throw new DataError(`${dir}: no ${kind} binary files found; looked for ${wanted} in ${dir} and in ${join(dir, spec.folder)}`);
}

/** Reads CIFAR binary files (all records of all `files`, in order). */
export function readCifarFiles(kind: CifarKind, files: string[]): RawImages {
  const spec = CIFAR_FILES[kind];
  const record = spec.labelBytes + PIXELS;
  const buffers = files.map((f) => {
    if (!existsSync(f)) throw new DataError(`${f}: file not found (expected a ${kind} binary batch)`);
    const b = readFileSync(f);
    if (b.length === 0 || b.length % record !== 0) {
      throw new DataError(`${f}: ${b.length} bytes is not a whole number of ${record}-byte ${kind} records (truncated or not a ${kind} file)`);
    }
    return { f, b };
  });
  const count = buffers.reduce((s, { b }) => s + b.length / record, 0);
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let n = 0;
  for (const { f, b } of buffers) {
    for (let r = 0; r < b.length / record; r++, n++) {
      const base = r * record;
      // CIFAR-100 records are coarse label, fine label: the fine label is the class.
      const label = b[base + spec.labelBytes - 1];
      if (label >= spec.classes) throw new DataError(`${f}: record ${r} has label ${label}, expected 0..${spec.classes - 1}`);
      labels[n] = label;
      const src = base + spec.labelBytes;
      const dst = n * PIXELS;
      for (let p = 0; p < 1024; p++) {
        pixels[dst + p * 3] = b[src + p];
        pixels[dst + p * 3 + 1] = b[src + 1024 + p];
        pixels[dst + p * 3 + 2] = b[src + 2048 + p];
      }
    }
  }
  return { count, pixels, labels };
}
