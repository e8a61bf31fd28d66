/**
 * The data options every command that trains shares (`train`, `probe`, `baseline`, `search`),
 * declared once, and the one way from their parsed values to the `DataSpec` a training reads.
 */
import type { DataSpec } from '../core/dataset.js';
import type { OptionTable, OptionValues } from '../core/option-table.js';
import type { ImageShape } from '../core/shapes.js';
import { DATASET_NAMES, datasetKind } from './registry.js';

/** `--dataset`, `--data-dir`, `--bad-images`: which examples a training reads. */
export const DATA_OPTIONS = {
  dataset: { type: 'string', choices: DATASET_NAMES, describe: "dataset (default: the space's)" },
  'data-dir': { type: 'string', describe: 'folder of the dataset files (fashion-mnist, mnist-idx, cifar10, cifar100; folder: one subfolder of images per class, or train/ and test/ holding them)' },
  'bad-images': { type: 'string', choices: ['fail', 'skip'], describe: 'folder dataset: stop at an unreadable, non-image, odd-sized or grayscale-in-RGB file or an empty class (fail, default), or leave it out and count it (skip)' },
} as const satisfies OptionTable;

/** The parsed data options (camelCase), as a command or a journal's search options hold them. */
export type DataOptionValues = Partial<OptionValues<typeof DATA_OPTIONS>>;

/** What decides a `DataSpec` besides the data options. */
export interface DataSpecContext {
  /** The space's dataset (taken when `--dataset` is absent) and input (what images are resized to). */
  space: { dataset: string; input: ImageShape };
  /** Seeds the validation split; absent when each training sets its own. */
  seed?: number;
  /** Cap on training examples. */
  maxTrain?: number;
  validationFraction?: number;
}

/**
 * The data a command's trainings read. A dataset whose images are resized to the space's input
 * gets that shape and the bad-data policy when one is given, and its folder is checked now (`UsageError`), before
 * any work. Absent settings are left out, not written as `undefined`.
 */
export function dataSpecFromOptions(o: DataOptionValues, ctx: DataSpecContext): DataSpec {
  const name = o.dataset ?? ctx.space.dataset;
  const kind = datasetKind(name);
  kind.resizedToSpace?.checkDataDir(o.dataDir);
  const spec: DataSpec = { name };
  if (o.dataDir !== undefined) spec.dataDir = o.dataDir;
  if (ctx.seed !== undefined) spec.seed = ctx.seed;
  if (ctx.maxTrain !== undefined) spec.maxTrain = ctx.maxTrain;
  if (ctx.validationFraction !== undefined) spec.validationFraction = ctx.validationFraction;
  if (kind.resizedToSpace) {
    spec.imageShape = [...ctx.space.input];
    if (o.badImages !== undefined) spec.badImages = o.badImages;
  }
  return spec;
}
