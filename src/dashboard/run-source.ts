/**
 * A run followed over time. `poll` is cheap when nothing changed (a stat of the journal, a look at
 * the lock) and rebuilds the view only when the run moved: new journal lines, a result file that
 * appeared or changed, or a new state (a killed search changes nothing but its lock).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { attachTelemetry } from '../pipeline/run-telemetry.js';
import type { JournalEvent } from '../storage/journal.js';
import { JournalTail } from './journal-tail.js';
import { runStateOf, type RunFolder } from './runs.js';
import { baselineView, esc, probeView, searchView, type RunView } from './views.js';

const RESULT_FILE = { search: 'journal.jsonl', probe: 'probe.json', baseline: 'baseline.json' } as const;

export class RunSource {
  private tail?: JournalTail;
  private events: JournalEvent[] = [];
  private view?: RunView;
  private resultStamp = '';
  /** The message of the last poll's failure, so an unchanged failure is not sent again. */
  private error?: string;

  constructor(readonly run: RunFolder) {
    if (run.kind === 'search') this.tail = new JournalTail(join(run.dir, RESULT_FILE.search));
  }

  /** The run's view now, and whether it differs from the one the last poll returned. */
  poll(): { view: RunView; changed: boolean } {
    try {
      const moved = this.tail ? this.readJournal() : this.resultFileChanged();
      if (!moved && this.view && this.currentState() === this.view.state) return { view: this.view, changed: false };
      this.view = this.build();
      this.error = undefined;
    } catch (err) {
      // A damaged journal or result file (never a torn last line: the tail waits for those).
      const message = err instanceof Error ? err.message : String(err);
      const changed = message !== this.error;
      this.error = message;
      this.view = { title: this.run.path, state: runStateOf(this.run.dir, false), html: `<p class="error" id="run-error">Cannot read this run: ${esc(message)}</p>`, line: `${this.run.kind}: unreadable` };
      return { view: this.view, changed };
    }
    return { view: this.view, changed: true };
  }

  private readJournal(): boolean {
    const { events, restarted } = this.tail!.read();
    if (restarted) this.events = [];
    let attached: JournalEvent[];
    try {
      // Only the new lines' side files are looked at: a trial's telemetry once per change, not per poll.
      attached = events.map((e) => attachTelemetry(e, this.run.dir, this.tail!.path));
    } catch (err) {
      // A side file missing or damaged: shown as the error, and read again from the start next time
      // (the lines read now are not lost to a later, repaired read).
      this.tail = new JournalTail(this.tail!.path);
      this.events = [];
      throw err;
    }
    this.events.push(...attached);
    return restarted || events.length > 0;
  }

  private resultFileChanged(): boolean {
    let stamp = 'none';
    try {
      const s = statSync(join(this.run.dir, RESULT_FILE[this.run.kind]));
      stamp = `${s.size}:${s.mtimeMs}`;
    } catch {
      // No result yet (a baseline still training).
    }
    const changed = stamp !== this.resultStamp;
    this.resultStamp = stamp;
    return changed;
  }

  private currentState() {
    const completed = this.run.kind === 'search' ? this.events.some((e) => e.type === 'study-finished') : this.resultStamp !== 'none';
    return runStateOf(this.run.dir, completed);
  }

  private build(): RunView {
    switch (this.run.kind) {
      case 'search':
        return searchView(this.run, this.events);
      case 'probe':
        return probeView(this.run);
      case 'baseline':
        return baselineView(this.run, this.resultStamp !== 'none');
    }
  }
}
