/**
 * The checkpoint format: what `checkpoint.json` holds and how its self-checksum is computed. The
 * writer (`checkpoint-write.ts`) and the reader (`checkpoint-read.ts`) share it.
 */
import type { RngState } from '../core/rng.js';
import { dataFingerprintSchema, dataSpecSchema } from '../core/dataset.js';
import { openTrainRecipeSchema } from '../core/recipe.js';
import type { SearchSpace } from '../space/types.js';
import type { EpochReport } from '../train/trainer.js';
import { sha256Hex } from '../storage/files.js';
import type { TensorEntry } from './tensor-file.js';
import { z } from 'zod';

export const CHECKPOINT_FORMAT = 'widthwise-checkpoint/2';
export const META_FILE = 'checkpoint.json';

/** The binary files a checkpoint may have; `weights` always, the others when they apply. */
export type CheckpointFileKind = 'weights' | 'optimizer' | 'masks' | 'best' | 'batch-order';
export const FILE_KINDS: CheckpointFileKind[] = ['weights', 'optimizer', 'masks', 'best', 'batch-order'];
/** Names of the binary files of some checkpoint generation. */
export const DATA_FILE = /^(weights|optimizer|masks|best|batch-order)\.\d+\.bin$/;

const count = z.number().int().nonnegative();
const positive = z.number().int().positive();
/** A number that JSON may hold as null: NaN (an empty validation part's accuracy) is written so. */
const maybeNaN = z.number().nullable().transform((v) => v ?? NaN);

const tensorEntrySchema: z.ZodType<TensorEntry> = z.object({ name: z.string().min(1), dtype: z.enum(['float32', 'int32']), shape: z.array(count), offset: count });

const fileSchema = z.object({
  /** File name inside the checkpoint folder. */
  path: z.string().regex(DATA_FILE, 'expected a file name like weights.3.bin'),
  bytes: count,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 hex digits'),
  tensors: z.array(tensorEntrySchema),
});
/** How `checkpoint.json` lists one binary file. */
export type CheckpointFile = z.infer<typeof fileSchema>;

const rngStateSchema: z.ZodType<RngState> = z.object({ i: count, j: count, S: z.array(z.number().int().min(0).max(255)).length(256) });

// Settings this reader does not know yet are kept, not dropped: a resume must train with all of them.
const recipeSchema = openTrainRecipeSchema;
const dataSchema = dataSpecSchema.passthrough();

const epochReportSchema: z.ZodType<EpochReport, z.ZodTypeDef, unknown> = z.object({
  epoch: positive, trainLoss: z.number(), trainAccuracy: z.number(), lr: z.number(), seconds: z.number(), validationAccuracy: maybeNaN.optional(),
});

const progressSchema = z.object({
  epochsDone: count,
  /** Steps done inside epoch `epochsDone + 1`; 0 at an epoch boundary. */
  stepInEpoch: count,
  globalStep: count,
  stepsPerEpoch: count,
  /** True for the checkpoint written when the training ended (its weights are the kept ones). */
  complete: z.boolean(),
});
/** Where a training stands in a checkpoint. */
export type CheckpointProgress = z.infer<typeof progressSchema>;

/** The schema of `checkpoint.json`: the one check of its shape, whose type is `CheckpointMeta`. */
export const checkpointMetaSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  createdAt: z.string(),
  /** Counts the checkpoints written to this folder; names its binary files. */
  generation: count,
  /** The space itself (checked by the space validator), so the checkpoint never depends on a file elsewhere. */
  space: z.custom<SearchSpace>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected a space object'),
  widths: z.array(positive).min(1),
  classes: positive,
  /** Element type of every weight. */
  dtype: z.literal('float32'),
  recipe: recipeSchema.optional(),
  /** Seeds the initial weights (the recipe's seed orders the batches, the data's splits the data). */
  seed: z.number().int().optional(),
  /** Every setting that decides the data: dataset, folder, --max-train, validation fraction, seed. */
  data: dataSchema.optional(),
  /** Dataset name (the same as `data.name` when that is present). */
  dataset: z.string().optional(),
  trainExamples: count.optional(),
  validationExamples: count.optional(),
  /** sha256 of the training and validation examples (normalised pixels and labels): the data itself. */
  dataSha256: dataFingerprintSchema.optional(),
  /** Wide & sparse: the nonzero kernel weights the masks keep. */
  sparse: z.object({ nonzeroWeights: positive }).optional(),
  backend: z.string().optional(),
  /** Epochs completed (the same as `progress.epochsDone` when that is present). */
  epochsDone: count.optional(),
  progress: progressSchema.optional(),
  /** The rng streams and the sums of the epoch in progress (resumable checkpoints). */
  trainer: z.object({
    batchRng: rngStateSchema,
    augmentRng: rngStateSchema.optional(),
    partialEpoch: z.object({ lossSum: z.number(), correct: count, seen: count }),
    optimizerStep: count,
  }).optional(),
  history: z.array(epochReportSchema).optional(),
  /** Keep-best: the best epoch so far and its validation accuracy (its weights: file `best`). */
  best: z.object({ epoch: positive, validationAccuracy: maybeNaN }).optional(),
  metrics: z.record(maybeNaN).optional(),
  /**
   * Set for a slimmable supernet (train/supernet-run.ts): `widths` are its widest, and it trains
   * with the sandwich rule; a plain training must not resume it.
   */
  supernet: z.object({ minWidths: z.array(positive).min(1), randomPerStep: count, distill: z.boolean() }).optional(),
  files: z.object({ weights: fileSchema, optimizer: fileSchema.optional(), masks: fileSchema.optional(), best: fileSchema.optional(), 'batch-order': fileSchema.optional() }).strict(),
  /** sha256 of this JSON written without this field (two-space indented). */
  sha256: z.string(),
});

/** The contents of `checkpoint.json`. */
export type CheckpointMeta = z.infer<typeof checkpointMetaSchema>;

/** What a caller says about a checkpoint; the rest of `CheckpointMeta` is filled in on writing. */
export type CheckpointInfo = Omit<CheckpointMeta, 'format' | 'createdAt' | 'generation' | 'dtype' | 'files' | 'sha256' | 'progress' | 'trainer' | 'history' | 'best'>;


/** sha256 of `checkpoint.json`'s contents without its `sha256` field, as written (two-space indent). */
export function metaHash(meta: object): string {
  return sha256Hex(JSON.stringify(meta, null, 2));
}
