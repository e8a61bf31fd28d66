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
 * One source per run: every page load and event stream of a run shares one `RunSource` (its
 * journal read incrementally, summarised and drawn once per change) and one `Broadcast` (the same
 * update bytes to every client); past `maxClientsPerRun` streams a run refuses more with 503.
 *
 * Safe by construction: only GET and HEAD; every path goes through `resolveUnder` (no `..`, no
 * hidden names, no symlink out of the served folder); nothing is written; bound to loopback unless
 * the caller names another host, and then the Host header is not checked; on loopback a request
 * whose Host is not a loopback name is refused (a web page cannot reach it by DNS rebinding).
 */
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { WidthwiseError } from '../core/errors.js';
import { pageHtml, runHref, runListHtml, CLIENT_SCRIPT } from './pages.js';
import { Broadcast } from './broadcast.js';
import { RunSource } from './run-source.js';
import { findRuns, runFolderAt, type RunFolder } from './runs.js';
import { resolveUnder } from './safe-path.js';
import type { RunView } from './views.js';

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
  /** Live event streams one run (or the run list) serves at once; more are refused with 503 (default `DEFAULT_MAX_CLIENTS_PER_RUN`). */
  maxClientsPerRun?: number;
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

/** Live event streams a run (or the run list) serves at once by default; more are refused with 503. */
export const DEFAULT_MAX_CLIENTS_PER_RUN = 200;

/** A run with no stream and no page load for this long is forgotten (its events are let go). */
const IDLE_RUN_MS = 60_000;

/** One run as the dashboard follows it: one source, one broadcast, whatever the number of clients. */
interface LiveRun {
  run: RunFolder;
  source: RunSource;
  broadcast: Broadcast;
  /** The view of the source's last poll. */
  view?: RunView;
  /** The page last built, for the view it was built from (the same bytes for every load until the run moves). */
  page?: { view: RunView; bytes: Buffer };
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const root = realpathSync(options.root);
  const pollMs = options.pollMs ?? 1000;
  const maxClients = options.maxClientsPerRun ?? DEFAULT_MAX_CLIENTS_PER_RUN;
  const checkHost = isLoopback(options.host);

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

  const refusal = (what: string) => `${what} already has ${maxClients} live viewers, the most this dashboard serves at once (maxClientsPerRun); close a tab or reload later`;

  // Every client of a run (its page loads, its event streams, the run list's line) reads the same
  // source: the journal is read, summarised and drawn once per change, not once per client.
  const live = new Map<string, LiveRun>();
  const liveRun = (run: RunFolder): LiveRun => {
    const now = Date.now();
    for (const [path, l] of live) {
      if (l.broadcast.clientCount === 0 && now - l.broadcast.lastUsedMs > IDLE_RUN_MS) {
        l.broadcast.close();
        live.delete(path);
      }
    }
    let l = live.get(run.path);
    if (l && l.run.kind === run.kind) return l;
    l?.broadcast.close();
    const source = new RunSource(run);
    const entry: LiveRun = {
      run, source,
      broadcast: new Broadcast({
        watchPath: run.kind === 'search' ? join(run.dir, 'journal.jsonl') : run.dir, pollMs, maxClients, headers: SAFETY_HEADERS,
        refusal: refusal(`the run ${run.path || '.'}`),
        next: () => {
          const { view, changed } = source.poll();
          entry.view = view;
          return changed ? { html: view.html, title: view.title, state: view.state, final: view.state === 'finished' } : undefined;
        },
      }),
    };
    live.set(run.path, (l = entry));
    return l;
  };
  /** The run's view now: a look at it (cheap when nothing moved) whose news reaches its streams too. */
  const viewNow = (l: LiveRun): RunView => {
    l.broadcast.refresh();
    return l.view!;
  };

  const listUpdate = () => findRuns(root).map((run) => ({ run, view: viewNow(liveRun(run)) }));
  let lastList = '';
  const list = new Broadcast({
    watchPath: root, pollMs, maxClients, headers: SAFETY_HEADERS, refusal: refusal('the run list'),
    next: () => {
      const html = runListHtml(options.root, listUpdate());
      if (html === lastList) return undefined;
      lastList = html;
      return { html, title: 'Runs' };
    },
  });

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
      list.add(req, res);
    } else if (path.startsWith('/run/') || path.startsWith('/events/run/')) {
      const events = path.startsWith('/events/');
      const run = runAt(path.slice(events ? '/events/run/'.length : '/run/'.length));
      if (!run) return notFound(res);
      const l = liveRun(run);
      if (events) {
        l.broadcast.add(req, res);
        return;
      }
      const view = viewNow(l);
      if (l.page?.view !== view) l.page = { view, bytes: Buffer.from(pageHtml(view.title, view.html, `/events${runHref(run.path)}`)) };
      send(res, 200, 'text/html; charset=utf-8', l.page.bytes, head);
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
      list.close();
      for (const l of live.values()) l.broadcast.close();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
