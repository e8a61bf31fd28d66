/** The dataset registry: names to loaders. Nothing is fetched at run time. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../core/errors.js';
import type { DataSpec, DataSplit, Dataset } from '../core/dataset.js';
import { cifarFolder, CIFAR_FILES, readCifarFiles, type CifarKind } from './cifar.js';
import { readIdxPair } from './idx.js';
import { loadBundledMnist } from './mnist-bundled.js';
import { splitAndNormalise, type RawDataset } from './prepare.js';
import { makeSyntheticRaw } from './synthetic.js';

export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'mnist-idx', 'cifar10', 'cifar100', 'synthetic'];

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

function loadRaw(spec: DataSpec): RawDataset {
  switch (spec.name) {
    case 'mnist': {
      const m = loadBundledMnist();
      return { name: 'mnist', source: m.source, inputShape: [28, 28, 1], classes: 10, train: m.train, test: m.test };
    }
    case 'fashion-mnist':
      return loadIdxDataset('fashion-mnist', spec.dataDir ?? FASHION_MNIST_DIR);
    case 'mnist-idx':
      if (!spec.dataDir) throw new DataError('mnist-idx: needs --data-dir, the folder with your four MNIST-format IDX files');
      return loadIdxDataset('mnist-idx', spec.dataDir);
    case 'cifar10':
    case 'cifar100':
      return loadCifar(spec.name, spec.dataDir);
    case 'synthetic': {
      const s = spec.synthetic ?? { inputShape: [28, 28, 1], classes: 10, trainCount: 2000, testCount: 500 };
      return { name: 'synthetic', source: 'generated', inputShape: s.inputShape, classes: s.classes, ...makeSyntheticRaw(s, spec.seed ?? 0) };
    }
    default:
      throw new DataError(`unknown dataset "${spec.name}"; expected one of ${DATASET_NAMES.join(', ')}`);
  }
}

/** Loads, splits (seeded) and normalises a dataset. */
export async function loadDataset(spec: DataSpec): Promise<Dataset> {
  return splitAndNormalise(loadRaw(spec), spec);
}
