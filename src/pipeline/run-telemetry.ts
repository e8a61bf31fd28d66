/**
 * A trial's telemetry (its norm trajectories: `telemetry` and `groupTelemetry`, 95-99% of a
 * trial's bytes) kept in a side file per journaled trial, `telemetry/trial-<id>-<hash>.wws`, from
 * journal version 3 on; the journal line keeps the rest of the result and a `telemetryFile`
 * reference (file, bytes, sha256). Readers get the event back whole, exactly as if the telemetry had
 * stayed in the line (see `storage/side-file.ts`), so the study's readings of its trials, the
 * summary and a resume are the same as before. Journals of versions 1 and 2 hold the telemetry in
 * their lines and are read as they are; a resumed run keeps its journal's version.
 *
 * Why not downsample: a resume must freeze every trial as the uninterrupted run did, and the
 * sampler's readings come from the whole trajectories; a lossy copy would change them.
 *
 * The side file is checked when its line is read (there, of its size), and when a reader asks for
 * the telemetry (see `attachTelemetry`) by its sha256 (the line holds it: the file is the bytes
 * written when the study journaled the result), then decoded and checked by a structural check written for speed
 * (the zod schema of a trial result takes ~70 ms per conv trial's telemetry, over a minute for a
 * 1,000-trial study); `test/unit/run-telemetry.test.ts` holds it to the zod schema's verdicts.
 */
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { type Journal, type JournalEntry, type JournalEvent, type StudyJournal } from '../storage/journal.js';
import { checkSideFile, readSideFile, SideFileError, writeSideFile, type SideFileRef } from '../storage/side-file.js';

/** The first journal version whose trial telemetry is in side files. */
export const SIDE_FILE_JOURNAL_VERSION = 3;

/** The folder of a run's telemetry side files, inside its run folder. */
export const TELEMETRY_DIR = 'telemetry';

/** The `telemetryFile` field of a trial-finished or trial-failed line, as the journal's readers check it. */
/** The parts of a trial result that go to the side file. */
const TELEMETRY_KEYS = ['telemetry', 'groupTelemetry'] as const;

/** A trial's side file: where, what it must be, and which of the result's fields it holds. */
export type TelemetryFileRef = SideFileRef & { fields?: (typeof TELEMETRY_KEYS)[number][] };

export const telemetryFileSchema: z.ZodType<TelemetryFileRef> = z.object({
  file: z.string().min(1).regex(/^telemetry\/[^/]+\.wws$/, 'a file in the run folder\'s telemetry/ folder'),
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  fields: z.array(z.enum(TELEMETRY_KEYS)).min(1).optional(),
});

type TrialEvent = { type: 'trial-finished' | 'trial-failed'; trialId: number; result?: Record<string, unknown>; telemetryFile?: TelemetryFileRef };

const isTrialEvent = (e: { type: string }): e is TrialEvent => e.type === 'trial-finished' || e.type === 'trial-failed';

/**
 * The study's journal of a search run: the file journal, with each trial's telemetry written to a
 * side file first (fsync'ed, renamed into place) and the line naming it appended after, so a crash
 * between the two leaves a file no line names, never a line naming no file. `sideFiles` false
 * (journal versions 1 and 2) writes the telemetry in the line, as those versions did.
 */
export class RunJournal implements StudyJournal {
  readonly runDir: string;

  constructor(readonly journal: Journal, private readonly sideFiles: boolean) {
    this.runDir = dirname(journal.path);
  }

  append(entry: JournalEntry): void {
    this.journal.append(this.sideFiles ? detachTelemetry(entry, this.runDir) : entry);
  }

  /** Every event so far, with the telemetry read back into its trial's result. */
  events(): JournalEvent[] {
    return withTelemetry(this.journal.events(), this.journal.path);
  }

  close(): void {
    this.journal.close();
  }
}

/** `entry` with its trial result's telemetry moved to a side file under `runDir` (other entries as they are). */
export function detachTelemetry(entry: JournalEntry, runDir: string): JournalEntry {
  if (!isTrialEvent(entry) || !entry.result) return entry;
  const result = entry.result;
  if (!TELEMETRY_KEYS.some((k) => result[k] !== undefined)) return entry;
  const telemetry: Record<string, unknown> = {};
  const rest: Record<string, unknown> = { ...result };
  for (const k of TELEMETRY_KEYS) {
    if (result[k] !== undefined) telemetry[k] = result[k];
    delete rest[k];
  }
  const ref: TelemetryFileRef = { ...writeSideFile(runDir, `${TELEMETRY_DIR}/trial-${entry.trialId}`, telemetry), fields: Object.keys(telemetry) as TelemetryFileRef['fields'] };
  return { ...entry, result: rest, telemetryFile: ref } as unknown as JournalEntry;
}

/**
 * `events` (read from the journal at `journalPath`) with every trial's telemetry read back from its
 * side file into its result, in place of the `telemetryFile` field. Throws `SideFileError` naming
 * the file (and the line's trial) when one is missing, damaged or not telemetry.
 */
export function withTelemetry(events: JournalEvent[], journalPath: string): JournalEvent[] {
  const runDir = dirname(journalPath);
  return events.map((e) => (isTrialEvent(e) && e.telemetryFile ? attachTelemetry(e, runDir, journalPath) : e));
}

/**
 * Decoded side files, the last few: a reader asks a trial for its `telemetry` and its
 * `groupTelemetry` one after the other (and the study and the summary each read every trial), so a
 * few are enough, and holding no more keeps a 1,000-trial report's memory to the journal's.
 */
const recent: { path: string; stamp: string; value: Record<string, unknown> }[] = [];
const RECENT = 4;

