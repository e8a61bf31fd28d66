/**
 * The events a search run adds to its journal after the study's own (`search/study` owns
 * `study-created`, `trial-started`, `trial-finished`, `trial-failed`): typed, written only here, and
 * decoded only here.
 *
 * Journal versions: 1 (no `journalVersion` in the study's config) journaled the ONNX export as a
 * `final-trained` event with `which: 'onnx'`; 2 gives it an `onnx-exported` event of its own. Both
 * replay and resume; a version newer than `RUN_JOURNAL_VERSION` is refused with `JournalVersionError`.
 */
import { WidthwiseError } from '../core/errors.js';
import type { OnnxSummary } from '../report/search-summary.js';
import type { Journal, JournalEntry, JournalEvent } from '../storage/journal.js';
import type { TrialResult } from '../trial/result.js';

/** The journal format this code writes. */
export const RUN_JOURNAL_VERSION = 2;

/** A journal written by a newer widthwise, whose events this one cannot be sure to read. */
export class JournalVersionError extends WidthwiseError {}

/** The models a search trains fully after its study, in this order. */
// Appended, never reordered: a final training's trial id is its position here.
export const FINAL_MODELS = ['base', 'winner', 'wide-sparse', 'uniform'] as const;
export type FinalModelName = (typeof FINAL_MODELS)[number];

/** The events this module owns, as written (the journal adds `at`). */
export type RunEvent =
  | { type: 'winner-chosen'; trialId: number; widths: number[] }
  | { type: 'final-trained'; which: FinalModelName; result: TrialResult }
  | { type: 'onnx-exported'; onnx: OnnxSummary }
  /** A final training or the export that failed: an attempt, never a result; a resume tries again. */
  | { type: 'final-failed'; which: FinalModelName; reason: string }
  | { type: 'export-failed'; reason: string }
  | { type: 'study-finished' };

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
export function appendRunEvent(journal: Journal, event: RunEvent): void {
  // storage's JournalEntry lists the events storage knew when it was written; these are owned
  // here. The one cast of the module, until the journal is a line backend generic in its events.
  journal.append(event as unknown as JournalEntry);
}

/**
 * The run events among a journal's events, in order, in the current format: a version-1
 * `final-trained` with `which: 'onnx'` becomes an `onnx-exported` event.
 */
export function decodeRunEvents(events: readonly JournalEvent[]): RunEvent[] {
  const out: RunEvent[] = [];
  for (const raw of events as readonly { type: string; [key: string]: unknown }[]) {
    switch (raw.type) {
      case 'winner-chosen':
        out.push({ type: 'winner-chosen', trialId: raw.trialId as number, widths: raw.widths as number[] });
        break;
      case 'final-trained':
        if (raw.which === 'onnx') out.push({ type: 'onnx-exported', onnx: raw.result as OnnxSummary });
        else out.push({ type: 'final-trained', which: raw.which as FinalModelName, result: raw.result as TrialResult });
        break;
      case 'onnx-exported':
        out.push({ type: 'onnx-exported', onnx: raw.onnx as OnnxSummary });
        break;
      case 'final-failed':
        out.push({ type: 'final-failed', which: raw.which as FinalModelName, reason: String(raw.reason) });
        break;
      case 'export-failed':
        out.push({ type: 'export-failed', reason: String(raw.reason) });
        break;
      case 'study-finished':
        out.push({ type: 'study-finished' });
        break;
    }
  }
  return out;
}
