/**
 * The trial journal: one JSON object per line, appended and fsync'ed before `append` returns, so a
 * crash loses at most the trials in flight. Replaying it rebuilds a study's state; a torn last line
 * (a crash mid-write) is skipped and reported, a torn line elsewhere is an error.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { WidthwiseError } from '../core/errors.js';

/** A journal that cannot be read back. */
export class JournalError extends WidthwiseError {}

export type JournalEvent =
  | { type: 'study-created'; at: string; config: Record<string, unknown> }
  | { type: 'trial-started'; at: string; trialId: number; widths: number[]; seed: number; round?: number; tag?: string }
  | { type: 'trial-finished'; at: string; trialId: number; result: unknown }
  | { type: 'trial-failed'; at: string; trialId: number; reason: string; result?: unknown }
  | { type: 'winner-chosen'; at: string; trialId: number; widths: number[] }
  | { type: 'final-trained'; at: string; which: string; result: unknown }
  | { type: 'study-finished'; at: string };

export type JournalEntry = JournalEvent extends infer E ? (E extends { at: string } ? Omit<E, 'at'> : never) : never;

export class Journal {
  private fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  /** Appends one event and flushes it to disk. */
  append(entry: JournalEntry): void {
    const line = JSON.stringify({ ...entry, at: new Date().toISOString() }) + '\n';
    writeSync(this.fd, line);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface Replay {
  events: JournalEvent[];
  /** Set when the last line was torn and skipped. */
  tornLastLine?: string;
}

/** Reads every event of a journal. */
export function replayJournal(path: string): Replay {
  if (!existsSync(path)) throw new JournalError(`${path}: no journal here (expected a run folder written by 'widthwise search')`);
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const events: JournalEvent[] = [];
  let tornLastLine: string | undefined;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      events.push(JSON.parse(line) as JournalEvent);
    } catch {
      const isLast = lines.slice(i + 1).every((l) => l.trim() === '');
      if (!isLast) throw new JournalError(`${path}: line ${i + 1} is not valid JSON, and it is not the last line (expected one JSON event per line)`);
      tornLastLine = line;
    }
  });
  return { events, tornLastLine };
}

/** Cuts a torn last line off the file so later appends start on a fresh line. */
export function repairTornTail(path: string, replay: Replay): void {
  if (replay.tornLastLine === undefined) return;
  const text = readFileSync(path, 'utf8');
  const cut = text.lastIndexOf(replay.tornLastLine);
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, Buffer.byteLength(text.slice(0, cut)));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
