/** The dataset registry: names to readers (`DATASETS`). Nothing is fetched at run time. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../core/errors.js';
import type { DataSpec, DataSplit, Dataset } from '../core/dataset.js';
import { cifarFolder, CIFAR_FILES, readCifarFiles, type CifarKind } from './cifar.js';
import { readIdxPair } from './idx.js';
import { checkImageFolderDir, describeImageFolder, readImageFolder, type DecodeProgress } from './image-folder.js';
import { loadBundledMnist } from './mnist-bundled.js';
import { splitAndNormalise, type RawDataset } from './prepare.js';
import { makeSyntheticRaw } from './synthetic.js';

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

function bytesToSplit(pixels: Uint8Array, labels: Uint8Array): DataSplit {
  const x = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) x[i] = pixels[i] / 255;
  return { x, y: Int32Array.from(labels), count: labels.length };
}

/** `name` in `dir`, gzipped or not. */
function idxFile(dir: string, name: string): string {
  for (const candidate of [`${name}.gz`, name]) if (existsSync(join(dir, candidate))) return join(dir, candidate);
  throw new DataError(`${dir}: no ${name} or ${name}.gz (expected the four MNIST-format IDX files: train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte)`);
}

function loadIdxDataset(name: string, dir: string): RawDataset {
  if (!existsSync(dir)) {
    const hint = name === 'fashion-mnist' ? ' (install Debian\'s dataset-fashion-mnist package or pass --data-dir)' : ' (pass --data-dir)';
    throw new DataError(`${dir}: folder not found${hint}`);
  }
  const train = readIdxPair(idxFile(dir, 'train-images-idx3-ubyte'), idxFile(dir, 'train-labels-idx1-ubyte'), 10);
  const test = readIdxPair(idxFile(dir, 't10k-images-idx3-ubyte'), idxFile(dir, 't10k-labels-idx1-ubyte'), 10);
  const { rows, cols } = train.images;
  if (test.images.rows !== rows || test.images.cols !== cols) throw new DataError(`${dir}: train images are ${rows}x${cols} but test images are ${test.images.rows}x${test.images.cols}`);
  return {
    name, source: dir, inputShape: [rows, cols, 1], classes: 10,
    train: bytesToSplit(train.images.pixels, train.labels), test: bytesToSplit(test.images.pixels, test.labels),
  };
}

function loadCifar(kind: CifarKind, dir: string | undefined): RawDataset {
  if (!dir) throw new DataError(`${kind}: needs --data-dir, the folder with the binary batches (${CIFAR_FILES[kind].folder}); nothing is downloaded`);
  const folder = cifarFolder(kind, dir);
  const spec = CIFAR_FILES[kind];
  const train = readCifarFiles(kind, spec.train.map((f) => join(folder, f)));
  const test = readCifarFiles(kind, spec.test.map((f) => join(folder, f)));
  return { name: kind, source: folder, inputShape: [32, 32, 3], classes: spec.classes, train: bytesToSplit(train.pixels, train.labels), test: bytesToSplit(test.pixels, test.labels) };
}

/** What a load tells its caller as it goes (the data module itself prints nothing). */
export interface LoadHooks {
  /** Image decoding progress (`folder` only). */
  onProgress?: (p: DecodeProgress) => void;
  /** One line about what was read, e.g. a folder's classes, split and cache use. */
  onNote?: (line: string) => void;
}

/**
 * One dataset kind: how its raw splits are read, and what it asks of a command besides
 * `--data-dir`. A new kind is its reader and one line of `DATASETS`; nothing else tests its name.
 */
export interface DatasetKind {
  /** Reads the raw splits (`spec.dataDir` or the kind's own default place); throws `DataError`. */
  read(spec: DataSpec, hooks: LoadHooks): RawDataset | Promise<RawDataset>;
  /**
   * Images of any size, resized to the space's input shape: a spec carries that shape as
   * `imageShape` and a bad-data policy (`badImages`), and the data folder is checked (with this)
   * before any work starts.
   */
  resizedToSpace?: { checkDataDir(dataDir: string | undefined): void };
  /**
   * Slow to read (images are decoded): a command loads it once, up front, with its progress shown,
   * so bad data fails before any training and the threads that train read the decode cache.
   */
  loadUpFront?: boolean;
  /** What `--augment auto` trains with (crop after padding by `pad` pixels, flip); absent: none. */
  augmentByDefault?: { pad: number; flip: boolean };
}

async function loadImageFolder(spec: DataSpec, hooks: LoadHooks): Promise<RawDataset> {
  if (!spec.dataDir) throw new DataError('folder: needs --data-dir, the folder with one subfolder of images per class (or train/ and test/ holding them)');
  if (!spec.imageShape) throw new DataError(`folder: no image shape given for ${spec.dataDir} (the space's input shape is the size images are resized to)`);
  const read = await readImageFolder(spec.dataDir, { shape: spec.imageShape, badImages: spec.badImages, onProgress: hooks.onProgress });
  hooks.onNote?.(describeImageFolder(read));
  return read.raw;
}

/** Every dataset widthwise reads, by its `--dataset` name. */
export const DATASETS: Readonly<Record<string, DatasetKind>> = {
  mnist: {
    read: () => {
      const m = loadBundledMnist();
      return { name: 'mnist', source: m.source, inputShape: [28, 28, 1], classes: 10, train: m.train, test: m.test };
    },
  },
  'fashion-mnist': { read: (spec) => loadIdxDataset('fashion-mnist', spec.dataDir ?? FASHION_MNIST_DIR) },
  'mnist-idx': {
    read: (spec) => {
      if (!spec.dataDir) throw new DataError('mnist-idx: needs --data-dir, the folder with your four MNIST-format IDX files');
      return loadIdxDataset('mnist-idx', spec.dataDir);
    },
  },
  cifar10: { read: (spec) => loadCifar('cifar10', spec.dataDir), augmentByDefault: { pad: 4, flip: true } },
  cifar100: { read: (spec) => loadCifar('cifar100', spec.dataDir), augmentByDefault: { pad: 4, flip: true } },
  folder: { read: loadImageFolder, resizedToSpace: { checkDataDir: checkImageFolderDir }, loadUpFront: true },
  synthetic: {
    read: (spec) => {
      const s = spec.synthetic ?? { inputShape: [28, 28, 1], classes: 10, trainCount: 2000, testCount: 500 };
      return { name: 'synthetic', source: 'generated', inputShape: s.inputShape, classes: s.classes, ...makeSyntheticRaw(s, spec.seed ?? 0) };
    },
  },
};

export const DATASET_NAMES: string[] = Object.keys(DATASETS);

/** The kind named `name`; throws `DataError` listing the known ones. */
export function datasetKind(name: string): DatasetKind {
  if (!Object.hasOwn(DATASETS, name)) throw new DataError(`unknown dataset "${name}"; expected one of ${DATASET_NAMES.join(', ')}`);
  return DATASETS[name];
}

/** Loads, splits (seeded) and normalises a dataset. */
export async function loadDataset(spec: DataSpec, hooks: LoadHooks = {}): Promise<Dataset> {
  const raw = await datasetKind(spec.name).read(spec, hooks);
  return splitAndNormalise(raw, spec);
}
