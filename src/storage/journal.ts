/**
 * The trial journal: one JSON object per line, appended and fsync'ed before `append` returns, so a
 * crash loses at most the trials in flight. Replaying it rebuilds a study's state; a torn last line
 * (a crash mid-write) is skipped and reported, a torn line elsewhere is an error. Every line that
 * parses must be an event: an object with a string `type`, and for the known types the fields that
 * type needs (a `trialId` for trial events, ...); anything else is a `JournalError` with its line
 * number, never a crash further on. Unknown types pass through, so newer event kinds can be added.
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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTrialId = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const isWidths = (v: unknown) => Array.isArray(v) && v.every((w) => Number.isInteger(w) && w >= 1);

/** The fields each known event type needs, with what they must be. */
const REQUIRED: Record<string, [string, (v: unknown) => boolean, string][]> = {
  'study-created': [['config', isObject, 'an object']],
  'trial-started': [['trialId', isTrialId, 'a trial number'], ['widths', isWidths, 'a list of positive integers'], ['seed', Number.isFinite, 'a number']],
  'trial-finished': [['trialId', isTrialId, 'a trial number'], ['result', isObject, 'an object']],
  'trial-failed': [['trialId', isTrialId, 'a trial number'], ['reason', (v) => typeof v === 'string', 'a string']],
  'winner-chosen': [['trialId', isTrialId, 'a trial number'], ['widths', isWidths, 'a list of positive integers']],
  'final-trained': [['which', (v) => typeof v === 'string', 'a string'], ['result', isObject, 'an object']],
  'study-finished': [],
};

/** Why a parsed line is not an event, or undefined when it is one. */
function eventProblem(value: unknown): string | undefined {
  if (!isObject(value)) return `expected an event object, found ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`;
  if (typeof value.type !== 'string') return 'expected an event with a string "type"';
  for (const [field, ok, what] of REQUIRED[value.type] ?? []) {
    if (!ok(value[field])) return `a ${value.type} event needs "${field}" (${what}), found ${JSON.stringify(value[field]) ?? 'nothing'}`;
  }
  return undefined;
}

/**
 * One complete journal line as an event; throws `JournalError` naming `where` (path and line
 * number) when it is not JSON or not an event. For readers that follow a journal as it grows.
 */
export function parseJournalLine(line: string, where: string): JournalEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new JournalError(`${where}: not valid JSON (expected one JSON event per line)`);
  }
  const problem = eventProblem(value);
  if (problem) throw new JournalError(`${where}: ${problem}`);
  return value as JournalEvent;
}

/** Reads every event of a journal; throws `JournalError` naming the line of the first bad one. */
export function replayJournal(path: string): Replay {
  if (!existsSync(path)) throw new JournalError(`${path}: no journal here (expected a run folder written by 'widthwise search')`);
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const events: JournalEvent[] = [];
  let tornLastLine: string | undefined;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      const isLast = lines.slice(i + 1).every((l) => l.trim() === '');
      if (!isLast) throw new JournalError(`${path}: line ${i + 1} is not valid JSON, and it is not the last line (expected one JSON event per line)`);
      tornLastLine = line;
      return;
    }
    const problem = eventProblem(value);
    if (problem) throw new JournalError(`${path}: line ${i + 1}: ${problem}; the journal was edited or damaged (a crash only ever tears the last line)`);
    events.push(value as JournalEvent);
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
