/**
 * Follows a journal as its writer appends to it: each `read` returns the events of the lines
 * completed since the last one. A line without its newline yet is the writer mid-append (or a crash
 * mid-write): it is left unread and read again next time, never parsed, so a reader racing the
 * writer sees no error, and a resume that cuts a torn tail and appends after it reads right.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { parseJournalLine, type JournalEvent } from '../storage/journal.js';

const NEWLINE = 0x0a;

export interface TailRead {
  events: JournalEvent[];
  /** The file became shorter than what was read (rewritten): it was read again from the start. */
  restarted: boolean;
}

export class JournalTail {
  /** Bytes of complete lines read so far: the next read starts here. */
  private consumed = 0;
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
    const restarted = size < this.consumed;
    if (restarted) {
      this.consumed = 0;
      this.lineNumber = 0;
    }
    if (size === this.consumed) return { events: [], restarted };
    const chunk = this.readFrom(this.consumed, size - this.consumed);
    const events: JournalEvent[] = [];
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      const line = chunk.subarray(start, end).toString('utf8');
      if (line.trim() !== '') events.push(parseJournalLine(line, `${this.path}: line ${this.lineNumber + 1}`));
      this.lineNumber++;
      start = end + 1;
    }
    this.consumed += start;
    return { events, restarted };
  }

  private readFrom(position: number, length: number): Buffer {
    const chunk = Buffer.alloc(length);
    const fd = openSync(this.path, 'r');
    try {
      let got = 0;
      while (got < length) {
        const n = readSync(fd, chunk, got, length - got, position + got);
        if (n === 0) break;
        got += n;
      }
      return chunk.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  }
}
