/**
 * A search run's summary, rebuilt from its journal alone, so `widthwise report` and the end of
 * `widthwise search` say the same thing.
 */
import type { ModelSummary, SearchSummary, TrialSummary } from '../report/search-summary.js';
import { readGroups } from '../search/labels.js';
import { readRoom } from '../search/room.js';
import { groupSignals } from '../variance/index.js';
import { freeze, studySampler, studySignal, type StudyConfig } from '../search/study.js';
import { bestTrial, isRecommender, type FrozenTrial, type Sampler } from '../search/types.js';
import { JournalError, type JournalEvent } from '../storage/journal.js';
import type { TrialResult } from '../trial/result.js';
import { decodeRunEvents, journalVersionOf, samplerDefaultsFor, type FinalModelName, type RunEvent } from './run-events.js';
import { recommendModel, type FinalChooser } from './recommendation.js';

/**
 * Readings of trials already read, by result object: a dashboard summarises the same events again
 * at every change of its run, and a trial's reading (from its telemetry, perhaps in a side file)
 * never changes. Deterministic functions of their arguments, so a remembered one is exact.
 */
const remembered = new WeakMap<object, Map<string, unknown>>();

function remember<T>(result: object, key: string, compute: () => T): T {
  let byKey = remembered.get(result);
  if (!byKey) remembered.set(result, (byKey = new Map()));
  if (!byKey.has(key)) byKey.set(key, compute());
  return byKey.get(key) as T;
}

function modelSummary(r: TrialResult): ModelSummary | undefined {
  if (r.status !== 'ok' || !r.metrics) return undefined;
  return {
    widths: r.widths, params: r.metrics.params, macs: r.metrics.macs, validationAccuracy: r.metrics.validationAccuracy,
    testAccuracy: r.metrics.testAccuracy, trainLoss: r.metrics.trainLoss, seconds: r.seconds, nonzeroWeights: r.metrics.nonzeroWeights,
  };
}

/** The final trainings that succeeded, by model name (a later training of a model replaces an earlier one). */
export function finalModelSummaries(runEvents: readonly RunEvent[]): Map<FinalModelName, ModelSummary> {
  const finals = new Map<FinalModelName, ModelSummary>();
  for (const e of runEvents) {
    if (e.type !== 'final-trained') continue;
    const summary = modelSummary(e.result);
    if (summary) finals.set(e.which, summary);
    else finals.delete(e.which);
  }
  return finals;
}

/**
 * How the study's sampler weighs final trainings against its proxy results, from the journal's
 * events alone (undefined for samplers without a model): the same answer during the run and in
 * any later `widthwise report`.
 */
export function finalChooser(events: readonly JournalEvent[], study = samplerAndHistory(events)): FinalChooser | undefined {
  const sampler = study?.sampler;
  if (!study || !sampler || !isRecommender(sampler)) return undefined;
  return (finals) => {
    try {
      return sampler.chooseFinal(study.history, finals);
    } catch {
      // A history the model cannot read (a damaged journal): the better final validation decides.
      return finals[1].validationAccuracy > finals[0].validationAccuracy ? 1 : 0;
    }
  };
}

/** The trial the study's sampler recommends (the model's best estimate, else the best proxy), from the journal alone. */
export function studyWinner(events: readonly JournalEvent[]): FrozenTrial | undefined {
  const study = samplerAndHistory(events);
  if (!study) return undefined;
  return isRecommender(study.sampler) ? study.sampler.recommend(study.history) : bestTrial(study.history);
}

/** What the study's sampler learned, from the journal alone (undefined for samplers without a model, or before any result). */
function modelGains(study: ReturnType<typeof samplerAndHistory>): SearchSummary['modelGains'] {
  const sampler = study?.sampler;
  if (!study || !sampler || !isRecommender(sampler) || !study.history.some((t) => t.status === 'ok')) return undefined;
  try {
    return sampler.learned(study.history);
  } catch {
    return undefined;
  }
}

/** The study's sampler and its frozen history, rebuilt from the journal's events. */
function samplerAndHistory(events: readonly JournalEvent[]): { sampler: Sampler; history: FrozenTrial[] } | undefined {
  const created = events.find((e) => e.type === 'study-created');
  if (!created || created.type !== 'study-created') return undefined;
  const config = created.config as unknown as StudyConfig;
  // Only the model sampler has anything to add, and only from a config it can rebuild: a damaged
  // journal still gives the rest of the summary (the model's reading is an extra).
  if (config.sampler !== 'model' || !Array.isArray(config.space?.groups) || !Array.isArray(config.start) || !(config.budget?.macs > 0)) return undefined;
  try {
    const sampler = studySampler(config, samplerDefaultsFor(config as StudyConfig & { journalVersion?: number }));
    const signal = studySignal(config);
    const started = new Map<number, { round: number; note?: string }>();
    const history: FrozenTrial[] = [];
    const freezeKey = `freeze|${JSON.stringify([config.space, signal])}`;
    for (const e of events) {
      if (e.type === 'trial-started') started.set(e.trialId, { round: e.round ?? 0, note: e.tag });
      if (e.type === 'trial-finished' && e.result) {
        const s = started.get(e.trialId);
        const result = e.result as TrialResult;
        history.push(remember(result, `${freezeKey}|${JSON.stringify([s?.round ?? 0, s?.note])}`, () => freeze(config.space, result, s?.round ?? 0, signal, s?.note)));
      }
    }
    return { sampler, history };
  } catch {
    return undefined;
  }
}

