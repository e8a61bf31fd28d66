/**
 * Follows a journal as its writer appends to it: each `read` returns the events of the lines
 * completed since the last one. A line without its newline yet is the writer mid-append (or a crash
 * mid-write): it is kept and waited for, never parsed, so a reader racing the writer sees no error.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { parseJournalLine, type JournalEvent } from '../storage/journal.js';

const NEWLINE = 0x0a;

export interface TailRead {
  events: JournalEvent[];
  /** The file became shorter (a resume cut its torn last line): read again from the start. */
  restarted: boolean;
}

export class JournalTail {
  /** Bytes of the file consumed, complete lines and the pending partial one. */
  private offset = 0;
  /** The partial last line, as bytes (a UTF-8 character may be split across reads). */
  private pending: Buffer = Buffer.alloc(0);
  private lineNumber = 0;

  constructor(readonly path: string) {}

  /** The events of the lines completed since the last call; none when the file does not exist yet. */
  read(): TailRead {
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return { events: [], restarted: false };
    }
    let restarted = false;
    if (size < this.offset) {
      this.offset = 0;
      this.pending = Buffer.alloc(0);
      this.lineNumber = 0;
      restarted = true;
    }
    if (size === this.offset) return { events: [], restarted };
    const chunk = Buffer.alloc(size - this.offset);
    const fd = openSync(this.path, 'r');
    try {
      let got = 0;
      while (got < chunk.length) {
        const n = readSync(fd, chunk, got, chunk.length - got, this.offset + got);
        if (n === 0) break;
        got += n;
      }
      this.offset += got;
      this.pending = Buffer.concat([this.pending, chunk.subarray(0, got)]);
    } finally {
      closeSync(fd);
    }
    const events: JournalEvent[] = [];
    let start = 0;
    for (let end = this.pending.indexOf(NEWLINE); end !== -1; end = this.pending.indexOf(NEWLINE, start)) {
      const line = this.pending.subarray(start, end).toString('utf8');
      start = end + 1;
      this.lineNumber++;
      if (line.trim() !== '') events.push(parseJournalLine(line, `${this.path}: line ${this.lineNumber}`));
    }
    this.pending = this.pending.subarray(start);
    return { events, restarted };
  }
}
