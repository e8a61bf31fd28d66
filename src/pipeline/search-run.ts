/**
 * A search end to end, with no console I/O: configure (or resume from the journal), run the study,
 * train base, uniform scaling and winner (and wide & sparse) fully, export the recommended network
 * (the winner unless uniform scaling validated better) to ONNX, write the report. A search answered
 * from a table (`--table`) starts no backend and has no weights: no checkpoints, no export.
 * What happens is told to an observer; the command line, a queue worker or a dashboard decide
 * what to show. Every step is journaled before the next starts, so a resumed run does only what
 * is left: finished trials, final trainings and the export are never done twice.
 */
import { existsSync } from 'node:fs';
import { ensureWritableDir } from '../storage/writable-dir.js';
import { lockRunFolder } from '../storage/run-lock.js';
import { join, resolve } from 'node:path';
import { UsageError, WidthwiseError } from '../core/errors.js';
import type { DataSpec } from '../core/dataset.js';
import type { DecodeProgress } from '../data/image-folder.js';
import { datasetKind, type LoadHooks } from '../data/registry.js';
import type { OnnxSummary, SearchSummary } from '../report/search-summary.js';
import { PoolEvaluator } from '../runtime/pool-evaluator.js';
import { checkRedisUrl, queueNameFor } from '../runtime/queue-connection.js';
import { QueueEvaluator } from '../runtime/queue-evaluator.js';
import { BenchTable, TableError } from '../runtime/bench-table.js';
import { checkHoldout, checkTableForSpace, TABLE_BACKEND, TableEvaluator, type TableReading } from '../runtime/table-evaluator.js';
import { SupernetEvaluator } from '../runtime/supernet-evaluator.js';
import { Study, type StudyProgress } from '../search/study.js';
import type { FrozenTrial } from '../search/types.js';
import { loadSpace } from '../space/load.js';
import type { SearchSpace } from '../space/types.js';
import { Journal, repairTornTail, type JournalEvent, type Replay } from '../storage/journal.js';
import type { Evaluator } from '../trial/evaluator.js';
import type { TrialEvent } from '../trial/result.js';
import { distinctTrainings, finalModels, finalRecipe, finalTrainingTask, type FinalModel } from './final-trainings.js';
import { recommendModel } from './recommendation.js';
import { finalChooser, finalModelSummaries } from './summary-from-journal.js';
import { RunJournal, SIDE_FILE_JOURNAL_VERSION } from './run-telemetry.js';
import { appendRunEvent, decodeRunEvents, journaledSpace, samplerDefaultsFor, journalVersionOf, readRunJournal, RUN_JOURNAL_VERSION, type FinalModelName } from './run-events.js';
import { checkSearchOptions, SEARCH_DEFAULTS, studyConfigFor, type SearchOptions, type SearchStudyConfig, type TableIdentity } from './search-options.js';
import { writeSearchReport } from './write-report.js';

/** A search that cannot give a winner: every proxy trial failed. */
export class SearchError extends WidthwiseError {}

/** What a caller asks for: a new run, or the resumption of one. */
export interface SearchRunRequest {
  /** Options set by the caller; the others come from `SEARCH_DEFAULTS` or, on resume, from the journal. */
  options?: Partial<SearchOptions>;
  /** Folder of a new run (default `results/<space>-<yyyymmdd-hhmmss>`); must not hold a journal yet. */
  out?: string;
  /** Folder of a run to resume from its journal. */
  resume?: string;
  /**
   * Stop after the study and its report: no final trainings, no export (for experiments that train
   * the winners their own way). The run is not marked finished, so a later full run can resume it.
   */
  studyOnly?: boolean;
  /**
   * Run the proxy trials on `widthwise worker`s through a Redis queue instead of local threads. Not
   * stored in the journal (the URL may hold credentials): a resume names it again, or runs locally.
   */
  queue?: QueueRequest;
}

/** Where a search's queue is; the queue itself is named for the run folder (`queueNameFor`). */
export interface QueueRequest {
  /** `redis://` or `rediss://` URL. */
  url: string;
  /** Seconds with trials waiting and no worker before the search stops (default 60). */
  workerTimeoutSeconds?: number;
  /** Seconds Redis may be unreachable, with trials waiting on it, before the search stops (default 120). */
  redisTimeoutSeconds?: number;
}

