/**
 * The binary files of a checkpoint: named tensors laid end to end as little-endian float32 or
 * int32, described by a manifest (name, dtype, shape, byte offset) that lives in `checkpoint.json`.
 * Reading checks every entry against the bytes, so a manifest and a file that disagree are an
 * error rather than garbage.
 */
import { CheckpointError } from '../core/errors.js';

export type TensorDtype = 'float32' | 'int32';

/** One tensor of a file, as `checkpoint.json` lists it. */
export interface TensorEntry {
  name: string;
  dtype: TensorDtype;
  shape: number[];
  /** Byte offset of the first element in the file. */
  offset: number;
}

/** A named tensor as plain data. */
export interface PlainTensor {
  dtype: TensorDtype;
  shape: number[];
  values: Float32Array | Int32Array;
}

const elementCount = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Lays `tensors` end to end (in the given order) and returns the bytes with their manifest. */
export function packTensors(tensors: [string, PlainTensor][]): { bytes: Uint8Array; entries: TensorEntry[] } {
  const total = tensors.reduce((s, [, t]) => s + 4 * t.values.length, 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (t.values.length !== elementCount(t.shape)) throw new Error(`tensor ${name}: ${t.values.length} values for shape [${t.shape}]`);
    entries.push({ name, dtype: t.dtype, shape: [...t.shape], offset });
    for (let i = 0; i < t.values.length; i++, offset += 4) {
      if (t.dtype === 'float32') view.setFloat32(offset, t.values[i], true);
      else view.setInt32(offset, t.values[i], true);
    }
  }
  return { bytes, entries };
}

/**
 * Reads the tensors `entries` describe out of `bytes`. Throws `CheckpointError` (naming `file`)
 * when an entry has an unknown dtype, a bad shape, or reaches past the end, or when entries overlap
 * or leave bytes unaccounted for.
 */
export function unpackTensors(bytes: Uint8Array, entries: TensorEntry[], file: string): Map<string, PlainTensor> {
  if (!Array.isArray(entries)) throw new CheckpointError(`${file}: checkpoint.json lists no tensors for it; the checkpoint is damaged, retrain or restore it`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, PlainTensor>();
  let expectedOffset = 0;
  for (const e of entries) {
    if (out.has(e.name)) throw new CheckpointError(`${file}: tensor ${e.name} is listed twice; the checkpoint is damaged, retrain or restore it`);
    if (e.dtype !== 'float32' && e.dtype !== 'int32') throw new CheckpointError(`${file}: tensor ${e.name} has dtype ${JSON.stringify(e.dtype)}, expected float32 (int32 for the batch order)`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new CheckpointError(`${file}: tensor ${e.name} has shape ${JSON.stringify(e.shape)}, expected non-negative integers`);
    const count = elementCount(e.shape);
    if (e.offset !== expectedOffset || e.offset + 4 * count > bytes.byteLength) {
      throw new CheckpointError(`${file}: tensor ${e.name} at byte ${e.offset} (${4 * count} bytes) does not fit the file's ${bytes.byteLength} bytes; the file is truncated or not this checkpoint's`);
    }
    const values = e.dtype === 'float32' ? new Float32Array(count) : new Int32Array(count);
    for (let i = 0; i < count; i++) values[i] = e.dtype === 'float32' ? view.getFloat32(e.offset + 4 * i, true) : view.getInt32(e.offset + 4 * i, true);
    out.set(e.name, { dtype: e.dtype, shape: e.shape, values });
    expectedOffset = e.offset + 4 * count;
  }
  if (expectedOffset !== bytes.byteLength) throw new CheckpointError(`${file}: ${bytes.byteLength} bytes, but its tensors take ${expectedOffset}; the file is not this checkpoint's`);
  return out;
}
