/**
 * The trial journal: one JSON object per line, appended and fsync'ed before `append` returns, so a
 * crash loses at most the trials in flight. Replaying it rebuilds a study's state; a torn last line
 * (a crash mid-write) is skipped and reported, a torn line elsewhere is an error. Every line that
 * parses must be an event: an object with a string `type`, and for the known types it must pass
 * that type's zod schema (`EVENT_SCHEMAS`, plus those a reader adds: a search's run events);
 * anything else is a `JournalError` with its line number, never a crash further on. Unknown types
 * pass through, so newer event kinds can be added.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { WidthwiseError } from '../core/errors.js';
import { diskFullAs, writeAll } from './files.js';

/** A journal that cannot be read back. */
export class JournalError extends WidthwiseError {}

/** Schema options whose every issue, a missing field's too, says what the field must be: `needs "trialId" (a trial number)`. */
const needs = (what: string) => ({ errorMap: () => ({ message: what }) });
const at = z.string(needs('a time'));
const trialId = z.number(needs('a trial number')).int().nonnegative();
const widthList = 'a list of positive integers';
const widths = z.array(z.number(needs(widthList)).int().min(1), needs(widthList));
const object = () => z.record(z.unknown(), needs('an object'));
const text = z.string(needs('a string'));
/** A trial's result: an object, whose fields the reader that owns it checks (the type stays `unknown` here). */
const result = z.custom<unknown>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { message: 'an object' });

/** The schema of each event type this module knows; its inferred union is `JournalEvent`. */
const studyCreated = z.object({ type: z.literal('study-created'), at, config: object() });
const trialStarted = z.object({ type: z.literal('trial-started'), at, trialId, widths, seed: z.number(needs('a number')).finite(), round: z.number().int().optional(), tag: z.string().optional() });
const trialFinished = z.object({ type: z.literal('trial-finished'), at, trialId, result });
const trialFailed = z.object({ type: z.literal('trial-failed'), at, trialId, reason: text, result: result.optional() });
const winnerChosen = z.object({ type: z.literal('winner-chosen'), at, trialId, widths });
const finalTrained = z.object({ type: z.literal('final-trained'), at, which: text, result });
const studyFinished = z.object({ type: z.literal('study-finished'), at });

/** Schemas of events by type, as `replayJournal` checks them (objects pass their extra fields through). */
export type EventSchemas = Readonly<Record<string, z.ZodTypeAny>>;

export const EVENT_SCHEMAS: EventSchemas = {
  'study-created': studyCreated.passthrough(), 'trial-started': trialStarted.passthrough(), 'trial-finished': trialFinished.passthrough(),
  'trial-failed': trialFailed.passthrough(), 'winner-chosen': winnerChosen.passthrough(), 'final-trained': finalTrained.passthrough(),
  'study-finished': studyFinished.passthrough(),
};

export type JournalEvent = z.infer<typeof studyCreated | typeof trialStarted | typeof trialFinished | typeof trialFailed | typeof winnerChosen | typeof finalTrained | typeof studyFinished>;

export type JournalEntry = JournalEvent extends infer E ? (E extends { at: string } ? Omit<E, 'at'> : never) : never;

/**
 * What a study needs of a journal: append an event, read the events back. The file journal below
 * is the one runs use; `MemoryJournal` serves benchmarks that run thousands of studies and tests.
 */
export interface StudyJournal {
  append(entry: JournalEntry): void;
  events(): JournalEvent[];
}

/** A journal held in memory: the same events as the file journal, stamped the same way, never written. */
export class MemoryJournal implements StudyJournal {
  private readonly held: JournalEvent[] = [];

  append(entry: JournalEntry): void {
    this.held.push({ ...entry, at: new Date().toISOString() } as JournalEvent);
  }

  events(): JournalEvent[] {
    return [...this.held];
  }
}

export class Journal implements StudyJournal {
  private fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  /**
   * Appends one event and flushes it to disk. A write that fails (a full disk: `DiskFullError`
   * naming the journal) is taken back: the file is cut to its length before it, so the journal
   * never holds a torn line that a later append would bury in the middle.
   */
  append(entry: JournalEntry): void {
    const line = Buffer.from(JSON.stringify({ ...entry, at: new Date().toISOString() }) + '\n');
    const before = fstatSync(this.fd).size;
    try {
      writeAll(this.fd, line);
      fsyncSync(this.fd);
    } catch (err) {
      try {
        ftruncateSync(this.fd, before);
        fsyncSync(this.fd);
      } catch {
        // Cut or not, a torn last line is skipped on read (and cut by the next resume).
      }
      throw diskFullAs(err, this.path, `its lines before this ${entry.type} event are left whole`);
    }
  }

  /** Every event written so far, checked as `replayJournal` checks them (the file is the truth). */
  events(): JournalEvent[] {
    return replayJournal(this.path).events;
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

/** Why a parsed line is not an event, or undefined when it is one (`at` is written by `append`, not checked). */
function eventProblem(value: unknown, schemas: EventSchemas): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `expected an event object, found ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`;
  const event = value as Record<string, unknown>;
  if (typeof event.type !== 'string') return 'expected an event with a string "type"';
  const schema = Object.hasOwn(schemas, event.type) ? schemas[event.type] : undefined;
  const parsed = schema?.safeParse({ at: '', ...event });
  if (!parsed || parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  const field = String(issue.path[0] ?? '');
  // A nested issue names where in the field it is: `result.metrics.testAccuracy: expected number, ...`.
  const what = issue.path.length > 1 ? `${issue.path.join('.')}: ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}` : issue.message;
  const found = JSON.stringify(event[field]) ?? 'nothing';
  return `a ${event.type} event needs "${field}" (${what}), found ${found.length > 80 ? `${found.slice(0, 77)}...` : found}`;
}

/**
/**
 * One complete journal line as an event, checked like `replayJournal` checks it; throws
 * `JournalError` naming `where` (path and line number) when it is not JSON or not an event. For
 * readers that follow a journal as it grows.
 */
export function parseJournalLine(line: string, where: string, schemas: EventSchemas = {}): JournalEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new JournalError(`${where}: not valid JSON (expected one JSON event per line)`);
  }
  const problem = eventProblem(value, { ...EVENT_SCHEMAS, ...schemas });
  if (problem) throw new JournalError(`${where}: ${problem}`);
  return value as JournalEvent;
}

/**
 * Reads every event of a journal, each checked against its type's schema (`EVENT_SCHEMAS` and
 * `schemas`, which win); throws `JournalError` naming the line of the first bad one.
 */
export function replayJournal(path: string, schemas: EventSchemas = {}): Replay {
  if (!existsSync(path)) throw new JournalError(`${path}: no journal here (expected a run folder written by 'widthwise search')`);
  const known = { ...EVENT_SCHEMAS, ...schemas };
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
    const problem = eventProblem(value, known);
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