/** What `createEvaluator` is given. */
export interface EvaluatorRequest {
  workers: number;
  trialTimeoutSeconds?: number;
  /** Set for a queued search: the queue, and whether the study is new (its queue is emptied first). */
  queue?: QueueRequest & { queueName: string; fresh: boolean };
  /** The evaluator's own messages (reconnections, ignored results), redacted. */
  log?: (line: string) => void;
  /** Set for a search answered from a table (`--table`): the table, checked against the space, and how it is read. */
  table?: { table: BenchTable } & TableReading;
  /** `dataFingerprint` of the proxy examples, for a queued search to check its workers' against. */
  dataSha256?: string;
  /** Set for `--evaluator oneshot`: the supernet's settings; final trainings go to the pool. */
  oneshot?: { epochs?: number; maxTrain?: number; start: number[]; checkpointDir: string };
}

/** The backend a run trains on, as the engine reports it. */
export interface RunBackend {
  name: string;
  threads?: number;
}

/** The implementations a run uses; tests replace them, the defaults train for real. */
export interface SearchRunDeps {
  /** Starts the tfjs backend of the main thread (for the ONNX export). */
  startBackend(choice: string): Promise<RunBackend>;
  createEvaluator(options: EvaluatorRequest): Evaluator;
  /**
   * Writes `<runDir>/<source.onnx>` from the checkpoint in `<runDir>/<source.folder>` (default: the
   * winner's, to `winner.onnx`) and checks it; throws when it cannot.
   */
  exportWinner(runDir: string, data: DataSpec, source?: ExportSource): Promise<OnnxSummary>;
  /**
   * Loads the proxy data once on this machine before the study: an image folder is decoded (and
   * its cache written, so the trials' threads only read it), and the fingerprint of its examples
   * is what a queued search's workers must match. Absent: nothing is loaded ahead.
   */
  prepareData?(data: DataSpec, hooks: LoadHooks): Promise<{ dataSha256: string }>;
}

/** Which checkpoint folder of a run to export, and the ONNX file's name. */
export interface ExportSource {
  folder: string;
  onnx: string;
}

/** The real implementations; tfjs is loaded only when a run starts its backend or exports. */
export const DEFAULT_SEARCH_RUN_DEPS: SearchRunDeps = {
  startBackend: async (choice) => (await import('../engine/backend.js')).initBackend(choice as never),
  createEvaluator: ({ queue, log, table, dataSha256, oneshot, ...pool }) => {
    if (table) return new TableEvaluator(table.table, { concurrency: pool.workers, holdout: table.holdout, salt: table.salt });
    if (oneshot) return new SupernetEvaluator({ ...oneshot, fallback: new PoolEvaluator(pool), log, concurrency: pool.workers });
    return queue
      ? new QueueEvaluator({ ...queue, concurrency: pool.workers, trialTimeoutSeconds: pool.trialTimeoutSeconds, log, dataSha256, createLocal: () => new PoolEvaluator(pool) })
      : new PoolEvaluator(pool);
  },
  exportWinner: async (runDir, data, source = { folder: 'winner', onnx: 'winner.onnx' }) => {
    const { exportCheckpoint } = await import('./export-checkpoint.js');
    const { path, bytes, examples, maxAbsDiff, argmaxAgreement } = await exportCheckpoint(join(runDir, source.folder), { out: join(runDir, source.onnx), data });
    return { path, bytes, examples, maxAbsDiff, argmaxAgreement };
  },
  prepareData: async (data, hooks) => {
    const { loadDataset } = await import('../data/registry.js');
    const { dataFingerprint } = await import('../data/fingerprint.js');
    return { dataSha256: dataFingerprint(await loadDataset(data, hooks)) };
  },
};

