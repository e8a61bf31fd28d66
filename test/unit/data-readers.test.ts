import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError } from '../../src/core/errors.js';
import { FASHION_MNIST_DIR, loadDataset, readIdxImages, readIdxLabels } from '../../src/data/index.js';

function idxImages(count: number, rows: number, cols: number, pixel: (i: number, r: number, c: number) => number): Buffer {
  const b = Buffer.alloc(16 + count * rows * cols);
  b.writeUInt32BE(0x803, 0); b.writeUInt32BE(count, 4); b.writeUInt32BE(rows, 8); b.writeUInt32BE(cols, 12);
  for (let i = 0; i < count; i++) for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) b[16 + i * rows * cols + r * cols + c] = pixel(i, r, c);
  return b;
}
function idxLabels(labels: number[]): Buffer {
  const b = Buffer.alloc(8 + labels.length);
  b.writeUInt32BE(0x801, 0); b.writeUInt32BE(labels.length, 4);
  labels.forEach((l, i) => (b[8 + i] = l));
  return b;
}
const tmp = () => mkdtempSync(join(tmpdir(), 'ww-data-'));
const dataError = (re: RegExp) => (e: Error) => e instanceof DataError && re.test(e.message);

test('IDX images and labels read back, gzipped or raw', () => {
  const dir = tmp();
  const img = idxImages(3, 4, 5, (i, r, c) => (i * 31 + r * 5 + c) % 256);
  writeFileSync(join(dir, 'a.idx'), img);
  writeFileSync(join(dir, 'a.idx.gz'), gzipSync(img));
  for (const f of ['a.idx', 'a.idx.gz']) {
    const r = readIdxImages(join(dir, f));
    assert.deepEqual([r.count, r.rows, r.cols], [3, 4, 5]);
    assert.equal(r.pixels[2 * 20 + 3 * 5 + 4], (2 * 31 + 15 + 4) % 256);
  }
  writeFileSync(join(dir, 'l.idx'), idxLabels([0, 9, 3]));
  assert.deepEqual([...readIdxLabels(join(dir, 'l.idx'), 10)], [0, 9, 3]);
});

test('IDX errors name the file and what is wrong', () => {
  const dir = tmp();
  const f = join(dir, 'x');
  assert.throws(() => readIdxImages(join(dir, 'missing')), dataError(/missing: file not found/));
  writeFileSync(f, idxLabels([1, 2]));
  assert.throws(() => readIdxImages(f), dataError(/x: wrong magic number 0x00000801, expected 0x00000803/));
  writeFileSync(f, idxImages(3, 2, 2, () => 1).subarray(0, 20));
  assert.throws(() => readIdxImages(f), dataError(/x: truncated: 20 bytes, expected 28 for 3 images of 2x2/));
  writeFileSync(f, idxLabels([1, 12]));
  assert.throws(() => readIdxLabels(f, 10), dataError(/label 12 at index 1 is out of range/));
  writeFileSync(f, gzipSync(idxLabels([1])).subarray(0, 10));
  assert.throws(() => readIdxLabels(f, 10), dataError(/corrupt gzip/));
});

test('mnist-idx from a folder: counts must agree, data is split and standardised', async () => {
  const dir = tmp();
  const labels = Array.from({ length: 50 }, (_, i) => i % 10);
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idxImages(50, 6, 6, (i, r, c) => (i + r * c) % 256)));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxLabels(labels));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxImages(10, 6, 6, () => 7));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxLabels(labels.slice(0, 10)));
  const d = await loadDataset({ name: 'mnist-idx', dataDir: dir, validationFraction: 0.2 });
  assert.deepEqual(d.inputShape, [6, 6, 1]);
  assert.deepEqual([d.train.count, d.validation.count, d.test.count], [40, 10, 10]);
  const mean = d.train.x.reduce((s, v) => s + v, 0) / d.train.x.length;
  assert.ok(Math.abs(mean) < 1e-5, `train mean ${mean}`);
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxLabels(labels.slice(0, 9)));
  await assert.rejects(loadDataset({ name: 'mnist-idx', dataDir: dir }), dataError(/9 labels, but .* has 10 images/));
  await assert.rejects(loadDataset({ name: 'mnist-idx' }), dataError(/needs --data-dir/));
  await assert.rejects(loadDataset({ name: 'imagenet' }), dataError(/unknown dataset "imagenet"; expected one of mnist/));
});

function cifarRecord(labelBytes: number[], pixel: (ch: number, p: number) => number): Buffer {
  const b = Buffer.alloc(labelBytes.length + 3072);
  labelBytes.forEach((l, i) => (b[i] = l));
  for (let ch = 0; ch < 3; ch++) for (let p = 0; p < 1024; p++) b[labelBytes.length + ch * 1024 + p] = pixel(ch, p);
  return b;
}

