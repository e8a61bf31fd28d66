/**
 * What a search run reports, rebuilt from its journal alone (`pipeline/summary-from-journal`), so
 * `widthwise report` and the end of `widthwise search` say the same thing. The report module
 * renders exactly these types; the pipeline builds them.
 */
import type { WidthVector } from '../core/shapes.js';
import type { GroupTelemetry, LayerTelemetry } from '../trial/result.js';

/** One model of a search summary: its widths and what the final training measured. */
export interface ModelSummary {
  widths: WidthVector;
  params: number;
  macs: number;
  validationAccuracy: number;
  testAccuracy: number;
  trainLoss: number;
  seconds: number;
  /** Nonzero conv/dense kernel weights (fewer than the kernels' size for a sparse network). */
  nonzeroWeights?: number;
}

/** A trial as a search report lists it. */
export interface TrialSummary {
  trialId: number;
  round: number;
  widths: WidthVector;
  status: 'ok' | 'failed' | 'running';
  reason?: string;
  validationAccuracy?: number;
  params?: number;
  macs?: number;
  /**
   * Each group's shape label (IS / DS / undetermined against the measured seed noise, see
   * `variance/shape-label.ts`), as people read it; the search itself keeps its score band labels.
   */
  groupLabels?: Record<string, string>;
  /** Why each group got its label ("rose 290%, ends 1% below its peak ...: IS"). */
  groupReasons?: Record<string, string>;
  /** How much each group needs width under the study's signal (higher = more); null where undefined. */
  groupScores?: Record<string, number | null>;
  note?: string;
}

/** The winner's ONNX file and its parity check in ONNX Runtime against tfjs. */
export interface OnnxSummary {
  path: string;
  bytes: number;
  examples: number;
  maxAbsDiff: number;
  argmaxAgreement: number;
}

/** The network a search recommends, and why (decided by pipeline/recommendation.ts). */
export interface Recommendation {
  /** The final model recommended (its checkpoint is the one exported). */
  which: 'winner' | 'uniform';
  widths: number[];
  reason: string;
}

/** Everything a search run reports, rebuilt from its journal alone. */
export interface SearchSummary {
  runDir: string;
  space: string;
  dataset: string;
  backend?: string;
  sampler: string;
  groups: string[];
  budgetMacs: number;
  maxParams?: number;
  /** Finished proxy trials (ok or failed). */
  trials: number;
  failedTrials: number;
  base?: ModelSummary;
  winner?: ModelSummary & { trialId: number };
  /** With --compare-wide-sparse: the wide & sparse network with the winner's nonzero weights. */
  wideSparse?: ModelSummary;
  /** Final trainings (by model name) or the export (`export`) that failed and have not succeeded since. */
  failures?: { what: string; reason: string }[];
  /** The start scaled uniformly onto the budget (largest grid multiplier that fits), trained like the winner. */
  uniform?: ModelSummary;
  /** The network to use: the winner, unless uniform scaling validated better in the final trainings (pipeline/recommendation.ts). */
  recommended?: Recommendation;
  /**
   * What the model sampler learned from the proxy trials: each group's mean gain in validation
   * accuracy (a fraction) per grid step wider, with its posterior sd, best first.
   */
  modelGains?: { group: string; gainPerStep: number; sd: number }[];
  /** Proxy telemetry of the winning trial and of the start trial. */
  winnerTelemetry?: LayerTelemetry[];
  startTelemetry?: LayerTelemetry[];
  winnerGroupTelemetry?: GroupTelemetry[];
  startGroupTelemetry?: GroupTelemetry[];
  /** The width signal the study read (norm kind and score names, proxy length). */
  signal?: { norm: string; score: string; proxyEpochs: number };
  history: TrialSummary[];
  finished: boolean;
  /** ONNX file of the recommended network, when exported, with its parity check in ONNX Runtime. */
  onnx?: OnnxSummary;
  /**
   * Set when every trial was answered from a table of trained networks (`search --table`): its
   * file, content hash and size, and the recorded training held out from the search (`--holdout`),
   * whose accuracy alone is then every test figure. Nothing was trained here, so no weights exist
   * and nothing is exported.
   */
  table?: { path: string; sha256: string; networks: number; holdout?: number };
  /**
   * How much room the start left: the accuracy model's estimate of the winner over the start scaled
   * onto the budget, with its uncertainty and a sentence for the user (`search/room.ts` makes it).
   */
  room?: { from: number[]; to: number[]; gainPoints: number; sdPoints: number; verdict: 'keep' | 'reshape' | 'unclear'; text: string };
}