/** What a run tells as it goes; every hook is optional. */
export interface SearchRunObserver {
  /** A torn last journal line (a crash mid-write) of `bytes` bytes was cut off before resuming. */
  onJournalRepaired?(bytes: number): void;
  onBackend?(backend: RunBackend): void;
  /** The study is about to run; `trialsDone` were finished before (on resume). */
  onStudyStart?(start: { config: SearchStudyConfig; runDir: string; backend: RunBackend; trialsDone: number }): void;
  onTrialDone?(progress: StudyProgress): void;
  /** The sampler stopped before the trial limit, with its reason in words (e.g. streamline's patience ran out). */
  onSamplerStopped?(stop: { trials: number; best: FrozenTrial; reason?: string }): void;
  onFinalTrainingsStart?(models: FinalModel[], epochs: number): void;
  onFinalTrainingEvent?(which: FinalModelName, event: TrialEvent): void;
  onOnnxExported?(onnx: OnnxSummary): void;
  onOnnxFailed?(error: Error): void;
  /** A message of the evaluator (a queued search's reconnections and ignored results). */
  onEvaluatorMessage?(line: string): void;
  /** Images decoded so far, before the study (an image folder). */
  onDataProgress?(progress: DecodeProgress): void;
  /** What the data load read (an image folder's classes, split, cache use, skipped files). */
  onDataNote?(line: string): void;
}

/** How a run ended: finished, or stopped by `stop()` (resume it to go on). */
export interface SearchOutcome {
  status: 'finished' | 'stopped';
  runDir: string;
  /** Finished proxy trials. */
  trials: number;
  /** The study's best trial, if any succeeded. */
  best?: FrozenTrial;
  summary: SearchSummary;
}

/** The default folder of a new run: `results/<space>-<yyyymmdd-hhmmss>` (UTC). */
export function defaultRunDir(spaceName: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join('results', `${spaceName}-${stamp}`);
}

/**
 * One search run. `open` checks everything that can be checked without the run folder's lock
 * (options, space, budget, the journal's version); `execute` takes the lock, checks the folder
 * (writable; for a new run, no journal yet), then does the work.
 */
export class SearchRun {
  private study?: Study;
  private evaluator?: Evaluator;
  private stopping = false;

  private constructor(
    readonly runDir: string,
    readonly options: SearchOptions,
    readonly config: SearchStudyConfig,
    private replay: Replay | undefined,
    private readonly deps: SearchRunDeps,
    private readonly studyOnly: boolean,
    private readonly queue: QueueRequest | undefined,
    /** The table that answers every trial (`--table`): no backend, no checkpoints, no export. */
    private readonly table: BenchTable | undefined,
  ) {}

  /** The queue a queued search's workers serve (`widthwise worker --study`), else undefined. */
  get queueName(): string | undefined {
    return this.queue ? queueNameFor(this.runDir) : undefined;
  }

  /**
   * Resolves the options (defaults, then the journal's on resume, then the caller's) and the study
   * they define. Throws `UsageError`, `SpaceError`, `BudgetError`, `JournalError` or
   * `JournalVersionError` before any work starts; a `--table` that cannot be read or does not fit
   * the space is a `UsageError`.
   */
  static open(request: SearchRunRequest, deps: SearchRunDeps = DEFAULT_SEARCH_RUN_DEPS): SearchRun {
    if (request.resume !== undefined && request.out !== undefined) throw new UsageError('give either --resume or --out, not both');
    if (request.queue) checkRedisUrl(request.queue.url);
    const wait = request.queue?.workerTimeoutSeconds;
    if (wait !== undefined && !(wait > 0)) throw new UsageError(`--queue-worker-timeout: expected a positive number of seconds, found ${wait}`);
    const redisWait = request.queue?.redisTimeoutSeconds;
    if (redisWait !== undefined && !(redisWait > 0)) throw new UsageError(`--queue-redis-timeout: expected a positive number of seconds, found ${redisWait}`);
    const explicit = Object.fromEntries(Object.entries(request.options ?? {}).filter(([, v]) => v !== undefined)) as Partial<SearchOptions>;
    // Stored absolute, so a resume from another folder finds the same file.
    if (explicit.table !== undefined) explicit.table = resolve(explicit.table);
    if (explicit.table !== undefined && request.queue) throw new UsageError('give either --table or --queue, not both: a table answers every trial here, at once');
    if (explicit.holdout !== undefined && explicit.table === undefined) throw new UsageError('--holdout needs --table: it holds out one recorded training of a table of trained networks');
    if (explicit.table !== undefined && explicit.compareWideSparse) throw new UsageError('--compare-wide-sparse cannot be answered from a --table: the table holds dense networks only');
    if (request.resume !== undefined) {
      const runDir = resolve(request.resume);
      const replay = readRunJournal(join(runDir, 'journal.jsonl'));
      const created = replay.events.find((e) => e.type === 'study-created');
      const stored = created?.type === 'study-created' ? created.config : undefined;
      const version = stored ? journalVersionOf(stored, runDir) : RUN_JOURNAL_VERSION;
      const options = { ...((stored?.options as SearchOptions | undefined) ?? SEARCH_DEFAULTS), ...explicit };
      // A resumed run keeps the version it was created with: the config must match the journal's.
      // The journal holds the whole space: a resume needs no space file (it may have moved).
      const journaled = stored?.space !== undefined ? journaledSpace(stored.space, `${join(runDir, 'journal.jsonl')} (study-created space)`) : undefined;
      const { config, table } = configWithTable(options, version, journaled);
      if (table && request.queue) throw new UsageError('this run answers its trials from a table (--table): resume it without --queue');
      return new SearchRun(runDir, options, config, replay, deps, request.studyOnly ?? false, request.queue, table);
    }
    const options = { ...SEARCH_DEFAULTS, ...explicit };
    // A journal already there is refused by `execute` once it holds the folder: a folder another
    // search is writing is then refused naming that search, not with a hint to resume it.
    const runDir = resolve(request.out ?? defaultRunDir(loadSpace(options.space).name, new Date()));
    const { config, table } = configWithTable(options, RUN_JOURNAL_VERSION);
    return new SearchRun(runDir, options, config, undefined, deps, request.studyOnly ?? false, request.queue, table);
  }

