/**
 * The dashboard under load: a `widthwise dashboard` process over a folder holding one search whose
 * journal grows (the lines of a real search's journal, appended one trial at a time), and `clients`
 * HTTP clients at once, each loading the run's page, holding its server-sent event stream, and
 * loading the page again halfway. Measured: page-load latency, the delay from a trial's journal
 * line to each client's update showing it, the server's resident memory (VmRSS from /proc), and
 * which trial counts each client saw. Used by scripts/chaos-dashboard.ts and its test.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { join } from 'node:path';

const BIN = new URL('../../bin/widthwise.js', import.meta.url).pathname;

export interface LoadOptions {
  /** Lines of a finished search's journal (study-created first). */
  journalLines: string[];
  /** The run folder the lines come from: its trials' telemetry side files are copied first (a writer writes them before their lines). */
  sourceDir?: string;
  /** Empty folder the dashboard serves. */
  root: string;
  clients: number;
  /** Milliseconds between two trials' lines. */
  intervalMs: number;
}

export interface LoadOutcome {
  /** Milliseconds of each page load (request to last byte). */
  pageMs: number[];
  /** Milliseconds from a trial's line to a client's update showing that count (or a later one), every client and trial. */
  updateMs: number[];
  /** Per client: the trial counts its updates showed, in order. */
  seen: number[][];
  /** Per client: whether its last update said the run finished. */
  sawFinal: boolean[];
  trials: number;
  rssStartKb: number;
  rssPeakKb: number;
  rssEndKb: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const trialsIn = (html: string) => Number(/<b id="trials-done">(\d+)<\/b>/.exec(html)?.[1] ?? /<span id="trials-done">(\d+)<\/span>/.exec(html)?.[1] ?? NaN);

function fetchPage(url: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${url}: HTTP ${res.statusCode}`));
      res.resume();
      res.on('end', () => resolve(performance.now() - started));
    }).on('error', reject);
  });
}

/** Holds an event stream; calls `onUpdate` with each update's data. Resolves with the response once connected. */
function openStream(url: string, onUpdate: (data: { html: string; final?: boolean }) => void): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(message)?.[1];
          if (data) onUpdate(JSON.parse(data));
        }
      });
      resolve(res);
    }).on('error', reject);
  });
}

export async function loadDashboard(options: LoadOptions): Promise<LoadOutcome> {
  const runDir = join(options.root, 'live');
  mkdirSync(runDir, { recursive: true });
  if (options.sourceDir && existsSync(join(options.sourceDir, 'telemetry'))) cpSync(join(options.sourceDir, 'telemetry'), join(runDir, 'telemetry'), { recursive: true });
  const lines = options.journalLines;
  // The study's start is there before anyone looks; then one trial's lines at a time.
  const firstTrialEnd = lines.findIndex((l) => /"type":"trial-(finished|failed)"/.test(l));
  writeFileSync(join(runDir, 'journal.jsonl'), lines.slice(0, firstTrialEnd).map((l) => `${l}\n`).join(''));
  const server = spawn(process.execPath, [BIN, 'dashboard', options.root, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout!.on('data', (d) => {
        out += d;
        const m = /(http:\/\/[^ ]+\/)/.exec(out);
        if (m) resolve(m[1]);
      });
      server.on('exit', (code) => reject(new Error(`the dashboard exited with ${code}`)));
    });
    const pageUrl = `${url}run/live`;
    const eventsUrl = `${url}events/run/live`;
    const rssStartKb = rssKb(server.pid!);
    let rssPeakKb = rssStartKb;
    const sampler = setInterval(() => { rssPeakKb = Math.max(rssPeakKb, rssKb(server.pid!)); }, 100);

    const appendedAt = new Map<number, number>();
    const pageMs: number[] = [];
    const updateMs: number[] = [];
    const seen: number[][] = Array.from({ length: options.clients }, () => []);
    const sawFinal: boolean[] = Array.from({ length: options.clients }, () => false);
    const streams: IncomingMessage[] = [];
    await Promise.all(Array.from({ length: options.clients }, async (_, c) => {
      pageMs.push(await fetchPage(pageUrl));
      streams.push(await openStream(eventsUrl, (data) => {
        const n = trialsIn(data.html);
        const now = performance.now();
        if (Number.isFinite(n) && seen[c].at(-1) !== n) {
          seen[c].push(n);
          // Every count up to n whose line this client had not yet been shown is shown now.
          for (const [count, at] of appendedAt) if (count <= n && count > (seen[c].at(-2) ?? -1)) updateMs.push(now - at);
        }
        sawFinal[c] = data.final === true;
      }));
    }));

    // The writer: each trial's end line (with the lines before it) at a time, then the rest.
    let trials = 0;
    let from = firstTrialEnd;
    const ends = lines.map((l, i) => (/"type":"trial-(finished|failed)"/.test(l) ? i : -1)).filter((i) => i >= 0);
    const reloads: Promise<void>[] = [];
    for (const end of ends) {
      await sleep(options.intervalMs);
      appendFileSync(join(runDir, 'journal.jsonl'), lines.slice(from, end + 1).map((l) => `${l}\n`).join(''));
      trials++;
      appendedAt.set(trials, performance.now());
      from = end + 1;
      // Halfway, every client loads the page again while the streams run.
      if (trials === Math.ceil(ends.length / 2)) for (let c = 0; c < options.clients; c++) reloads.push(fetchPage(pageUrl).then((ms) => { pageMs.push(ms); }));
    }
    await sleep(options.intervalMs);
    appendFileSync(join(runDir, 'journal.jsonl'), lines.slice(from).map((l) => `${l}\n`).join(''));
    await Promise.all(reloads);
    // Wait for every client's final update (or give up after 30 s: a client that missed it shows so).
    const deadline = Date.now() + 30_000;
    while (sawFinal.some((f) => !f) && Date.now() < deadline) await sleep(50);
    clearInterval(sampler);
    const rssEndKb = rssKb(server.pid!);
    for (const s of streams) s.destroy();
    return { pageMs, updateMs, seen, sawFinal, trials, rssStartKb, rssPeakKb, rssEndKb };
  } finally {
    server.kill('SIGKILL');
  }
}

/** The q-quantile (0..1) of `values`, nearest rank. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
