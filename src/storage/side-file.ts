/**
 * Side files: a bulky part of a journal event (a trial's norm trajectories) kept in a file of its
 * own next to the journal, so that the journal holds the study's decisions and stays small, while
 * a reader that wants the bulk gets it back exactly.
 *
 * Format (version 1): `WWSIDE1\n`, a little-endian u32 header length, the header (JSON, UTF-8),
 * padding to 8 bytes, then float64 little-endian numbers. The header is the value with every list
 * of numbers replaced by `{"$f64":[offset,length]}` and every list of same-keyed number records
 * (`[{epoch,step,variance,...}, ...]`) by `{"$rows":[keys],"$f64":[offset,count]}` (row-major).
 * A number is stored as float64 (its JSON text is only a way to write one), so nothing is lost;
 * `null` and the numbers JSON cannot hold (NaN, ±Infinity, which JSON writes as null) are stored as
 * NaN and read as null, and -0 as 0: what a reader gets is exactly what `JSON.parse(JSON.stringify(v))`
 * gives, as if the value had stayed in the journal line.
 *
 * The journal line holds a `SideFileRef` (file, bytes, sha256): a side file that is missing, cut
 * short, edited or not one at all is a `SideFileError` naming it, and touches nothing else. Missing
 * and cut short are seen when the line is read (`checkSideFile`, a stat), an edit when the file is
 * (`readSideFile`, its sha256): each file is hashed once per read, not twice.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { createFolder, sha256Hex, writeFileAtomic } from './files.js';
import { JournalError } from './journal.js';

/** A side file that cannot be read back as written: its journal cannot be read whole. */
export class SideFileError extends JournalError {}

/** Where a journal line's bulk is, and what it must be: a path relative to the journal's folder, its size and its sha256. */
export interface SideFileRef {
  file: string;
  bytes: number;
  sha256: string;
}

/** The extension of side files. */
export const SIDE_FILE_EXTENSION = '.wws';

const MAGIC = Buffer.from('WWSIDE1\n', 'latin1');
const F64 = '$f64';
const ROWS = '$rows';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A number as float64, the way JSON would read it back: null, NaN and ±Infinity are null (stored NaN), -0 is 0. */
const toStored = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v + 0 : NaN);
const isNumberLike = (v: unknown) => v === null || typeof v === 'number';
const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The keys of `rows` when every row is a record with those same keys (same order), each holding a number or null. */
function rowKeys(rows: unknown[]): string[] | undefined {
  if (rows.length === 0 || !isPlain(rows[0])) return undefined;
  const keys = Object.keys(rows[0]);
  if (keys.length === 0) return undefined;
  for (const row of rows) {
    if (!isPlain(row)) return undefined;
    const own = Object.keys(row);
    if (own.length !== keys.length || own.some((k, i) => k !== keys[i] || !isNumberLike(row[k]))) return undefined;
  }
  return keys;
}

