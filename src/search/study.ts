/**
 * A study: the ask/tell loop of a sampler over an evaluator, under a budget, with every event in
 * the journal. It never knows where trials run. Trials run in rounds (one proposal per worker), so
 * the same seed gives the same study whatever the timing. Resuming replays the journal: finished
 * trials are kept, trials that were in flight run again with the same widths and seed.
 */
import { canonicalJson } from '../core/canonical-json.js';
import { deriveSeed, createRng } from '../core/rng.js';
import type { DataSpec } from '../core/dataset.js';
import type { TrainRecipe } from '../core/recipe.js';
import type { WidthVector } from '../core/shapes.js';
import type { Evaluator } from '../trial/evaluator.js';
import type { TrialEvent, TrialResult } from '../trial/result.js';
import type { TrialTask } from '../trial/task.js';
import { WidthwiseError } from '../core/errors.js';
import type { SearchSpace } from '../space/types.js';
import type { JournalEvent, StudyJournal } from '../storage/journal.js';
import { isFeasible, projectToBudget, type Budget } from './budget.js';
import { readGroups } from './labels.js';
import { signalSettings, type NormKind, type ScoreName, type SignalSettings } from '../variance/index.js';
import { createSampler, type Sampler, type SamplerName } from './samplers.js';
import { bestTrial, isRecommender, type FrozenTrial } from './types.js';

/** Everything that defines a study; stored whole in the journal and compared on resume. */
export interface StudyConfig {
  space: SearchSpace;
  sampler: SamplerName;
  samplerOptions?: Record<string, number>;
  /** Maximum number of proxy trials. */
  trials: number;
  budget: Budget;
  seed: number;
  start: WidthVector;
  data: DataSpec;
  proxyRecipe: TrainRecipe;
  recordEvery?: number;
  /** The width signal: norm kind and score (default: the measured default, src/variance/default-signal.ts). */
  normKind: NormKind;
  score?: ScoreName;
  backend?: string;
  trialTimeoutSeconds?: number;
  /** Proposals per round (the number of workers when the study was created). */
  roundSize: number;
}

/** A resumed journal whose study differs from the one asked for. */
export class ResumeError extends WidthwiseError {}

export interface StudyProgress {
  done: number;
  total: number;
  best?: FrozenTrial;
  last: FrozenTrial;
}

export interface StudyHooks {
  onTrialDone?: (p: StudyProgress) => void;
  onTrialEvent?: (e: TrialEvent) => void;
  onRoundStart?: (round: number, size: number) => void;
}

/**
 * A config as resume compares it: plain JSON without the space's `file`, since where the space
 * was read from (a checkout, an installed package) is not part of the study; its content is.
 */
function comparable(config: unknown): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  const space = plain.space as Record<string, unknown> | undefined;
  if (space && typeof space === 'object') delete space.file;
  return plain;
}

/** The study's signal with its label band. */
export function studySignal(config: Pick<StudyConfig, 'normKind' | 'score' | 'proxyRecipe'>): SignalSettings {
  return signalSettings(config.normKind, config.score, config.proxyRecipe.epochs);
}

export function freeze(space: SearchSpace, result: TrialResult, round: number, signal: SignalSettings, note?: string): FrozenTrial {
  const reading = result.telemetry || result.groupTelemetry ? readGroups(space, result, signal) : undefined;
  return Object.freeze({
    trialId: result.trialId,
    widths: Object.freeze([...result.widths]),
    status: result.status,
    metrics: result.metrics ? Object.freeze({ ...result.metrics }) : undefined,
    groupLabels: reading ? Object.freeze(reading.labels) : undefined,
    groupScores: reading ? Object.freeze(reading.scores) : undefined,
    ...(note !== undefined ? { note } : {}),
    round,
  });
}

/**
 * The sampler a study config defines; each round's rng derives from (seed, sampler, round).
 * `defaults` fill the options the config does not name (a journal written when the sampler's
 * defaults were others: see `ISSUE_25_MODEL`).
 */
export function studySampler(c: Pick<StudyConfig, 'sampler' | 'samplerOptions' | 'space' | 'budget' | 'roundSize' | 'start' | 'seed'>, defaults: Record<string, number> = {}): Sampler {
  return createSampler(c.sampler, {
    space: c.space, budget: c.budget, roundSize: c.roundSize, start: c.start,
    rngForRound: (round) => createRng(`${c.seed}:${c.sampler}:${round}`),
  }, { ...defaults, ...c.samplerOptions });
}

export class Study {
  readonly history: FrozenTrial[] = [];
  /** Why the sampler proposed nothing more, when it stopped before the trial limit. */
  samplerStopReason?: string;
  readonly results = new Map<number, TrialResult>();
  private inFlight: { trialId: number; widths: number[]; seed: number; round: number; note?: string }[] = [];
  private nextTrialId = 0;
  private stopping = false;
  /** The widths of every trial started so far, by id: how a repeat knows which evaluation it is. */
  private readonly startedWidths = new Map<number, string>();

  /** The study's signal, read once: every trial is frozen under it. */
  private readonly signal: SignalSettings;

  /** `samplerDefaults`: options of the sampler that the config does not name (see `studySampler`). */
  constructor(readonly config: StudyConfig, private readonly evaluator: Evaluator, private readonly journal: StudyJournal, private readonly samplerDefaults: Record<string, number> = {}) {
    this.signal = studySignal(config);
  }

  /** Starts a new journal with the whole config. */
  create(): void {
    this.journal.append({ type: 'study-created', config: JSON.parse(JSON.stringify(this.config)) });
  }

