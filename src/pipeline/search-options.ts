/**
 * The options of a search and the study they define. Options are plain data: they are stored whole
 * in the journal's `study-created` event, and a resumed run starts from them.
 */
import { availableParallelism } from 'node:os';
import { camelCase, checkNumbers, type OptionTable } from '../core/option-table.js';
import { defaultRecipe } from '../core/recipe.js';
import { BACKEND_CHOICES } from '../core/backend-choice.js';
import { DATA_OPTIONS, dataSpecFromOptions } from '../data/data-options.js';
import { spaceCost } from '../cost/cost.js';
import { checkBudget, projectToBudget } from '../search/budget.js';
import { SAMPLER_NAMES, type SamplerName } from '../search/samplers.js';
import type { StudyConfig } from '../search/study.js';
import { baseWidths, loadSpace, parseWidths, type SearchSpace } from '../space/index.js';
import { DEFAULT_SIGNAL, NORM_KIND_NAMES, SCORE_NAMES, type NormKind, type ScoreName } from '../variance/index.js';

/** The options of a search, as stored in its journal; a resumed run starts from them. */
export interface SearchOptions {
  /** A space file or a shipped space name. */
  space: string;
  /** Dataset name; default: the space's. */
  dataset?: string;
  dataDir?: string;
  /** Image folders: fail on bad data (default) or skip it and count it. */
  badImages?: 'fail' | 'skip';
  sampler: SamplerName;
  /** Maximum number of proxy trials. */
  trials: number;
  /** Worker threads, and proposals per round. */
  workers: number;
  proxyEpochs: number;
  /** Training images per proxy training. */
  proxyMaxTrain: number;
  /** Epochs of the final trainings of base, winner (and wide & sparse). */
  finalEpochs: number;
  /** MACs budget per example; default: `budgetRatio` times the base network's MACs. */
  budgetMacs?: number;
  budgetRatio: number;
  maxParams?: number;
  /** Start widths, comma-separated; default: the base widths. */
  widths?: string;
  /** Study seed; every trial's seed derives from it and the trial number. */
  seed: number;
  batchSize: number;
  lr?: number;
  /** Record weight norms every k steps as well as every epoch. */
  recordEvery: number;
  trialTimeout?: number;
  /** `auto` or a backend name. */
  backend: string;
  /** Also train the wide & sparse network (base widths x `wideSparseScale`) with the winner's nonzero kernel weights. */
  compareWideSparse?: boolean;
  wideSparseScale?: number;
  /** The width signal (default: the measured default, `DEFAULT_SIGNAL`). */
  norm?: NormKind;
  score?: ScoreName;
  /**
   * A table of trained networks (Channel-Bench-Macro's format) that answers every trial instead of
   * training (runtime/table-evaluator.ts); stored as an absolute path.
   */
  table?: string;
  /**
   * With `table`: the recorded training (0-based) held out from the search. No proxy, repeat or
   * final reads it; every network's test accuracy is that run alone, so the test figure is a number
   * the search never saw. Without it, a table's test accuracy is the mean of all runs.
   */
  holdout?: number;
  /**
   * Whether the model sampler takes the variance signal as its prior (`on`) or not (`off`, the
   * default: measured on the search benchmark, it did not help; see benchmark.md).
   */
  prior: 'on' | 'off';
  /**
   * Who answers the proxy trials: `train` (a proxy training each, the default) or `oneshot` (one
   * slimmable supernet trained once, every trial read from it; runtime/supernet-evaluator.ts).
   */
  evaluator?: 'train' | 'oneshot';
  /** `oneshot`: epochs and training images of the supernet training. */
  supernetEpochs?: number;
  supernetMaxTrain?: number;
}

