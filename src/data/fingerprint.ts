/**
 * A fingerprint of the examples a training sees: the sha256 of its training and validation parts
 * (normalised pixels and labels, in order). Two datasets with the same fingerprint give the same
 * training; a checkpoint keeps it so a resume can prove it trains on the same data, wherever the
 * files now live.
 */
import { createHash } from 'node:crypto';
import type { DataSplit, Dataset } from '../core/dataset.js';

const bytesOf = (a: Float32Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** sha256 (hex) over the training part then the validation part, pixels then labels of each. */
export function dataFingerprint(data: Dataset): string {
  const hash = createHash('sha256');
  for (const split of [data.train, data.validation] as DataSplit[]) {
    hash.update(bytesOf(split.x));
    hash.update(bytesOf(split.y));
  }
  return hash.digest('hex');
}