  /** Rebuilds state from a journal's events; throws `ResumeError` if its config differs. */
  restore(events: JournalEvent[]): void {
    const created = events.find((e) => e.type === 'study-created');
    if (!created || created.type !== 'study-created') throw new ResumeError('the journal has no study-created event: it is not a widthwise search journal');
    const a = comparable(created.config);
    const b = comparable(this.config);
    if (canonicalJson(a) !== canonicalJson(b)) {
      const diff = Object.keys({ ...a, ...b }).filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k]));
      throw new ResumeError(`the journal's study was created with a different config (${diff.join(', ')} differ); resume without changing those options, or start a new run`);
    }
    const started = new Map<number, { widths: number[]; seed: number; round: number; note?: string }>();
    for (const e of events) {
      if (e.type === 'trial-started') {
        started.set(e.trialId, { widths: e.widths, seed: e.seed, round: e.round ?? 0, note: e.tag });
        this.startedWidths.set(e.trialId, e.widths.join(','));
      }
      if (e.type === 'trial-finished' || e.type === 'trial-failed') {
        const s = started.get(e.trialId);
        const result = (e.type === 'trial-finished' ? e.result : e.result ?? { trialId: e.trialId, status: 'failed', reason: e.reason, widths: s?.widths ?? [], seconds: 0 }) as TrialResult;
        this.results.set(e.trialId, result);
        this.history.push(freeze(this.config.space, result, s?.round ?? 0, this.signal, s?.note));
        started.delete(e.trialId);
      }
      if ('trialId' in e) this.nextTrialId = Math.max(this.nextTrialId, e.trialId + 1);
    }
    this.inFlight = [...started].map(([trialId, s]) => ({ trialId, ...s }));
  }

  /** Asks the study to stop: trials that come back aborted are not journaled (they rerun on resume). */
  stop(): void {
    this.stopping = true;
  }

  get stopped(): boolean {
    return this.stopping;
  }

  best(): FrozenTrial | undefined {
    return bestTrial(this.history);
  }

  /** The study's sampler (stateless between rounds: everything it knows is the history). */
  get sampler(): Sampler {
    return (this.samplerInstance ??= studySampler(this.config, this.samplerDefaults));
  }
  private samplerInstance?: Sampler;

  /** The search's winner: the sampler's recommendation (a model's best estimate), else the best proxy result. */
  winner(): FrozenTrial | undefined {
    const sampler = this.sampler;
    return isRecommender(sampler) ? sampler.recommend(this.history) : this.best();
  }

  /** Runs rounds until the sampler is done, the trial limit is reached or `stop` is called. */
  async run(hooks: StudyHooks = {}): Promise<void> {
    const c = this.config;
    const sampler = this.sampler;
    if (this.inFlight.length) {
      const rerun = this.inFlight;
      this.inFlight = [];
      await this.runRound(rerun, hooks);
    }
    while (!this.stopping && this.history.length < c.trials) {
      const proposals = sampler.ask(this.history);
      if (!proposals.length) this.samplerStopReason = sampler.stopReason;
      const seen = new Set(this.history.map((t) => t.widths.join(',')));
      const batch: { trialId: number; widths: number[]; seed: number; round: number; note?: string }[] = [];
      for (const p of proposals) {
        // The budget gate: nothing over budget is ever trained.
        const widths = isFeasible(c.space, p.widths, c.budget) ? p.widths : projectToBudget(c.space, p.widths, c.budget);
        if (seen.has(widths.join(',')) && !(p.repeat && batch.every((t) => t.widths.join(',') !== widths.join(',')))) continue;
        seen.add(widths.join(','));
        if (this.history.length + batch.length >= c.trials) break;
        const trialId = this.nextTrialId++;
        batch.push({ trialId, widths, seed: deriveSeed(c.seed, trialId), round: p.round, note: p.note });
      }
      if (batch.length === 0) break;
      for (const t of batch) {
        this.journal.append({ type: 'trial-started', trialId: t.trialId, widths: t.widths, seed: t.seed, round: t.round, tag: t.note });
        this.startedWidths.set(t.trialId, t.widths.join(','));
      }
      await this.runRound(batch, hooks);
    }
  }

  /** How many trials started before `trialId` had the same widths (derived from the journal, so a resume agrees). */
  private evaluationOf(trialId: number, widths: readonly number[]): number {
    const k = widths.join(',');
    let n = 0;
    for (const [id, w] of this.startedWidths) if (id < trialId && w === k) n++;
    return n;
  }

  private async runRound(batch: { trialId: number; widths: number[]; seed: number; round: number; note?: string }[], hooks: StudyHooks): Promise<void> {
    const c = this.config;
    hooks.onRoundStart?.(batch[0]?.round ?? 0, batch.length);
    await Promise.all(batch.map(async (t) => {
      const task: TrialTask = {
        trialId: t.trialId, space: c.space, widths: t.widths, seed: t.seed, data: c.data, recipe: c.proxyRecipe,
        recordEvery: c.recordEvery, backend: c.backend, timeoutSeconds: c.trialTimeoutSeconds,
        ...(this.evaluationOf(t.trialId, t.widths) ? { evaluation: this.evaluationOf(t.trialId, t.widths) } : {}),
      };
      const result = await this.evaluator.evaluate(task, hooks.onTrialEvent);
      if (this.stopping && result.status === 'failed') return; // aborted by a stop: runs again on resume
      if (result.status === 'ok') this.journal.append({ type: 'trial-finished', trialId: t.trialId, result });
      else this.journal.append({ type: 'trial-failed', trialId: t.trialId, reason: result.reason ?? 'unknown', result });
      this.results.set(t.trialId, result);
      const frozen = freeze(c.space, result, t.round, this.signal, t.note);
      this.history.push(frozen);
      hooks.onTrialDone?.({ done: this.history.length, total: c.trials, best: this.best(), last: frozen });
    }));
  }
}