  /** Asks the run to stop: running trainings are aborted and run again on resume. */
  stop(): void {
    this.stopping = true;
    this.study?.stop();
    void this.evaluator?.close();
  }

  /**
   * Runs what is left of the search, holding the run folder's lock. Throws `UsageError` for a folder
   * that cannot be written or (new run) already holds a journal, `RunFolderLockedError` when
   * another process holds it, `ResumeError`
   * when the journal's study differs from the options, and `SearchError` when every proxy trial,
   * a final training or the ONNX export failed (journaled as attempts; a resume tries them again).
   */
  async execute(observer: SearchRunObserver = {}): Promise<SearchOutcome> {
    ensureWritableDir(this.runDir, this.replay ? '--resume' : '--out');
    // One writer per run folder: a second search or resume on it fails here, naming the holder.
    const lock = await lockRunFolder(this.runDir, { command: this.replay ? 'widthwise search --resume' : 'widthwise search' });
    try {
      const journalPath = join(this.runDir, 'journal.jsonl');
      // The journal as it is now that this run holds the folder (another writer may have added to it).
      if (this.replay) this.replay = readRunJournal(journalPath);
      else if (existsSync(journalPath)) throw new UsageError(`${this.runDir} already holds a search journal: use --resume ${this.runDir}, or another --out`);
      return await this.executeHeld(observer);
    } finally {
      await lock.release();
    }
  }

