/**
 * Plain data types shared across modules. Nothing here holds a tensor: every value can cross a
 * worker boundary by structured clone and land in a JSON file.
 */

/** One width per width group, in the order of the space's `groups`. */
export type WidthVector = number[];

/** Height, width, channels (NHWC without the batch axis). A flat input is [1, 1, n]. */
export type ImageShape = [number, number, number];

/** Examples of one split, normalised, in NHWC order, labels as class indices. */
export interface DataSplit {
  /** `count * h * w * c` floats, example-major, NHWC. */
  x: Float32Array;
  /** `count` class indices in [0, classes). */
  y: Int32Array;
  count: number;
}

/** A dataset ready for training: three splits of the same shape and class count. */
export interface Dataset {
  /** Registry name, e.g. `mnist`, `fashion-mnist`, `cifar10`. */
  name: string;
  /** Where it came from (a directory, a package), for reports. */
  source: string;
  inputShape: ImageShape;
  classes: number;
  /** Training part (the training split minus the validation part). */
  train: DataSplit;
  /** Held-out part of the training split, used by the search; never the test split. */
  validation: DataSplit;
  test: DataSplit;
}

/** What a caller asks of the data module. */
export interface DataSpec {
  name: string;
  /** Directory for file-based datasets; each dataset has its own default. */
  dataDir?: string;
  /** Fraction of the training split held out for validation (default 0.1). */
  validationFraction?: number;
  /** Seed for shuffling and the validation split. */
  seed?: number;
  /** Cap on training examples (after the validation split), for quick runs. */
  maxTrain?: number;
  /** Cap on test examples. */
  maxTest?: number;
  /** For `synthetic`: input shape and class count and sizes. */
  synthetic?: { inputShape: ImageShape; classes: number; trainCount: number; testCount: number };
}

/** Training recipes are plain data so they can travel with a trial task. */
export type OptimizerName = 'sgd' | 'adam';

export interface OptimizerSpec {
  name: OptimizerName;
  /** SGD momentum (default 0.9). */
  momentum?: number;
  /** Adam betas (default 0.9, 0.999) and epsilon (1e-8). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /**
   * L2 weight decay added to the gradient of kernels (conv and dense weights) only, as
   * `g + decay * w`; biases and BN scale/offset are not decayed.
   */
  weightDecay?: number;
}

export type ScheduleName = 'constant' | 'step' | 'cosine';

export interface ScheduleSpec {
  name: ScheduleName;
  /** For `step`: multiply by `gamma` at each of these fractions of training (default 0.5, 0.75). */
  milestones?: number[];
  /** For `step`: the factor at each milestone (default 0.1). */
  gamma?: number;
}

export interface TrainRecipe {
  epochs: number;
  batchSize: number;
  /** Base learning rate. */
  lr: number;
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  /** Seeds the batch order; the model's seed fixes the initial weights. */
  seed: number;
  /** Linear learning-rate warm-up over this many epochs (default 0). */
  warmupEpochs?: number;
  /** Evaluate on the validation part every epoch and end with the best epoch's weights. */
  keepBest?: boolean;
  /** Label smoothing of the cross-entropy targets (default 0, off). */
  labelSmoothing?: number;
  /** Training augmentation: random crop after padding by `pad` pixels, optional horizontal flip. */
  augment?: { pad: number; flip: boolean };
}


/** How a trial reads width telemetry; see `src/variance`. */
export type NormKindName = 'outgoing' | 'paired';

/** One proxy training, as plain data: what an evaluator needs and nothing live. */
export interface TrialTask {
  /** Unique within a study. */
  trialId: number;
  /** The validated space itself (plain data), so workers need not read files. */
  space: import('../space/types.js').SearchSpace;
  widths: WidthVector;
  /** Seeds weights; derived from (study seed, trial number). */
  seed: number;
  data: DataSpec;
  recipe: TrainRecipe;
  /** Also record telemetry every k steps (0 or absent: per epoch only). */
  recordEvery?: number;
  /** `auto` or a backend name, as for the CLI's --backend. */
  backend?: string;
  /** Wall-clock limit in seconds; the trial fails with a reason when it is passed. */
  timeoutSeconds?: number;
  /** Wide & sparse: keep exactly this many nonzero kernel weights (static random mask). */
  sparseNonzero?: number;
  /** Save the trained model as a checkpoint in this folder (final trainings). */
  saveTo?: string;
}