test('CIFAR-10 and CIFAR-100 binaries: channel-major records become NHWC; errors for missing, truncated, bad label', async () => {
  const root = tmp();
  const dir = join(root, 'cifar-10-batches-bin');
  mkdirSync(dir);
  // Pixel (row 1, col 2) = index 34: red 10, green 20, blue 30 in every record; elsewhere 0.
  const rec = (label: number) => cifarRecord([label], (ch, p) => (p === 34 ? 10 * (ch + 1) : 0));
  for (let i = 1; i <= 5; i++) writeFileSync(join(dir, `data_batch_${i}.bin`), Buffer.concat([rec(i), rec(9)]));
  writeFileSync(join(dir, 'test_batch.bin'), Buffer.concat([rec(3), rec(4)]));
  const d = await loadDataset({ name: 'cifar10', dataDir: root, validationFraction: 0 });
  assert.deepEqual([d.train.count, d.test.count, d.classes], [10, 2, 10]);
  assert.deepEqual([...d.test.y], [3, 4]);
  // After standardisation, the marked pixel is the only non-minimal value of each channel, in NHWC order.
  const at = (ch: number) => d.test.x[(1 * 32 + 2) * 3 + ch];
  const other = (ch: number) => d.test.x[(5 * 32 + 5) * 3 + ch];
  for (const ch of [0, 1, 2]) assert.ok(at(ch) > other(ch), `channel ${ch}`);

  writeFileSync(join(dir, 'test_batch.bin'), rec(3).subarray(0, 100));
  await assert.rejects(loadDataset({ name: 'cifar10', dataDir: root }), dataError(/test_batch\.bin: 100 bytes is not a whole number of 3073-byte/));
  writeFileSync(join(dir, 'test_batch.bin'), rec(11));
  await assert.rejects(loadDataset({ name: 'cifar10', dataDir: root }), dataError(/record 0 has label 11, expected 0\.\.9/));
  await assert.rejects(loadDataset({ name: 'cifar10', dataDir: tmp() }), dataError(/no cifar10 binary files found; looked for data_batch_1\.bin/));

  const dir100 = tmp();
  writeFileSync(join(dir100, 'train.bin'), Buffer.concat([cifarRecord([1, 42], () => 5), cifarRecord([2, 99], () => 6), cifarRecord([2, 7], () => 7)]));
  writeFileSync(join(dir100, 'test.bin'), cifarRecord([0, 55], () => 1));
  const c = await loadDataset({ name: 'cifar100', dataDir: dir100, validationFraction: 0 });
  assert.equal(c.classes, 100);
  assert.deepEqual([...c.test.y], [55]);
  assert.deepEqual([...c.train.y].sort((a, b) => a - b), [7, 42, 99]);
});

test('bundled digits: a fixed 8,000/2,000 split, a seeded disjoint validation part', async () => {
  const a = await loadDataset({ name: 'mnist', seed: 1 });
  const b = await loadDataset({ name: 'mnist', seed: 1 });
  assert.equal(a.train.count + a.validation.count, 8000);
  assert.equal(a.validation.count, 800);
  assert.equal(a.test.count, 2000);
  assert.deepEqual(a.test.y, b.test.y);
  assert.deepEqual(a.validation.y, b.validation.y);
  assert.ok(a.train.y.every((l) => l >= 0 && l < 10));
  // The test split does not depend on the run's seed.
  const c = await loadDataset({ name: 'mnist', seed: 2 });
  assert.deepEqual(a.test.y, c.test.y);
  // Validation examples are not training examples (compare a fingerprint of each image).
  const fp = (x: Float32Array, i: number) => Array.from(x.subarray(i * 784, i * 784 + 784)).join(',');
  const train = new Set(Array.from({ length: a.train.count }, (_, i) => fp(a.train.x, i)));
  const shared = Array.from({ length: a.validation.count }, (_, i) => fp(a.validation.x, i)).filter((f) => train.has(f)).length;
  assert.ok(shared < 5, `${shared} validation images also in training`);
});

test('Fashion-MNIST from Debian\'s package: 60,000 / 10,000', { skip: !existsSync(FASHION_MNIST_DIR) && `${FASHION_MNIST_DIR} absent` }, async () => {
  const d = await loadDataset({ name: 'fashion-mnist', validationFraction: 0.1 });
  assert.equal(d.train.count + d.validation.count, 60000);
  assert.equal(d.test.count, 10000);
  assert.deepEqual(d.inputShape, [28, 28, 1]);
});