/** `value` as side-file bytes (see the module comment). Throws `SideFileError` for a record holding a `$f64` or `$rows` key (it could not be told apart). */
export function encodeSideFile(value: unknown): Buffer {
  const numbers: number[] = [];
  const walk = (v: unknown): Json => {
    if (Array.isArray(v)) {
      if (v.length > 0 && v.every(isNumberLike)) {
        const at = numbers.length;
        for (const x of v) numbers.push(toStored(x));
        return { [F64]: [at, v.length] };
      }
      const keys = rowKeys(v);
      if (keys) {
        const at = numbers.length;
        for (const row of v as Record<string, unknown>[]) for (const k of keys) numbers.push(toStored(row[k]));
        return { [ROWS]: keys, [F64]: [at, v.length] };
      }
      return v.map((x) => (x === undefined || typeof x === 'function' ? null : walk(x)));
    }
    if (isPlain(v)) {
      const out: Record<string, Json> = {};
      for (const [k, x] of Object.entries(v)) {
        if (k === F64 || k === ROWS) throw new SideFileError(`a side file cannot hold a record with a "${k}" key (it marks stored numbers)`);
        if (x !== undefined && typeof x !== 'function') out[k] = walk(x);
      }
      return out;
    }
    if (typeof v === 'number') return Number.isFinite(v) ? v + 0 : null;
    return (v ?? null) as Json;
  };
  const header = Buffer.from(JSON.stringify(walk(value)), 'utf8');
  const headerEnd = MAGIC.length + 4 + header.length;
  const dataStart = Math.ceil(headerEnd / 8) * 8;
  const out = Buffer.alloc(dataStart + 8 * numbers.length);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(header.length, MAGIC.length);
  header.copy(out, MAGIC.length + 4);
  // A float64 view needs 8-byte alignment (Buffer.alloc gives its own, aligned memory) and a
  // little-endian machine; otherwise each number is written on its own.
  if ((out.byteOffset + dataStart) % 8 === 0 && isLittleEndian()) new Float64Array(out.buffer, out.byteOffset + dataStart, numbers.length).set(numbers);
  else numbers.forEach((x, i) => out.writeDoubleLE(x, dataStart + 8 * i));
  return out;
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** The value side-file `bytes` hold; throws `SideFileError` naming `where` when they are not a whole side file. */
export function decodeSideFile(bytes: Buffer, where: string): unknown {
  const bad = (why: string) => new SideFileError(`${where}: ${why} (expected a widthwise side file, WWSIDE1)`);
  if (bytes.length < MAGIC.length + 4 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw bad('not a side file');
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const headerEnd = MAGIC.length + 4 + headerLength;
  if (headerEnd > bytes.length) throw bad('cut short inside its header');
  let header: unknown;
  try {
    header = JSON.parse(bytes.subarray(MAGIC.length + 4, headerEnd).toString('utf8'));
  } catch {
    throw bad('its header is not JSON');
  }
  const dataStart = Math.ceil(headerEnd / 8) * 8;
  const count = Math.max(0, Math.floor((bytes.length - dataStart) / 8));
  if (dataStart + 8 * count !== bytes.length && bytes.length > dataStart) throw bad(`its numbers are ${bytes.length - dataStart} bytes, not a multiple of 8`);
  // An aligned copy: a Buffer read from disk may start at any offset of its pool.
  const data = new Float64Array(count);
  new Uint8Array(data.buffer).set(bytes.subarray(dataStart, dataStart + 8 * count));
  if (!isLittleEndian()) for (let i = 0; i < count; i++) data[i] = bytes.readDoubleLE(dataStart + 8 * i);
  const span = (s: unknown, width: number): [number, number] => {
    if (!Array.isArray(s) || s.length !== 2 || !s.every((n) => Number.isInteger(n) && n >= 0) || (s[0] as number) + (s[1] as number) * width > count) throw bad(`a stored list points past its ${count} numbers`);
    return s as [number, number];
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!isPlain(v)) return v;
    if (F64 in v) {
      if (ROWS in v) {
        const keys = v[ROWS];
        if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string')) throw bad('a stored record list has no keys');
        const [at, n] = span(v[F64], keys.length);
        const rows: Record<string, number | null>[] = new Array(n);
        for (let r = 0; r < n; r++) {
          const row: Record<string, number | null> = {};
          for (let k = 0; k < keys.length; k++) {
            const x = data[at + r * keys.length + k];
            row[keys[k] as string] = x !== x ? null : x;
          }
          rows[r] = row;
        }
        return rows;
      }
      const [at, n] = span(v[F64], 1);
      // A plain loop: Array.from on a typed array iterates generically, several times slower.
      const list: (number | null)[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const x = data[at + i];
        list[i] = x !== x ? null : x; // NaN: stored null
      }
      return list;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = walk(x);
    return out;
  };
  return walk(header);
}

/**
 * Writes `value` as a side file `<prefix>-<sha256 head>.wws` (relative to `dir`, the journal's folder) atomically and
 * durably, before the journal line that points to it is written: a crash in between leaves a file
 * no line names, which the next write of that name replaces.
 */
export function writeSideFile(dir: string, prefix: string, value: unknown): SideFileRef {
  const bytes = encodeSideFile(value);
  const sha256 = sha256Hex(bytes);
  // Named by content too: a trial journaled twice (a failed attempt, then its retry) keeps both.
  const path = join(dir, `${prefix}-${sha256.slice(0, 12)}${SIDE_FILE_EXTENSION}`);
  createFolder(join(path, '..'));
  writeFileAtomic(path, bytes);
  return { file: relative(dir, path).split(sep).join('/'), bytes: bytes.length, sha256 };
}

const FIX = 'restore it from a copy of the run folder; the journal and the other side files are left as they are';

/** The path of the side file `ref` names under `dir`; throws `SideFileError` for a name that leaves `dir`. */
function sidePath(dir: string, ref: SideFileRef, by: string): string {
  const path = join(dir, ref.file);
  if (relative(dir, path).split(sep)[0] === '..') throw new SideFileError(`${by} names the side file ${ref.file}, outside the run folder ${dir} (expected a path inside it)`);
  return path;
}

/**
 * Checks, cheaply (one stat), that the side file `ref` names is there under `dir` (the journal's
 * folder) with the size its line says: throws `SideFileError` naming the file when it is missing or
 * cut short; `by` says which line names it. Its content is checked when it is read (`readSideFile`).
 */
export function checkSideFile(dir: string, ref: SideFileRef, by: string): void {
  const path = sidePath(dir, ref, by);
  const size = statSync(path, { throwIfNoEntry: false })?.size;
  if (size === undefined) throw new SideFileError(`${path}: side file missing (named by ${by}, ${ref.bytes} bytes); ${FIX}`);
  if (size !== ref.bytes) throw new SideFileError(`${path}: side file damaged: ${size} bytes, but ${by} says ${ref.bytes}; ${FIX}`);
}

/**
 * The value of the side file `ref` names, under `dir`: throws `SideFileError` naming the file when
 * it is missing, not the size or the content (sha256) its journal line says (cut short, edited,
 * replaced), or not a side file; `by` says which line names it.
 */
export function readSideFile(dir: string, ref: SideFileRef, by: string): unknown {
  const path = sidePath(dir, ref, by);
  if (!existsSync(path)) throw new SideFileError(`${path}: side file missing (named by ${by}, ${ref.bytes} bytes); ${FIX}`);
  const bytes = readFileSync(path);
  if (bytes.length !== ref.bytes) throw new SideFileError(`${path}: side file damaged: ${bytes.length} bytes, but ${by} says ${ref.bytes}; ${FIX}`);
  if (sha256Hex(bytes) !== ref.sha256) throw new SideFileError(`${path}: side file damaged: its sha256 is not the one ${by} holds; ${FIX}`);
  return decodeSideFile(bytes, path);
}