function loadTelemetry(runDir: string, ref: SideFileRef, by: string): Record<string, unknown> {
  const path = join(runDir, ref.file);
  // The file as it is now (a file replaced since is read, and checked, again).
  const stat = statSync(path, { throwIfNoEntry: false });
  const stamp = `${ref.sha256}:${stat?.ino}:${stat?.size}:${stat?.mtimeMs}`;
  const hit = recent.find((r) => r.path === path && r.stamp === stamp);
  if (hit) return hit.value;
  const value = readSideFile(runDir, ref, by);
  const problem = telemetryProblem(value);
  if (problem) throw new SideFileError(`${path}: not a trial's telemetry (${problem}), named by ${by}; restore it from a copy of the run folder`);
  recent.unshift({ path, stamp, value: value as Record<string, unknown> });
  recent.length = Math.min(recent.length, RECENT);
  return value as Record<string, unknown>;
}

/**
 * One trial event with its telemetry read back (see `withTelemetry`). The side file is checked
 * now (there, of the size its line holds: a missing or cut one is named at once), and read (its
 * sha256 checked: an edited one is named then) and decoded when a reader first asks for a telemetry field, again each time it is no longer among the
 * last few decoded: the fields are getters, so a reader holding a 1,000-trial journal's events
 * holds their lines, not a quarter of a gigabyte of trajectories. The event is otherwise plain
 * data (spread, JSON and structured clone read the getters).
 */
export function attachTelemetry<E extends JournalEvent>(event: E, runDir: string, journalPath: string): E {
  const e = event as unknown as TrialEvent;
  if (!isTrialEvent(e) || !e.telemetryFile) return event;
  const ref = e.telemetryFile;
  const by = `the ${e.type} line of trial ${e.trialId} in ${journalPath}`;
  checkSideFile(runDir, ref, by);
  const { telemetryFile: _ref, ...rest } = e;
  const result: Record<string, unknown> = { ...e.result };
  for (const key of ref.fields ?? TELEMETRY_KEYS) {
    Object.defineProperty(result, key, {
      enumerable: true, configurable: true,
      get: () => loadTelemetry(runDir, ref, by)[key],
      // A reader that replaces the field gets a plain field.
      set: (value: unknown) => Object.defineProperty(result, key, { value, writable: true, enumerable: true, configurable: true }),
    });
  }
  return { ...rest, result } as unknown as E;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isMeasure = (v: unknown) => v === null || typeof v === 'number';
const isMeasures = (v: unknown) => Array.isArray(v) && v.every(isMeasure);
const isStrings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');

function pointProblem(p: unknown): string | undefined {
  if (!isObject(p) || typeof p.epoch !== 'number' || typeof p.step !== 'number') return 'a point needs a numeric epoch and step';
  for (const k of ['variance', 'mean', 'min', 'max']) if (!isMeasure(p[k])) return `a point's ${k} must be a number`;
  return undefined;
}

function layerProblem(l: unknown, i: number): string | undefined {
  if (!isObject(l) || typeof l.layer !== 'string' || !(l.group === null || typeof l.group === 'string') || !isCount(l.width)) return `telemetry[${i}] needs a layer name, a group (or null) and a width`;
  if (!Array.isArray(l.outgoing)) return `telemetry[${i}].outgoing must be a list of points`;
  if (l.paired !== undefined && !Array.isArray(l.paired)) return `telemetry[${i}].paired must be a list of points`;
  for (const p of [...l.outgoing, ...((l.paired as unknown[] | undefined) ?? [])]) {
    const problem = pointProblem(p);
    if (problem) return `telemetry[${i}]: ${problem}`;
  }
  return undefined;
}

function groupProblem(g: unknown, i: number): string | undefined {
  if (!isObject(g) || typeof g.group !== 'string' || !isCount(g.width) || !isStrings(g.layers) || !Array.isArray(g.points)) return `groupTelemetry[${i}] needs a group name, a width, its layers and points`;
  for (const p of g.points) {
    if (!isObject(p) || typeof p.epoch !== 'number' || typeof p.step !== 'number') return `groupTelemetry[${i}]: a point needs a numeric epoch and step`;
    if (!isMeasures(p.outgoing) || !isMeasures(p.displacement)) return `groupTelemetry[${i}]: a point's outgoing and displacement must be lists of numbers`;
    if (!(p.reader === null || isMeasures(p.reader)) || !(p.gamma === null || isMeasures(p.gamma))) return `groupTelemetry[${i}]: a point's reader and gamma must be lists of numbers or null`;
  }
  return undefined;
}

/**
 * Why `value` is not the telemetry of a trial result (`{ telemetry?, groupTelemetry? }` as
 * `trialResultSchema` reads them), or undefined when it is.
 */
export function telemetryProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'expected an object';
  const extra = Object.keys(value).find((k) => !(TELEMETRY_KEYS as readonly string[]).includes(k));
  if (extra !== undefined) return `unexpected field "${extra}"`;
  if (value.telemetry !== undefined) {
    if (!Array.isArray(value.telemetry)) return 'telemetry must be a list';
    for (let i = 0; i < value.telemetry.length; i++) {
      const problem = layerProblem(value.telemetry[i], i);
      if (problem) return problem;
    }
  }
  if (value.groupTelemetry !== undefined) {
    if (!Array.isArray(value.groupTelemetry)) return 'groupTelemetry must be a list';
    for (let i = 0; i < value.groupTelemetry.length; i++) {
      const problem = groupProblem(value.groupTelemetry[i], i);
      if (problem) return problem;
    }
  }
  return undefined;
}
