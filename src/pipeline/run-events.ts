/**
 * The events a search run adds to its journal after the study's own (`search/study` owns
 * `study-created`, `trial-started`, `trial-finished`, `trial-failed`): typed, written only here, and
 * decoded only here.
 *
 * Journal versions: 1 (no `journalVersion` in the study's config) journaled the ONNX export as a
 * `final-trained` event with `which: 'onnx'`; 2 gives it an `onnx-exported` event of its own. Both
 * replay and resume; 3 keeps each trial's telemetry in a side file (`run-telemetry.ts`), the line
 * naming it. A version newer than `RUN_JOURNAL_VERSION` is refused with `JournalVersionError`.
 */
import { ISSUE_25_MODEL } from '../search/model-sampler.js';
import { z } from 'zod';
import { WidthwiseError } from '../core/errors.js';
import type { OnnxSummary } from '../report/search-summary.js';
import { replayJournal, type EventSchemas, type JournalEntry, type JournalEvent, type Replay, type StudyJournal } from '../storage/journal.js';
import { measure, trialResultSchema } from '../trial/result-schema.js';
import type { SearchSpace } from '../space/types.js';
import { validateSpace } from '../space/validate.js';
import { NORM_KIND_NAMES, SCORE_NAMES } from '../variance/index.js';
import { telemetryFileSchema, withTelemetry } from './run-telemetry.js';

/** The journal format this code writes. */
export const RUN_JOURNAL_VERSION = 3;

/**
 * The sampler options a study's config leaves to defaults, as its journal's version had them: a
 * model-sampler study journaled before version 3 ran issue 25's design (`ISSUE_25_MODEL`), so its
 * resume and its report read it with those; newer studies take today's defaults.
 */
export function samplerDefaultsFor(config: { sampler: string; journalVersion?: number }): Record<string, number> {
  return config.sampler === 'model' && (config.journalVersion ?? 1) < 3 ? { ...ISSUE_25_MODEL } as Record<string, number> : {};
}

/** A journal written by a newer widthwise, whose events this one cannot be sure to read. */
export class JournalVersionError extends WidthwiseError {}

/** The models a search trains fully after its study, in this order. */
// Appended, never reordered: a final training's trial id is its position here.
export const FINAL_MODELS = ['base', 'winner', 'wide-sparse', 'uniform'] as const;
export type FinalModelName = (typeof FINAL_MODELS)[number];

const count = z.number().int().nonnegative();
const widths = z.array(z.number().int().min(1)).min(1);

const onnxSummarySchema: z.ZodType<OnnxSummary, z.ZodTypeDef, unknown> = z.object({
  path: z.string(), bytes: count, examples: count, maxAbsDiff: measure, argmaxAgreement: measure,
}).passthrough();

const finalModel = z.enum(FINAL_MODELS);

/** The schema of each event this module owns, as written (the journal adds `at`). */
const winnerChosen = z.object({ type: z.literal('winner-chosen'), trialId: count, widths });
const finalTrained = z.object({ type: z.literal('final-trained'), which: finalModel, result: trialResultSchema });
/** Version 1 journaled the export as a final training named `onnx`. */
const onnxAsFinalTrained = z.object({ type: z.literal('final-trained'), which: z.literal('onnx'), result: onnxSummarySchema });
const onnxExported = z.object({ type: z.literal('onnx-exported'), onnx: onnxSummarySchema });
/** A final training or the export that failed: an attempt, never a result; a resume tries again. */
const finalFailed = z.object({ type: z.literal('final-failed'), which: finalModel, reason: z.string() });
const exportFailed = z.object({ type: z.literal('export-failed'), reason: z.string() });
const studyFinished = z.object({ type: z.literal('study-finished') });

/** The events this module owns, as written (the journal adds `at`): the schemas' inferred types. */
export type RunEvent = z.output<typeof winnerChosen | typeof finalTrained | typeof onnxExported | typeof finalFailed | typeof exportFailed | typeof studyFinished>;

/**
 * The space a journal's study-created config holds, checked whole (schema and rules, as a space
 * file is): the summary and a resume read it instead of the space file, which may have moved.
 * Where it was read from is not part of it. Throws `SpaceError` naming `where`.
 */
export function journaledSpace(value: unknown, where: string): SearchSpace {
  const { file: _readFrom, ...space } = (value !== null && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  return validateSpace(value !== null && typeof value === 'object' ? space : value, where);
}

const journaledSpaceSchema = z.unknown().superRefine((value, ctx) => {
  try {
    journaledSpace(value, 'the space');
  } catch (err) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
  }
});