  private async executeHeld(observer: SearchRunObserver): Promise<SearchOutcome> {
    const journalPath = join(this.runDir, 'journal.jsonl');
    if (this.replay?.tornLastLine !== undefined) {
      repairTornTail(journalPath, this.replay);
      observer.onJournalRepaired?.(this.replay.tornLastLine.length);
    }
    const events: JournalEvent[] = this.replay?.events ?? [];
    // Image folders are decoded here once (bad data stops the run before any training), and a
    // queued search fingerprints its examples for the workers to match. A table trains nothing.
    const prepared = !this.table && (datasetKind(this.config.data.name).loadUpFront || this.queue) && this.deps.prepareData
      ? await this.deps.prepareData(this.config.data, { onProgress: (p) => observer.onDataProgress?.(p), onNote: (line) => observer.onDataNote?.(line) })
      : undefined;
    // A table trains nothing: no backend is started (tfjs is never loaded).
    const backend = this.table ? { name: TABLE_BACKEND } : await this.deps.startBackend(this.options.backend);
    observer.onBackend?.(backend);
    // From version 3 on, each trial's telemetry goes to a side file (a resumed older run keeps its format).
    const journal = new RunJournal(new Journal(journalPath), (this.config.journalVersion ?? 1) >= SIDE_FILE_JOURNAL_VERSION);
    const evaluator = this.deps.createEvaluator({
      workers: this.options.workers, trialTimeoutSeconds: this.options.trialTimeout,
      queue: this.queue && { ...this.queue, queueName: queueNameFor(this.runDir), fresh: !this.replay },
      log: (line) => observer.onEvaluatorMessage?.(line),
      table: this.table && { table: this.table, holdout: this.options.holdout, salt: this.options.seed },
      ...(prepared ? { dataSha256: prepared.dataSha256 } : {}),
      ...(this.options.evaluator === 'oneshot' && !this.table
        ? { oneshot: { epochs: this.options.supernetEpochs, maxTrain: this.options.supernetMaxTrain, start: [...this.config.start], checkpointDir: join(this.runDir, 'supernet') } }
        : {}),
    });
    this.evaluator = evaluator;
    try {
      const study = new Study(this.config, evaluator, journal, samplerDefaultsFor(this.config));
      this.study = study;
      if (this.replay) study.restore(events);
      else study.create();
      if (this.stopping) study.stop();
      observer.onStudyStart?.({ config: this.config, runDir: this.runDir, backend, trialsDone: study.history.length });
      await study.run({ onTrialDone: (p) => observer.onTrialDone?.(p) });
      if (study.stopped) return await this.ended('stopped', journal, study);
      const best = study.winner();
      if (!best) {
        const first = study.history[0];
        throw new SearchError(`every proxy trial failed (see ${join(this.runDir, 'report.html')}); first reason: ${(first && study.results.get(first.trialId)?.reason) ?? '?'}`);
      }
      if (study.history.length < this.options.trials) observer.onSamplerStopped?.({ trials: study.history.length, best, reason: study.samplerStopReason });
      if (this.studyOnly) {
        await evaluator.close();
        return await this.ended('finished', journal, study);
      }
      const done = decodeRunEvents(events);
      if (!done.some((e) => e.type === 'winner-chosen')) appendRunEvent(journal, { type: 'winner-chosen', trialId: best.trialId, widths: [...best.widths] });
      // Only successes count: a failed final training (journaled as `final-failed`, or as a failed
      // `final-trained` by older versions) is tried again.
      const trained = new Set(done.flatMap((e) => (e.type === 'final-trained' && e.result.status === 'ok' ? [e.which] : [])));
      const models = finalModels(this.config.space, [...best.widths], this.options, this.config.budget).filter((m) => !trained.has(m.which));
      const failures = await this.trainFinals(models, journal, evaluator, observer);
      await evaluator.close();
      if (this.stopping) return await this.ended('stopped', journal, study);
      if (failures.length) {
        await this.ended('stopped', journal, study);
        throw new SearchError(`${failures.map((f) => `final training of the ${f.which} failed: ${f.reason}`).join('; ')}. Nothing was exported; resume with: widthwise search --resume ${this.runDir}`);
      }
      // A table's networks have no weights: nothing to export (the summary says so).
      if (!this.table && !done.some((e) => e.type === 'onnx-exported')) {
        try {
          const onnx = await this.deps.exportWinner(this.runDir, this.config.data, this.recommendedSource(journalPath, [...best.widths]));
          appendRunEvent(journal, { type: 'onnx-exported', onnx });
          observer.onOnnxExported?.(onnx);
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err));
          appendRunEvent(journal, { type: 'export-failed', reason: `${error.name}: ${error.message}` });
          observer.onOnnxFailed?.(error);
          await this.ended('stopped', journal, study);
          throw new SearchError(`the ONNX export of the recommended network failed: ${error.message}; resume with: widthwise search --resume ${this.runDir} to try it again`);
        }
      }
      appendRunEvent(journal, { type: 'study-finished' });
      journal.close();
      return { status: 'finished', runDir: this.runDir, trials: study.history.length, best, summary: await writeSearchReport(this.runDir) };
    } catch (err) {
      await evaluator.close().catch(() => undefined);
      closeQuietly(journal);
      throw err;
    }
  }

  /** Trains what is left of the final models; returns the ones that failed (journaled as `final-failed`). */
  private async trainFinals(models: FinalModel[], journal: RunJournal, evaluator: Evaluator, observer: SearchRunObserver): Promise<{ which: FinalModelName; reason: string }[]> {
    if (models.length === 0) return [];
    observer.onFinalTrainingsStart?.(models, this.options.finalEpochs);
    const recipe = finalRecipe(this.options);
    const failures: { which: FinalModelName; reason: string }[] = [];
    // The final trainings use all the training data, not the proxy's `maxTrain` part.
    await Promise.all(distinctTrainings(models).map(async (same) => {
      const [model] = same;
      const task = finalTrainingTask(this.config.space, model, {
        studySeed: this.options.seed, data: { ...this.config.data, maxTrain: undefined }, recipe, backend: this.options.backend,
        // A final is the next evaluation of its network after the proxies (a table reads another run).
        evaluation: this.study?.history.filter((t) => t.widths.join(',') === model.widths.join(',')).length ?? 0,
        // No checkpoint from a table's answers: there are no weights.
        saveTo: this.table ? undefined : join(this.runDir, model.which),
      });
      const result = await evaluator.evaluate(task, (e) => observer.onFinalTrainingEvent?.(model.which, e));
      if (this.stopping && result.status === 'failed') return; // aborted by a stop: trains again on resume
      for (const m of same) {
        if (result.status === 'ok') {
          appendRunEvent(journal, { type: 'final-trained', which: m.which, result: { ...result, telemetry: undefined, groupTelemetry: undefined } });
        } else {
          const reason = result.reason ?? 'unknown reason';
          appendRunEvent(journal, { type: 'final-failed', which: m.which, reason });
          failures.push({ which: m.which, reason });
        }
      }
    }));
    return failures;
  }

  /**
   * The checkpoint of the network the search recommends (see recommendation.ts): the winner's, or
   * uniform scaling's, which lives in the folder of the first final model it was trained as.
   */
  private recommendedSource(journalPath: string, winner: number[]): ExportSource {
    const { events } = readRunJournal(journalPath);
    const finals = finalModelSummaries(decodeRunEvents(events));
    const which = recommendModel(finals.get('winner'), finals.get('uniform'), finalChooser(events))?.which ?? 'winner';
    const group = distinctTrainings(finalModels(this.config.space, winner, this.options, this.config.budget)).find((g) => g.some((m) => m.which === which));
    return { folder: group?.[0].which ?? which, onnx: `${which}.onnx` };
  }

  private async ended(status: SearchOutcome['status'], journal: RunJournal, study: Study): Promise<SearchOutcome> {
    journal.close();
    return { status, runDir: this.runDir, trials: study.history.length, best: study.best(), summary: await writeSearchReport(this.runDir) };
  }
}

