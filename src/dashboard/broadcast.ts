/**
 * One live thing (a run, the run list) shown to many clients: it is looked at once per change,
 * however many clients follow it, and every client is sent the same bytes. Changes are noticed by
 * a file watcher (bursts merged into one look 50 ms later), by a poll every `pollMs` while anyone
 * follows (notifications can be missed, and a lock changes no file we watch), and whenever a page
 * load asks for the view now (`refresh`): whoever notices a change, every client gets it.
 *
 * A client past `maxClients` is refused (HTTP 503 with the reason), and a client that reads too
 * slowly to keep up (more than `MAX_BUFFERED_BYTES` waiting for it) is disconnected, so one stalled
 * browser cannot make the server hold every update for it.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Bytes of updates that may wait for one client before it is disconnected. */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export interface BroadcastOptions {
  /** The file or folder whose changes are watched. */
  watchPath: string;
  pollMs: number;
  maxClients: number;
  /** What a refused client is told (the body of the 503). */
  refusal: string;
  /** The update to send when the thing changed since the last call, else undefined. */
  next(): object | undefined;
  /** Headers of every answer. */
  headers: Record<string, string>;
}

export class Broadcast {
  private readonly clients = new Set<ServerResponse>();
  /** The last update as sent: what a client that joins now is sent first. */
  private last?: Buffer;
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private pending?: NodeJS.Timeout;
  /** When the broadcast last had a client or a refresh (for the owner's eviction of idle ones). */
  lastUsedMs = Date.now();

  constructor(private readonly options: BroadcastOptions) {}

  get clientCount(): number {
    return this.clients.size;
  }

  /** Looks at the thing now; on a change, every client is sent the update. */
  refresh(): void {
    this.lastUsedMs = Date.now();
    const update = this.options.next();
    if (!update) return;
    this.last = Buffer.from(`event: update\ndata: ${JSON.stringify(update)}\n\n`);
    for (const client of this.clients) this.send(client, this.last);
  }

  /**
   * Makes `res` a server-sent event stream of the updates, starting with the current one; refuses
   * it (503, and false) when `maxClients` already follow.
   */
  add(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.clients.size >= this.options.maxClients) {
      res.writeHead(503, { ...this.options.headers, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '30' });
      res.end(`${this.options.refusal}\n`);
      return false;
    }
    res.writeHead(200, { ...this.options.headers, 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    this.clients.add(res);
    if (this.clients.size === 1) this.start();
    const before = this.last;
    this.refresh();
    // Unchanged since the last update: the newcomer still needs it (the others have it).
    if (this.last && this.last === before) this.send(res, this.last);
    req.on('close', () => this.remove(res));
    return true;
  }

  /** Ends every client's stream and stops watching. */
  close(): void {
    for (const client of [...this.clients]) {
      this.clients.delete(client);
      client.end();
    }
    this.stop();
  }

  private send(client: ServerResponse, bytes: Buffer): void {
    if (client.writableLength > MAX_BUFFERED_BYTES) {
      this.remove(client);
      client.destroy();
      return;
    }
    client.write(bytes);
  }

  private remove(client: ServerResponse): void {
    if (!this.clients.delete(client)) return;
    client.end();
    this.lastUsedMs = Date.now();
    if (this.clients.size === 0) this.stop();
  }

  private start(): void {
    const soon = () => {
      this.pending ??= setTimeout(() => {
        this.pending = undefined;
        this.refresh();
      }, 50);
    };
    try {
      this.watcher = watch(this.options.watchPath, soon);
      this.watcher.on('error', () => undefined);
    } catch {
      // The file may not exist yet; the poll covers it.
    }
    this.timer = setInterval(() => this.refresh(), this.options.pollMs);
  }

  private stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.pending);
    this.pending = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }
}
