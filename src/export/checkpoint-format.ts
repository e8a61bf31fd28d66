/**
 * The checkpoint format: what `checkpoint.json` holds and how its self-checksum is computed. The
 * writer (`checkpoint-write.ts`) and the reader (`checkpoint-read.ts`) share it.
 */
import type { RngState } from '../core/rng.js';
import type { DataSpec, TrainRecipe, WidthVector } from '../core/types.js';
import type { SearchSpace } from '../space/types.js';
import type { EpochReport } from '../train/trainer.js';
import { sha256Hex } from '../storage/files.js';
import type { TensorEntry } from './tensor-file.js';

export const CHECKPOINT_FORMAT = 'widthwise-checkpoint/2';
export const META_FILE = 'checkpoint.json';

/** The binary files a checkpoint may have; `weights` always, the others when they apply. */
export type CheckpointFileKind = 'weights' | 'optimizer' | 'masks' | 'best' | 'batch-order';
export const FILE_KINDS: CheckpointFileKind[] = ['weights', 'optimizer', 'masks', 'best', 'batch-order'];
/** Names of the binary files of some checkpoint generation. */
export const DATA_FILE = /^(weights|optimizer|masks|best|batch-order)\.\d+\.bin$/;

/** How `checkpoint.json` lists one binary file. */
export interface CheckpointFile {
  /** File name inside the checkpoint folder. */
  path: string;
  bytes: number;
  sha256: string;
  tensors: TensorEntry[];
}

/** Where a training stands in a checkpoint that can be resumed. */
export interface CheckpointProgress {
  epochsDone: number;
  /** Steps done inside epoch `epochsDone + 1`; 0 at an epoch boundary. */
  stepInEpoch: number;
  globalStep: number;
  stepsPerEpoch: number;
  /** True for the checkpoint written when the training ended (its weights are the kept ones). */
  complete: boolean;
}

/** The contents of `checkpoint.json`. */
export interface CheckpointMeta {
  format: string;
  createdAt: string;
  /** Counts the checkpoints written to this folder; names its binary files. */
  generation: number;
  /** The validated space itself, so the checkpoint never depends on a file elsewhere. */
  space: SearchSpace;
  widths: WidthVector;
  classes: number;
  /** Element type of every weight. */
  dtype: 'float32';
  recipe?: TrainRecipe;
  /** Seeds the initial weights (the recipe's seed orders the batches, the data's splits the data). */
  seed?: number;
  /** Every setting that decides the data: dataset, folder, --max-train, validation fraction, seed. */
  data?: DataSpec;
  /** Dataset name (the same as `data.name` when that is present). */
  dataset?: string;
  trainExamples?: number;
  validationExamples?: number;
  /** Wide & sparse: the nonzero kernel weights the masks keep. */
  sparse?: { nonzeroWeights: number };
  backend?: string;
  /** Epochs completed (the same as `progress.epochsDone` when that is present). */
  epochsDone?: number;
  progress?: CheckpointProgress;
  /** The rng streams and the sums of the epoch in progress (resumable checkpoints). */
  trainer?: { batchRng: RngState; augmentRng?: RngState; partialEpoch: { lossSum: number; correct: number; seen: number }; optimizerStep: number };
  history?: EpochReport[];
  /** Keep-best: the best epoch so far and its validation accuracy (its weights: file `best`). */
  best?: { epoch: number; validationAccuracy: number };
  metrics?: Record<string, number>;
  files: Partial<Record<CheckpointFileKind, CheckpointFile>>;
  /** sha256 of this JSON written without this field (two-space indented). */
  sha256: string;
}

/** What a caller says about a checkpoint; the rest of `CheckpointMeta` is filled in on writing. */
export type CheckpointInfo = Omit<CheckpointMeta, 'format' | 'createdAt' | 'generation' | 'dtype' | 'files' | 'sha256' | 'progress' | 'trainer' | 'history' | 'best'>;


/** sha256 of `checkpoint.json`'s contents without its `sha256` field, as written (two-space indent). */
export function metaHash(meta: Omit<CheckpointMeta, 'sha256'>): string {
  return sha256Hex(JSON.stringify(meta, null, 2));
}