/** The study config of `options`, stamped with the journal format it is written in. */
function configFor(options: SearchOptions, journalVersion: number, storedSpace?: SearchSpace): SearchStudyConfig {
  checkSearchOptions(options);
  // Version-1 journals had no journalVersion; leaving it out keeps their configs equal on resume.
  return { ...studyConfigFor(options, storedSpace), options, ...(journalVersion > 1 ? { journalVersion } : {}) };
}

/**
 * The study config of `options` and, with `--table`, the table read and checked against the
 * config's space, its identity (path, SHA-256) in the config so that a resume refuses another
 * table. A table that cannot be read or does not fit is a `UsageError` naming `--table`.
 */
function configWithTable(options: SearchOptions, journalVersion: number, storedSpace?: SearchSpace): { config: SearchStudyConfig; table?: BenchTable } {
  const config = configFor(options, journalVersion, storedSpace);
  if (options.table === undefined) return { config };
  let table: BenchTable;
  try {
    table = BenchTable.load(options.table);
    checkTableForSpace(table, config.space);
    if (options.holdout !== undefined) checkHoldout(table, options.holdout);
  } catch (err) {
    if (err instanceof TableError) throw new UsageError(`--table: ${err.message}`);
    throw err;
  }
  const identity: TableIdentity = { path: table.path, sha256: table.sha256, networks: table.size, ...(options.holdout !== undefined ? { holdout: options.holdout } : {}) };
  return { config: { ...config, table: identity }, table };
}

function closeQuietly(journal: RunJournal): void {
  try {
    journal.close();
  } catch {
    // already closed
  }
}
