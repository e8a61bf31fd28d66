/**
 * A Jepsen-style run of a queued search: a controller (`widthwise search --queue`), `workers`
 * `widthwise worker` processes and a real redis-server, while a driver with its own seed injects
 * faults at random moments until the search finishes: SIGKILL a worker (a new one takes its
 * place), SIGKILL the controller (`search --resume` takes over), restart Redis cleanly (SIGTERM,
 * it saves its data) or SIGKILL it (what it had not saved is lost). Used by scripts/chaos-queue.ts
 * (long) and test/integration/queue-chaos.test.ts (short); the checks of the outcome are theirs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '../../src/core/rng.js';
import { withTelemetry } from '../../src/pipeline/run-telemetry.js';
import type { JournalEvent } from '../../src/storage/journal.js';
import { queueNameFor } from '../../src/runtime/queue-connection.js';
import { LiveChild, type Exit } from './child-process.js';
import { RedisServer } from './redis-server.js';

export type FaultKind = 'kill-worker' | 'kill-controller' | 'restart-redis' | 'kill-redis';

export interface Fault {
  kind: FaultKind;
  /** Seconds since the start of the run. */
  atSeconds: number;
  /** Trials ended in the journal when the fault came. */
  trialsEnded: number;
  detail: string;
}

export interface ChaosOptions {
  /** The driver's seed: the same seed gives the same fault schedule (not the same moments in the training). */
  seed: number;
  /** The study's flags (space, sampler, seed, trials, proxy and final settings, backend), without --out or --queue. */
  searchArgs: string[];
  /** Controller concurrency (`--workers`) and the number of worker processes. */
  workers: number;
  /** Faults to inject at most; the search then finishes undisturbed. */
  faults: number;
  /** Mean seconds between faults (exponential gaps). */
  meanGapSeconds: number;
  /** Relative weights of the fault kinds. */
  weights?: Partial<Record<FaultKind, number>>;
  /** The run folder to make. */
  runDir: string;
  /** Seconds after which the run is given up as hung (default 900). */
  limitSeconds?: number;
  log?: (line: string) => void;
}

export interface ChaosOutcome {
  faults: Fault[];
  /** The --json summary printed by the controller that finished the search. */
  summaryJson: string;
  controllersStarted: number;
  workersStarted: number;
  /** Trainings workers started (`trial N started` lines of every worker): more than the trials when kills made some run again. */
  workerTrainings: number;
  /** Trainings workers finished and reported (a result the controller had, or took, already is ignored by it). */
  workerResults: number;
  seconds: number;
}