/** The defaults of every option that has one. */
export const SEARCH_DEFAULTS: SearchOptions = {
  // The proxy's length serves its accuracy first (the search's objective); the signal's label band
  // is the one fitted at the nearest proxy length, and the record cadence is the one it was measured at.
  space: 'cnn-mnist', sampler: 'model', prior: 'off', trials: 12, workers: availableParallelism(), proxyEpochs: 3, proxyMaxTrain: 3000,
  finalEpochs: 5, budgetRatio: 1, seed: 0, batchSize: 64, recordEvery: 6, backend: 'auto',
};

/**
 * Every option of a search: type, range and meaning, the one source of `search --help` and of the
 * checks of the options a run is given (from the command line, a queue or a journal). No defaults
 * here: a resumed run takes the journal's, then `SEARCH_DEFAULTS`.
 */
export const SEARCH_OPTION_TABLE = {
  space: { type: 'string', describe: `space file or shipped name (default ${SEARCH_DEFAULTS.space})` },
  ...DATA_OPTIONS,
  sampler: { type: 'string', choices: SAMPLER_NAMES, describe: 'model (default: learns accuracy over widths from every trial, proposes by Thompson sampling near its best estimate), streamline (moves width by the groups\' scores), random or evolution' },
  prior: { type: 'string', choices: ['on', 'off'], describe: 'model sampler: take the groups\' variance scores as the prior of which groups pay for width (default off: on the search benchmark it did not help, results/experiments/benchmark.md); the trials overrule it' },
  trials: { type: 'number', integer: true, min: 1, describe: `maximum proxy trials (default ${SEARCH_DEFAULTS.trials})` },
  workers: { type: 'number', integer: true, min: 1, describe: 'worker threads (default: the number of cores)' },
  'proxy-epochs': { type: 'number', integer: true, min: 1, describe: `epochs of each proxy training (default ${SEARCH_DEFAULTS.proxyEpochs})` },
  'proxy-max-train': { type: 'number', integer: true, min: 2, describe: `training images per proxy training (default ${SEARCH_DEFAULTS.proxyMaxTrain})` },
  'final-epochs': { type: 'number', integer: true, min: 1, describe: `epochs of the final trainings of base, uniform scaling and winner (default ${SEARCH_DEFAULTS.finalEpochs})` },
  'budget-macs': { type: 'number', integer: true, min: 1, describe: 'MACs budget per example' },
  'budget-ratio': { type: 'number', above: 0, describe: 'budget as a fraction of the base MACs (default 1.0)' },
  'max-params': { type: 'number', integer: true, min: 1, describe: 'cap on parameters' },
  widths: { type: 'string', describe: 'start widths (default: the base widths)' },
  seed: { type: 'number', integer: true, describe: 'study seed; each trial seed derives from it (default 0)' },
  'batch-size': { type: 'number', integer: true, min: 1, describe: `batch size (default ${SEARCH_DEFAULTS.batchSize})` },
  lr: { type: 'number', above: 0, describe: 'base learning rate (default 0.05, SGD with momentum, cosine)' },
  'record-every': { type: 'number', integer: true, min: 0, unit: 'steps', describe: `record weight norms every k steps as well as every epoch (default ${SEARCH_DEFAULTS.recordEvery})` },
  norm: { type: 'string', choices: NORM_KIND_NAMES, describe: `norm kind of the width signal (default ${DEFAULT_SIGNAL.norm}, the measured best; see probe --help)` },
  score: { type: 'string', choices: SCORE_NAMES, describe: `score of the width signal (default ${DEFAULT_SIGNAL.score})` },
  'trial-timeout': { type: 'number', above: 0, unit: 'seconds', describe: 'seconds before a proxy trial is stopped and reported failed' },
  backend: { type: 'string', choices: BACKEND_CHOICES, describe: 'tfjs backend (default auto)' },
  'compare-wide-sparse': { type: 'boolean', describe: 'also train the wide & sparse network (base widths x --wide-sparse-scale) with the winner\'s nonzero kernel weights' },
  'wide-sparse-scale': { type: 'number', above: 0, describe: 'width scale of that network (default 2)' },
  evaluator: { type: 'string', choices: ['train', 'oneshot'], describe: 'who answers the proxy trials: train (one proxy training each, default) or oneshot (one slimmable supernet trained once with the sandwich rule, every trial read from it in about a second; final trainings still train; results/experiments/oneshot.md)' },
  'supernet-epochs': { type: 'number', integer: true, min: 1, describe: 'oneshot: epochs of the supernet training (default 1)' },
  'supernet-max-train': { type: 'number', integer: true, min: 2, describe: 'oneshot: training images of the supernet training (default 6000)' },
  table: { type: 'string', describe: 'answer every trial from this table of trained networks (Channel-Bench-Macro\'s Results_ResNet.json with --space cbm-resnet) instead of training: no tfjs, no weights, nothing exported' },
  holdout: { type: 'number', integer: true, min: 0, describe: 'with --table: the recorded training (0-based) that no proxy, repeat or final reads; every network\'s test accuracy is that run alone, a number the search never saw (without it the test figure is the mean of all runs, which the search partly read)' },
} as const satisfies OptionTable;

