/**
 * A tabular benchmark of trained networks (Channel-Bench-Macro's format): a JSON object keyed by
 * the width vector, one character per width group in the space's group order, character k meaning
 * the k-th width of that group's grid (k = 1 is `min`, k = 2 is `min + step`, ...; for
 * Channel-Bench-Macro, k quarters of the maximum). Each entry holds the test accuracies (%) of
 * independent trainings, their mean, and the network's params and MACs (`flops`).
 *
 * The tables are measurements to read, not data the package ships: callers pass the file's path.
 * No tfjs here: a table answers a trial in microseconds.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { WidthwiseError } from '../core/errors.js';
import type { SearchSpace } from '../space/types.js';

/** A table file that is missing, malformed, or does not fit the space it is used with. */
export class TableError extends WidthwiseError {}

const entrySchema = z.object({
  acc: z.array(z.number().finite()).min(1),
  mean: z.number().finite(),
  std: z.number().finite().optional(),
  params: z.number().int().nonnegative(),
  flops: z.number().int().nonnegative(),
}).passthrough();

/** One trained network of the table. */
export interface TableEntry {
  /** Test accuracy (%) of each independent training. */
  readonly acc: readonly number[];
  /** Their mean (%). */
  readonly mean: number;
  readonly params: number;
  /** Multiply-accumulates of conv and linear layers for one example (the table's `flops`). */
  readonly macs: number;
}

export class BenchTable {
  private constructor(
    readonly path: string,
    private readonly entries: ReadonlyMap<string, TableEntry>,
    readonly keyLength: number,
    /** SHA-256 (hex) of the file's bytes as read: the table's identity wherever the file lies. */
    readonly sha256: string,
  ) {}

  /** Reads and checks a table file; throws `TableError` naming the file and the first bad entry. */
  static load(path: string): BenchTable {
    let raw: unknown;
    let sha256: string;
    try {
      const bytes = readFileSync(path);
      sha256 = createHash('sha256').update(bytes).digest('hex');
      raw = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new TableError(`${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message} (expected a Channel-Bench-Macro table, e.g. Results_ResNet.json)`);
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new TableError(`${path}: expected a JSON object keyed by width vectors such as "1234123"`);
    const entries = new Map<string, TableEntry>();
    let keyLength = -1;
    for (const [key, value] of Object.entries(raw)) {
      if (!/^[1-9]+$/.test(key)) throw new TableError(`${path}: key ${JSON.stringify(key)}: expected one digit 1-9 per width group`);
      if (keyLength >= 0 && key.length !== keyLength) throw new TableError(`${path}: key ${JSON.stringify(key)} has ${key.length} digits, the others ${keyLength}`);
      keyLength = key.length;
      const parsed = entrySchema.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new TableError(`${path}: $["${key}"].${issue.path.join('.')}: ${issue.message} (expected acc: [numbers], mean, params, flops)`);
      }
      const { acc, mean, params, flops } = parsed.data;
      entries.set(key, Object.freeze({ acc: Object.freeze([...acc]), mean, params, macs: flops }));
    }
    if (!entries.size) throw new TableError(`${path}: the table is empty`);
    return new BenchTable(path, entries, keyLength, sha256);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Every entry with its key, in the file's order. */
  *all(): IterableIterator<[string, TableEntry]> {
    yield* this.entries.entries();
  }

  /** Throws unless the table's keys have one digit per group of `space` and its grids have at most 9 widths. */
  checkFits(space: SearchSpace): void {
    if (this.keyLength !== space.groups.length) {
      throw new TableError(`${this.path}: keys have ${this.keyLength} digits but space ${space.name} has ${space.groups.length} width groups`);
    }
    for (const g of space.groups) {
      const count = Math.floor((g.max - g.min) / g.step) + 1;
      if (count > 9) throw new TableError(`${this.path}: group ${g.name} of space ${space.name} has ${count} widths; a table key has one digit (1-9) per group`);
    }
  }

  /** The key of `widths` in `space`: each group's 1-based position on its grid. */
  keyOf(space: SearchSpace, widths: readonly number[]): string {
    return space.groups.map((g, i) => {
      const k = (widths[i] - g.min) / g.step + 1;
      if (!Number.isInteger(k) || widths[i] > g.max || k < 1) throw new TableError(`${this.path}: width ${widths[i]} of group ${g.name} is not on its grid ${g.min}..${g.max} step ${g.step}`);
      return String(k);
    }).join('');
  }

  /** The entry of `widths`; throws `TableError` when the table does not have it. */
  lookup(space: SearchSpace, widths: readonly number[]): TableEntry {
    const key = this.keyOf(space, widths);
    const entry = this.entries.get(key);
    if (!entry) throw new TableError(`${this.path}: no entry for widths ${widths.join(',')} (key ${key}) of space ${space.name}`);
    return entry;
  }
}