/** The room between uniform scaling and the winner once both final trainings are known (see `search/room.ts`). */
function roomOf(config: StudyConfig, history: readonly FrozenTrial[] | undefined, winner?: ModelSummary, uniform?: ModelSummary): SearchSummary['room'] {
  if (!history || !winner || !uniform) return undefined;
  try {
    return readRoom(config.space, history, [winner, uniform], uniform.widths, winner.widths);
  } catch {
    // A history the model cannot read (a damaged journal): the summary goes without it.
    return undefined;
  }
}

/**
 * The summary of the run in `runDir` from its journal's events. Throws `JournalError` when there is
 * no `study-created` event and `JournalVersionError` for a journal newer than this code.
 */
export function summaryFromJournal(events: JournalEvent[], runDir: string): SearchSummary {
  const created = events.find((e) => e.type === 'study-created');
  if (!created || created.type !== 'study-created') throw new JournalError(`${runDir}: the journal has no study-created event: it is not a widthwise search journal`);
  journalVersionOf(created.config, runDir);
  const config = created.config as unknown as StudyConfig & { table?: SearchSummary['table'] };
  const signal = studySignal(config);
  const readKey = `read|${JSON.stringify([config.space, signal])}`;
  const trials = new Map<number, TrialSummary>();
  const results = new Map<number, TrialResult>();
  let winnerId: number | undefined;
  let finished = false;
  let onnx: SearchSummary['onnx'];
  let backend: string | undefined;
  for (const e of events) {
    switch (e.type) {
      case 'trial-started':
        trials.set(e.trialId, { trialId: e.trialId, round: e.round ?? 0, widths: e.widths, status: 'running', note: e.tag });
        break;
      case 'trial-finished':
      case 'trial-failed': {
        const r = e.result as TrialResult | undefined;
        const t = trials.get(e.trialId);
        if (!t) break;
        t.status = e.type === 'trial-finished' ? 'ok' : 'failed';
        if (e.type === 'trial-failed') t.reason = e.reason;
        if (r) {
          results.set(e.trialId, r);
          backend ??= r.backend;
          if (r.metrics) Object.assign(t, { validationAccuracy: r.metrics.validationAccuracy, params: r.metrics.params, macs: r.metrics.macs });
          // Asked once per result: with a side file, asking for the telemetry reads it.
          const reading = remember(r, readKey, () => (r.telemetry || r.groupTelemetry ? readGroups(config.space, r, signal) : undefined));
          if (reading) {
            t.groupLabels = reading.labels;
            // People read the shape labels with their reasons (the search keeps its band labels).
            if (r.groupTelemetry) {
              const shown = groupSignals(r.groupTelemetry, signal).filter((g) => g.group in reading.labels);
              t.groupLabels = { ...reading.labels, ...Object.fromEntries(shown.map((g) => [g.group, g.label])) };
              t.groupReasons = Object.fromEntries(shown.map((g) => [g.group, g.reason]));
            }
            // JSON has no NaN: an undefined score is null.
            t.groupScores = Object.fromEntries(Object.entries(reading.scores).map(([g, v]) => [g, Number.isFinite(v) ? v : null]));
          }
        }
        break;
      }
    }
  }
  // What failed and has not succeeded since (a resume retries it).
  const failures = new Map<string, string>();
  const runEvents = decodeRunEvents(events);
  for (const e of runEvents) {
    switch (e.type) {
      case 'winner-chosen':
        winnerId = e.trialId;
        break;
      case 'final-trained':
        if (e.result.status === 'ok') failures.delete(e.which);
        break;
      case 'final-failed':
        failures.set(e.which, e.reason);
        break;
      case 'onnx-exported':
        onnx = e.onnx;
        failures.delete('export');
        break;
      case 'export-failed':
        failures.set('export', e.reason);
        break;
      case 'study-finished':
        finished = true;
        break;
    }
  }
  const history = [...trials.values()].sort((a, b) => a.trialId - b.trialId);
  const done = history.filter((t) => t.status !== 'running');
  const startTrial = history[0];
  const finals = finalModelSummaries(runEvents);
  const winner = finals.get('winner');
  // The model sampler's reading of the trials, rebuilt once for both of its uses.
  const study = samplerAndHistory(events);
  const recommended = recommendModel(winner, finals.get('uniform'), finalChooser(events, study));
  const gains = modelGains(study);
  const room = roomOf(config, study?.history, winner, finals.get('uniform'));
  return {
    runDir, space: config.space.name, dataset: config.data.name, backend, sampler: config.sampler,
    groups: config.space.groups.map((g) => g.name), budgetMacs: config.budget.macs, maxParams: config.budget.params,
    trials: done.length, failedTrials: done.filter((t) => t.status === 'failed').length,
    base: finals.get('base'), winner: winner && winnerId !== undefined ? { ...winner, trialId: winnerId } : undefined, wideSparse: finals.get('wide-sparse'), uniform: finals.get('uniform'),
    winnerTelemetry: winnerId !== undefined ? results.get(winnerId)?.telemetry : undefined,
    startTelemetry: startTrial ? results.get(startTrial.trialId)?.telemetry : undefined,
    winnerGroupTelemetry: winnerId !== undefined ? results.get(winnerId)?.groupTelemetry : undefined,
    startGroupTelemetry: startTrial ? results.get(startTrial.trialId)?.groupTelemetry : undefined,
    signal: { norm: signal.norm, score: signal.score, proxyEpochs: config.proxyRecipe.epochs },
    history, finished, onnx,
    ...(config.table ? { table: { path: config.table.path, sha256: config.table.sha256, networks: config.table.networks, ...(config.table.holdout !== undefined ? { holdout: config.table.holdout } : {}) } } : {}),
    ...(recommended ? { recommended } : {}),
    ...(gains ? { modelGains: gains } : {}),
    ...(room ? { room } : {}),
    ...(failures.size ? { failures: [...failures].map(([what, reason]) => ({ what, reason })) } : {}),
  };
}
