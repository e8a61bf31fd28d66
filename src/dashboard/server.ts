/**
 * The dashboard's HTTP server, on node:http alone: a handful of read-only routes need no framework,
 * and a framework would be one more dependency to audit for a tool that exposes files.
 *
 *   /                 the run list (live)
 *   /run/<path>       one run's page (live)
 *   /events/list      server-sent events: the run list, whenever it changes
 *   /events/run/<p>   server-sent events: one run's page, whenever its journal or state moves
 *   /files/<path>     a file under the served folder (report.html, summary.json, figures, ...)
 *   /assets/dashboard.js  the page script
 *
 * Safe by construction: only GET and HEAD; every path goes through `resolveUnder` (no `..`, no
 * hidden names, no symlink out of the served folder); nothing is written; bound to loopback unless
 * the caller names another host, and then the Host header is not checked; on loopback a request
 * whose Host is not a loopback name is refused (a web page cannot reach it by DNS rebinding).
 */
import { watch, type FSWatcher, createReadStream, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { WidthwiseError } from '../core/errors.js';
import { pageHtml, runHref, runListHtml, CLIENT_SCRIPT } from './pages.js';
import { RunSource } from './run-source.js';
import { findRuns, runFolderAt, type RunFolder } from './runs.js';
import { resolveUnder } from './safe-path.js';

/** The dashboard could not start (its address is taken or not this machine's). */
export class DashboardError extends WidthwiseError {}

export interface DashboardOptions {
  /** The folder whose runs are shown (e.g. `results`). */
  root: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** How often a run and the list are looked at besides file-change notifications (ms). */
  pollMs?: number;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
export const isLoopback = (host: string) => LOOPBACK_HOSTS.has(host) || /^127\./.test(host);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.json': 'application/json', '.jsonl': 'text/plain; charset=utf-8', '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.md': 'text/plain; charset=utf-8', '.csv': 'text/plain; charset=utf-8',
};

/** Headers of every answer: nothing is loaded from elsewhere, nothing is sniffed, no page frames this one. */
const SAFETY_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const root = realpathSync(options.root);
  const pollMs = options.pollMs ?? 1000;
  const checkHost = isLoopback(options.host);
  const streams = new Set<() => void>();

  /** The run at URL path `rest`, if it is a run folder under the root. */
  const runAt = (rest: string): RunFolder | undefined => {
    const dir = resolveUnder(root, rest);
    return dir === undefined ? undefined : runFolderAt(root, dir);
  };

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer, head = false) => {
    res.writeHead(status, { ...SAFETY_HEADERS, 'content-type': type, 'cache-control': 'no-store' });
    res.end(head ? undefined : body);
  };
  const notFound = (res: ServerResponse) => send(res, 404, 'text/plain; charset=utf-8', 'not found\n');

  /**
   * Streams `next()` as server-sent `update` events: at once, on every change notification of
   * `watchPath`, and every `pollMs` (notifications can be missed, and a lock changes no file we watch).
   */
  const stream = (req: IncomingMessage, res: ServerResponse, watchPath: string, next: () => { data: object } | undefined) => {
    res.writeHead(200, { ...SAFETY_HEADERS, 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const push = () => {
      const update = next();
      if (update) res.write(`event: update\ndata: ${JSON.stringify(update.data)}\n\n`);
    };
    let pending: NodeJS.Timeout | undefined;
    // Appends come in bursts (a trial's line, then the next one's start): one update per burst.
    const soon = () => {
      pending ??= setTimeout(() => {
        pending = undefined;
        push();
      }, 50);
    };
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(watchPath, soon);
      watcher.on('error', () => undefined);
    } catch {
      // The file may not exist yet; the poll covers it.
    }
    const timer = setInterval(push, pollMs);
    const stop = () => {
      clearInterval(timer);
      clearTimeout(pending);
      watcher?.close();
      streams.delete(stop);
      res.end();
    };
    streams.add(stop);
    req.on('close', stop);
    push();
  };

  const listSources = new Map<string, RunSource>();
  const listUpdate = () => {
    const runs = findRuns(root);
    for (const path of listSources.keys()) if (!runs.some((r) => r.path === path)) listSources.delete(path);
    return runs.map((run) => {
      let source = listSources.get(run.path);
      if (!source || source.run.kind !== run.kind) listSources.set(run.path, (source = new RunSource(run)));
      return { run, view: source.poll().view };
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...SAFETY_HEADERS, allow: 'GET, HEAD' });
      res.end();
      return;
    }
    const hostName = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (checkHost && !isLoopback(hostName)) {
      send(res, 421, 'text/plain; charset=utf-8', 'this dashboard answers loopback names only\n');
      return;
    }
    const head = req.method === 'HEAD';
    // The raw path, not a parsed URL: parsing would resolve `..` before the checks see it.
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/') {
      send(res, 200, 'text/html; charset=utf-8', pageHtml('Runs', runListHtml(options.root, listUpdate()), '/events/list'), head);
    } else if (path === '/assets/dashboard.js') {
      send(res, 200, 'text/javascript; charset=utf-8', CLIENT_SCRIPT, head);
    } else if (path === '/events/list') {
      let last = '';
      stream(req, res, root, () => {
        const html = runListHtml(options.root, listUpdate());
        if (html === last) return undefined;
        last = html;
        return { data: { html, title: 'Runs' } };
      });
    } else if (path.startsWith('/run/') || path.startsWith('/events/run/')) {
      const events = path.startsWith('/events/');
      const run = runAt(path.slice(events ? '/events/run/'.length : '/run/'.length));
      if (!run) return notFound(res);
      const source = new RunSource(run);
      if (!events) {
        const { view } = source.poll();
        send(res, 200, 'text/html; charset=utf-8', pageHtml(view.title, view.html, `/events${runHref(run.path)}`), head);
        return;
      }
      const watched = run.kind === 'search' ? join(run.dir, 'journal.jsonl') : run.dir;
      stream(req, res, watched, () => {
        const { view, changed } = source.poll();
        return changed ? { data: { html: view.html, title: view.title, state: view.state, final: view.state === 'finished' } } : undefined;
      });
    } else if (path.startsWith('/files/')) {
      const file = resolveUnder(root, path.slice('/files/'.length));
      if (!file || !statSync(file).isFile()) return notFound(res);
      res.writeHead(200, { ...SAFETY_HEADERS, 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      if (head) res.end();
      else createReadStream(file).pipe(res);
    } else {
      notFound(res);
    }
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `error: ${err instanceof Error ? err.message : String(err)}\n`);
      else res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'in use (another dashboard?): choose another port' : err.code === 'EADDRNOTAVAIL' ? 'not an address of this machine' : err.message;
      reject(new DashboardError(`cannot listen on ${options.host}:${options.port}: ${why}`));
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const hostInUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostInUrl}:${address.port}/`,
    close: () => new Promise<void>((resolve) => {
      for (const stop of [...streams]) stop();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