/** A point of a layer's weight-norm telemetry. */
export interface TrajectoryPointData {
  epoch: number;
  step: number;
  variance: number;
  mean: number;
  min: number;
  max: number;
}

/** Per-layer telemetry of one trial: both norm kinds where defined. */
export interface LayerTelemetry {
  layer: string;
  group: string | null;
  width: number;
  /** Outgoing-weight norm statistics per record. */
  outgoing: TrajectoryPointData[];
  /** Paired norm statistics per record; absent where the next consumer is not unique. */
  paired?: TrajectoryPointData[];
}

/**
 * The per-channel ingredients of every norm kind for one width group at one record: enough to
 * compute any norm kind afterwards (see `src/variance/norm-kinds.ts`). Channel c of a group is
 * channel c of each of its layers (a residual stream shares its channels).
 */
export interface GroupChannelSnapshot {
  epoch: number;
  step: number;
  /** Root-sum-square over the group's layers of each output channel's kernel L2 norm. */
  outgoing: number[];
  /** L2 norm of the weights that read each channel, over every distinct reader; null without readers. */
  reader: number[] | null;
  /** |BN scale| per channel (root-sum-square over the group's BN layers); null without BN. */
  gamma: number[] | null;
  /** L2 norm of each output channel's kernel change since initialisation (root-sum-square over layers). */
  displacement: number[];
}

/** Per-group channel telemetry of one trial, in record order. */
export interface GroupTelemetry {
  group: string;
  width: number;
  /** The group's weighted layers. */
  layers: string[];
  points: GroupChannelSnapshot[];
}

export interface TrialMetrics {
  validationAccuracy: number;
  testAccuracy: number;
  trainLoss: number;
  params: number;
  macs: number;
  /** Nonzero conv/dense kernel weights at the end of training. */
  nonzeroWeights?: number;
}

/** What an evaluator returns for a task; `failed` carries the reason, never a throw. */
export interface TrialResult {
  trialId: number;
  status: 'ok' | 'failed';
  reason?: string;
  widths: WidthVector;
  metrics?: TrialMetrics;
  telemetry?: LayerTelemetry[];
  /** Per-group channel ingredients of every norm kind, at the same records as `telemetry`. */
  groupTelemetry?: GroupTelemetry[];
  /** Per-epoch training loss and accuracy. */
  history?: { epoch: number; trainLoss: number; trainAccuracy: number; seconds: number }[];
  backend?: string;
  seconds: number;
}

/** Progress from a running trial. */
export interface TrialEvent {
  trialId: number;
  kind: 'started' | 'epoch';
  epoch?: number;
  epochs?: number;
  loss?: number;
}

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
  groupLabels?: Record<string, string>;
  /** How much each group needs width under the study's signal (higher = more); null where undefined. */
  groupScores?: Record<string, number | null>;
  note?: string;
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
  /** Proxy telemetry of the winning trial and of the start trial. */
  winnerTelemetry?: LayerTelemetry[];
  startTelemetry?: LayerTelemetry[];
  winnerGroupTelemetry?: GroupTelemetry[];
  startGroupTelemetry?: GroupTelemetry[];
  /** The width signal the study read (norm kind and score names). */
  signal?: { norm: string; score: string };
  history: TrialSummary[];
  finished: boolean;
  /** ONNX file of the winner, when exported, with its parity check in ONNX Runtime. */
  onnx?: { path: string; bytes: number; examples: number; maxAbsDiff: number; argmaxAgreement: number };
}