/** The study's config as the summary reads it; the resume compares the whole of it with the options. */
const studyCreated = z.object({
  type: z.literal('study-created'),
  config: z.object({
    space: journaledSpaceSchema, sampler: z.string(), trials: count, seed: z.number(), start: widths, roundSize: count,
    budget: z.object({ macs: z.number().positive(), params: z.number().positive().optional() }).passthrough(),
    data: z.object({ name: z.string() }).passthrough(),
    proxyRecipe: z.object({ epochs: z.number().int().min(1) }).passthrough(),
    normKind: z.enum(NORM_KIND_NAMES as unknown as [string, ...string[]]).optional(),
    score: z.enum(SCORE_NAMES as unknown as [string, ...string[]]).optional(),
    /** A search answered from a table (`--table`): the table's path, content hash and size. */
    table: z.object({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), networks: count }).passthrough().optional(),
  }).passthrough(),
});

/**
 * The trial events of the study, with their results checked whole: the summary and a resume read
 * every field of them (storage checks only that a result is an object).
 */
const trialFinished = z.object({ type: z.literal('trial-finished'), trialId: count, result: trialResultSchema, telemetryFile: telemetryFileSchema.optional() });
const trialFailed = z.object({ type: z.literal('trial-failed'), trialId: count, reason: z.string(), result: trialResultSchema.optional(), telemetryFile: telemetryFileSchema.optional() });

/** The schemas `replayJournal` checks a search's journal lines with, by type (trial-started: storage's). */
export const RUN_EVENT_SCHEMAS: EventSchemas = {
  'study-created': studyCreated.passthrough(),
  'trial-finished': trialFinished.passthrough(),
  'trial-failed': trialFailed.passthrough(),
  'winner-chosen': winnerChosen.passthrough(),
  'final-trained': z.discriminatedUnion('which', [finalTrained.passthrough(), onnxAsFinalTrained.passthrough()]),
  'onnx-exported': onnxExported.passthrough(),
  'final-failed': finalFailed.passthrough(),
  'export-failed': exportFailed.passthrough(),
  'study-finished': studyFinished.passthrough(),
};

/** The study's events (search/study writes them): checked on read, but not run events. */
const STUDY_EVENT_TYPES = new Set(['study-created', 'trial-started', 'trial-finished', 'trial-failed']);

/**
 * Reads a search run's journal, every line checked, the run events against their schemas (throws
 * `JournalError` with the line), each trial's telemetry read back from its side file into its
 * result (throws `SideFileError`, a `JournalError`, naming a side file that is missing or damaged).
 */
export function readRunJournal(path: string): Replay {
  const replay = replayJournal(path, RUN_EVENT_SCHEMAS);
  return { ...replay, events: withTelemetry(replay.events, path) };
}

/** The journal version of a run whose `study-created` config is `config` (1 when unstated). */
export function journalVersionOf(config: Record<string, unknown>, path: string): number {
  const version = config.journalVersion ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new JournalVersionError(`${path}: journalVersion ${JSON.stringify(version)} is not a version number (expected 1 to ${RUN_JOURNAL_VERSION})`);
  }
  if (version > RUN_JOURNAL_VERSION) {
    throw new JournalVersionError(`${path}: journal version ${version} was written by a newer widthwise; this one reads versions 1 to ${RUN_JOURNAL_VERSION}: upgrade widthwise to read or resume it`);
  }
  return version;
}

/** Appends one run event and flushes it (see `Journal.append`). */
export function appendRunEvent(journal: StudyJournal, event: RunEvent): void {
  // storage's JournalEntry lists the events storage knew when it was written; these are owned
  // here. The one cast of the module, until the journal is a line backend generic in its events.
  journal.append(event as unknown as JournalEntry);
}

/**
 * The run events among a journal's events, in order, in the current format: a version-1
 * `final-trained` with `which: 'onnx'` becomes an `onnx-exported` event. The events are those
 * `readRunJournal` checked; each is parsed again by its schema here for its typed values.
 */
export function decodeRunEvents(events: readonly JournalEvent[]): RunEvent[] {
  const out: RunEvent[] = [];
  for (const raw of events as readonly { type: string }[]) {
    // The study's own events are not run events: parsing them again would check every trial's
    // telemetry a second time (~70 ms a conv trial), for nothing.
    if (!Object.hasOwn(RUN_EVENT_SCHEMAS, raw.type) || STUDY_EVENT_TYPES.has(raw.type)) continue;
    const event = RUN_EVENT_SCHEMAS[raw.type].parse(raw) as z.output<typeof onnxAsFinalTrained> | RunEvent;
    if (event.type === 'final-trained' && event.which === 'onnx') out.push({ type: 'onnx-exported', onnx: event.result });
    else out.push(event as RunEvent);
  }
  return out;
}