/** Every option name (camelCase), with or without a default: the keys a caller may set. */
export const SEARCH_OPTION_KEYS = Object.keys(SEARCH_OPTION_TABLE).map(camelCase) as (keyof SearchOptions)[];

/** Throws `UsageError` naming the flag (`--proxy-epochs`) when a number option is NaN, infinite or out of range. */
export function checkSearchOptions(o: SearchOptions): void {
  checkNumbers(SEARCH_OPTION_TABLE, o as unknown as Record<string, unknown>);
}

/** A search's study config: the study's own fields plus the options it came from and the journal's format. */
export type SearchStudyConfig = StudyConfig & { options: SearchOptions; journalVersion?: number; table?: TableIdentity };

/** The table a study answers from: where it is and its content's SHA-256 (a resume refuses another). */
export interface TableIdentity {
  path: string;
  sha256: string;
  /** Networks in the table. */
  networks: number;
  /** The recorded training held out from the search (`--holdout`), when one is. */
  holdout?: number;
}

/**
 * The study that `o` defines: loads the space (or takes the one a journal holds: a resumed run
 * needs no space file, which may have moved or changed since), fixes the budget (throws `BudgetError` when no width
 * vector fits) and projects the start widths onto it.
 */
export function studyConfigFor(o: SearchOptions, journaled?: SearchSpace): StudyConfig {
  const space = journaled ?? loadSpace(o.space);
  const base = baseWidths(space);
  // Checks an image folder before any work, as every command does.
  const data = dataSpecFromOptions(o, { space, seed: o.seed, maxTrain: o.proxyMaxTrain, validationFraction: 0.1 });
  const budgetMacs = o.budgetMacs ?? Math.floor(spaceCost(space, base).macs * o.budgetRatio);
  const budget = { macs: budgetMacs, ...(o.maxParams !== undefined ? { params: o.maxParams } : {}) };
  checkBudget(space, budget);
  const start = projectToBudget(space, o.widths ? parseWidths(space, o.widths) : base, budget);
  return {
    space, sampler: o.sampler, trials: o.trials, budget, seed: o.seed, start, roundSize: o.workers,
    // Explicit either way: the model sampler's own default is off too, but a journal says what it ran with.
    ...(o.sampler === 'model' ? { samplerOptions: { prior: o.prior === 'off' ? 0 : 1 } } : {}),
    data,
    proxyRecipe: defaultRecipe({ epochs: o.proxyEpochs, batchSize: o.batchSize, seed: o.seed, ...(o.lr !== undefined ? { lr: o.lr } : {}) }),
    recordEvery: o.recordEvery, normKind: o.norm ?? DEFAULT_SIGNAL.norm, score: o.score ?? DEFAULT_SIGNAL.score, backend: o.backend, trialTimeoutSeconds: o.trialTimeout,
  };
}