const DEFAULT_WEIGHTS: Record<FaultKind, number> = { 'kill-worker': 4, 'kill-controller': 2, 'restart-redis': 1, 'kill-redis': 1 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Journal lines that end a trial (trial-finished or trial-failed); 0 before the journal exists. */
function trialsEnded(runDir: string): number {
  const path = join(runDir, 'journal.jsonl');
  if (!existsSync(path)) return 0;
  return readFileSync(path, 'utf8').split('\n').filter((l) => /"type":"trial-(finished|failed)"/.test(l)).length;
}

/** Runs the search under faults until it finishes; throws when a controller fails on its own (a fault not survived). */
export async function runChaos(options: ChaosOptions): Promise<ChaosOutcome> {
  const log = options.log ?? (() => undefined);
  const rng = createRng(`chaos:${options.seed}`);
  const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
  const kinds = (Object.keys(weights) as FaultKind[]).filter((k) => weights[k] > 0);
  const total = kinds.reduce((s, k) => s + weights[k], 0);
  const pick = (): FaultKind => {
    let x = rng.next() * total;
    for (const k of kinds) if ((x -= weights[k]) < 0) return k;
    return kinds[kinds.length - 1];
  };
  const started = Date.now();
  const at = () => (Date.now() - started) / 1000;
  const server = await RedisServer.start();
  const workers: LiveChild[] = [];
  const every: LiveChild[] = [];
  let controllersStarted = 0;
  let workersStarted = 0;
  const startWorker = () => {
    workersStarted++;
    const w = new LiveChild(['worker', '--queue', server.url, '--study', queueNameFor(options.runDir), '--lock-seconds', '2', '--attempts', '1000']);
    every.push(w);
    return w;
  };
  const startController = () => {
    controllersStarted++;
    // The first run, or one killed before its journal existed, starts afresh; later ones resume.
    const resume = existsSync(join(options.runDir, 'journal.jsonl'));
    const c = new LiveChild(resume
      ? ['search', '--resume', options.runDir, '--queue', server.url, '--json']
      : ['search', ...options.searchArgs, '--workers', String(options.workers), '--queue', server.url, '--out', options.runDir, '--json']);
    every.push(c);
    return c;
  };
  try {
    let controller = startController();
    for (let i = 0; i < options.workers; i++) workers.push(startWorker());
    const faults: Fault[] = [];
    const limitMs = (options.limitSeconds ?? 900) * 1000;
    for (;;) {
      const gapMs = faults.length < options.faults ? -Math.log(1 - rng.next()) * options.meanGapSeconds * 1000 : Math.max(1000, limitMs - (Date.now() - started));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const exit = await Promise.race([controller.exited, new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), gapMs); })]);
      clearTimeout(timer);
      if (exit) return await finished(exit, controller);
      if (Date.now() - started > limitMs) throw new Error(`the search did not finish within ${limitMs / 1000} s; controller stderr:\n${controller.stderr.slice(-3000)}`);
      const kind = pick();
      const fault: Fault = { kind, atSeconds: at(), trialsEnded: trialsEnded(options.runDir), detail: '' };
      if (kind === 'kill-worker') {
        const slot = rng.int(workers.length);
        const victim = workers[slot];
        const running = [...victim.stderr.matchAll(/trial (\d+) (started|finished|failed)/g)].at(-1);
        victim.kill('SIGKILL');
        await victim.exited;
        await sleep(rng.int(1000));
        workers[slot] = startWorker();
        fault.detail = `worker ${slot} (pid ${victim.pid}; last: ${running ? `trial ${running[1]} ${running[2]}` : 'no trial yet'})`;
      } else if (kind === 'kill-controller') {
        controller.kill('SIGKILL');
        const exit = await controller.exited;
        if (exit.status !== null) return await finished(exit, controller); // it had just finished
        await sleep(rng.int(1000));
        const resumes = existsSync(join(options.runDir, 'journal.jsonl'));
        controller = startController();
        fault.detail = `controller, then ${resumes ? 'search --resume' : 'a fresh start: it was killed before its journal existed'}`;
      } else {
        const downMs = rng.int(2000);
        if (kind === 'kill-redis') await server.crash(downMs);
        else await server.restart(downMs);
        fault.detail = `down ${downMs} ms`;
      }
      faults.push(fault);
      log(`${fault.atSeconds.toFixed(1)} s: ${fault.kind} ${fault.detail} (${fault.trialsEnded} trials ended)`);
    }

    async function finished(exit: Exit, last: LiveChild): Promise<ChaosOutcome> {
      if (exit.status !== 0) throw new Error(`the controller exited with ${exit.status ?? exit.signal} on its own (a fault not survived):\n${last.stderr.slice(-3000)}`);
      const workerLines = (what: RegExp) => every.reduce((n, c) => n + (c.stderr.match(what)?.length ?? 0), 0);
      return {
        faults, summaryJson: last.stdout, controllersStarted, workersStarted, seconds: at(),
        workerTrainings: workerLines(/^trial \d+ started/gm), workerResults: workerLines(/^trial \d+ (finished|failed)/gm),
      };
    }
  } finally {
    for (const c of every) c.kill('SIGKILL');
    await Promise.all(every.map((c) => c.exited));
    await server.stop();
  }
}

/**
 * A journal's events, parsed line by line (a torn last line would throw: none is expected after a
 * finished run), each trial's telemetry read back from its side file (so runs compare whole).
 */
export function journalEvents(runDir: string): Record<string, unknown>[] {
  const path = join(runDir, 'journal.jsonl');
  const events = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalEvent);
  return withTelemetry(events, path) as unknown as Record<string, unknown>[];
}

/** `value` without wall-clock fields (`seconds`, `at`), for comparing runs. */
export function withoutTimes(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v) => (key === 'seconds' || key === 'at' ? undefined : v));
}

/**
 * How each trial id of a run folder ended: the number of journal lines that end it, and the first
 * one's event without times (its widths, seed, metrics, telemetry), with the seed and widths of its
 * trial-started line.
 */
export function trialEnds(runDir: string): Map<number, { ends: number; started: unknown; end: unknown }> {
  const out = new Map<number, { ends: number; started: unknown; end: unknown }>();
  for (const e of journalEvents(runDir)) {
    const id = e.trialId as number;
    if (e.type === 'trial-started') {
      const entry = out.get(id) ?? { ends: 0, started: undefined, end: undefined };
      entry.started ??= withoutTimes({ widths: e.widths, seed: e.seed, round: e.round });
      out.set(id, entry);
    } else if (e.type === 'trial-finished' || e.type === 'trial-failed') {
      const entry = out.get(id) ?? { ends: 0, started: undefined, end: undefined };
      entry.ends++;
      // The data fingerprint is the queue's transport check (a queued result carries it, a pool's
      // does not): not part of what a training measured.
      const result = e.result && typeof e.result === 'object' ? { ...(e.result as Record<string, unknown>), dataSha256: undefined } : e.result;
      entry.end ??= withoutTimes({ type: e.type, result, reason: e.reason });
      out.set(id, entry);
    }
  }
  return out;
}
