/**
 * IDX files (the MNIST format): a magic number (two zero bytes, a type byte, a dimension count),
 * big-endian uint32 dimensions, then the data. Gzip is detected by its magic bytes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../core/errors.js';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

/** Reads a file, gunzipping it when it starts with the gzip magic bytes. */
export function readMaybeGzip(path: string): Buffer {
  if (!existsSync(path)) throw new DataError(`${path}: file not found`);
  const raw = readFileSync(path);
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch (err) {
      throw new DataError(`${path}: corrupt gzip data (${(err as Error).message})`);
    }
  }
  return raw;
}

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count*rows*cols bytes, 0..255. */
  pixels: Uint8Array;
}

function header(buf: Buffer, path: string, magic: number, dims: number): number[] {
  const need = 4 + 4 * dims;
  const found = buf.length >= 4 ? buf.readUInt32BE(0) : undefined;
  if (found !== undefined && found !== magic) {
    throw new DataError(`${path}: wrong magic number 0x${found.toString(16).padStart(8, '0')}, expected 0x${magic.toString(16).padStart(8, '0')} (IDX ${dims === 3 ? 'images' : 'labels'})`);
  }
  if (buf.length < need) throw new DataError(`${path}: truncated: ${buf.length} bytes, expected at least a ${need}-byte IDX header`);
  return Array.from({ length: dims }, (_, i) => buf.readUInt32BE(4 + 4 * i));
}

/** Reads an IDX image file (magic 0x803, three dimensions). */
export function readIdxImages(path: string): IdxImages {
  const buf = readMaybeGzip(path);
  const [count, rows, cols] = header(buf, path, IDX_IMAGES_MAGIC, 3);
  const expected = 16 + count * rows * cols;
  if (buf.length !== expected) {
    throw new DataError(`${path}: ${buf.length < expected ? 'truncated' : 'too long'}: ${buf.length} bytes, expected ${expected} for ${count} images of ${rows}x${cols}`);
  }
  return { count, rows, cols, pixels: new Uint8Array(buf.buffer, buf.byteOffset + 16, count * rows * cols) };
}

/** Reads an IDX label file (magic 0x801, one dimension); every label must be below `classes`. */
export function readIdxLabels(path: string, classes: number): Uint8Array {
  const buf = readMaybeGzip(path);
  const [count] = header(buf, path, IDX_LABELS_MAGIC, 1);
  const expected = 8 + count;
  if (buf.length !== expected) {
    throw new DataError(`${path}: ${buf.length < expected ? 'truncated' : 'too long'}: ${buf.length} bytes, expected ${expected} for ${count} labels`);
  }
  const labels = new Uint8Array(buf.buffer, buf.byteOffset + 8, count);
  const bad = labels.findIndex((l) => l >= classes);
  if (bad >= 0) throw new DataError(`${path}: label ${labels[bad]} at index ${bad} is out of range, expected 0..${classes - 1}`);
  return labels;
}

/** Reads a matching pair of image and label files into raw examples. */
export function readIdxPair(imagesPath: string, labelsPath: string, classes: number): { images: IdxImages; labels: Uint8Array } {
  const images = readIdxImages(imagesPath);
  const labels = readIdxLabels(labelsPath, classes);
  if (labels.length !== images.count) {
    throw new DataError(`${labelsPath}: ${labels.length} labels, but ${imagesPath} has ${images.count} images: expected equal counts`);
  }
  return { images, labels };
}
