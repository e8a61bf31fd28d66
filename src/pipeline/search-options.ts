/**
 * The options of a search and the study they define. Options are plain data: they are stored whole
 * in the journal's `study-created` event, and a resumed run starts from them.
 */
import { availableParallelism } from 'node:os';
import { UsageError } from '../core/errors.js';
import { defaultRecipe } from '../core/recipe.js';
import { spaceCost } from '../cost/cost.js';
import { checkBudget, projectToBudget } from '../search/budget.js';
import type { SamplerName } from '../search/samplers.js';
import type { StudyConfig } from '../search/study.js';
import { baseWidths, loadSpace, parseWidths } from '../space/index.js';
import { DEFAULT_SIGNAL, type NormKind, type ScoreName } from '../variance/index.js';

/** The options of a search, as stored in its journal; a resumed run starts from them. */
export interface SearchOptions {
  /** A space file or a shipped space name. */
  space: string;
  /** Dataset name; default: the space's. */
  dataset?: string;
  dataDir?: string;
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
}

/** The defaults of every option that has one. */
export const SEARCH_DEFAULTS: SearchOptions = {
  // The proxy's length serves its accuracy first (the search's objective); the signal's label band
  // is the one fitted at the nearest proxy length, and the record cadence is the one it was measured at.
  space: 'cnn-mnist', sampler: 'streamline', trials: 12, workers: availableParallelism(), proxyEpochs: 3, proxyMaxTrain: 3000,
  finalEpochs: 5, budgetRatio: 1, seed: 0, batchSize: 64, recordEvery: 6, backend: 'auto',
};

/** Every option name, with or without a default (the keys a caller may set). */
export const SEARCH_OPTION_KEYS = Object.keys(SEARCH_DEFAULTS).concat([
  'dataset', 'dataDir', 'budgetMacs', 'maxParams', 'widths', 'lr', 'trialTimeout', 'compareWideSparse', 'wideSparseScale', 'norm', 'score',
]) as (keyof SearchOptions)[];

/** The options that must be positive integers. */
const POSITIVE_INTEGERS = ['trials', 'workers', 'proxyEpochs', 'finalEpochs', 'proxyMaxTrain'] as const;

/** Throws `UsageError` naming the flag (`--proxy-epochs`) when a count is not a positive integer. */
export function checkSearchOptions(o: SearchOptions): void {
  for (const key of POSITIVE_INTEGERS) {
    if (!(Number.isInteger(o[key]) && o[key] >= 1)) throw new UsageError(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: expected a positive integer, found ${o[key]}`);
  }
}

/** A search's study config: the study's own fields plus the options it came from and the journal's format. */
export type SearchStudyConfig = StudyConfig & { options: SearchOptions; journalVersion?: number };

/**
 * The study that `o` defines: loads the space, fixes the budget (throws `BudgetError` when no width
 * vector fits) and projects the start widths onto it.
 */
export function studyConfigFor(o: SearchOptions): StudyConfig {
  const space = loadSpace(o.space);
  const base = baseWidths(space);
  const budgetMacs = o.budgetMacs ?? Math.floor(spaceCost(space, base).macs * o.budgetRatio);
  const budget = { macs: budgetMacs, ...(o.maxParams !== undefined ? { params: o.maxParams } : {}) };
  checkBudget(space, budget);
  const start = projectToBudget(space, o.widths ? parseWidths(space, o.widths) : base, budget);
  return {
    space, sampler: o.sampler, trials: o.trials, budget, seed: o.seed, start, roundSize: o.workers,
    data: { name: o.dataset ?? space.dataset, dataDir: o.dataDir, seed: o.seed, maxTrain: o.proxyMaxTrain, validationFraction: 0.1 },
    proxyRecipe: defaultRecipe({ epochs: o.proxyEpochs, batchSize: o.batchSize, seed: o.seed, ...(o.lr !== undefined ? { lr: o.lr } : {}) }),
    recordEvery: o.recordEvery, normKind: o.norm ?? DEFAULT_SIGNAL.norm, score: o.score ?? DEFAULT_SIGNAL.score, backend: o.backend, trialTimeoutSeconds: o.trialTimeout,
  };
}
