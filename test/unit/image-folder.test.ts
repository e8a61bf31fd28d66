/**
 * Image folders on images this test writes itself with sharp: every image's colour encodes its
 * class (red) and its own number (green), so labels, splits and shapes are checked against what
 * was written, not against the reader's own output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DataError } from '../../src/core/errors.js';
import type { DataSplit } from '../../src/core/dataset.js';
import { imageCacheFile } from '../../src/data/image-cache.js';
import { loadDataset, readImageFolder } from '../../src/data/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ww-images-'));
const dataError = (re: RegExp) => (e: Error) => e instanceof DataError && re.test(e.message);
const CLASS_RED = [30, 110, 190];

/** A solid `size`x`size` RGB image: red codes the class, green the image's number (5 * n, so JPEG's few levels of error cannot mix two up), blue fixed. */
async function writeImage(file: string, red: number, green: number, format: 'png' | 'jpeg', size = 8): Promise<void> {
  const img = sharp({ create: { width: size, height: size, channels: 3, background: { r: red, g: green, b: 60 } } });
  writeFileSync(file, await (format === 'png' ? img.png() : img.jpeg({ quality: 95 })).toBuffer());
}

/** `perClass` images in each class folder under `root` (PNG, every third JPEG); names are `c<k>`. */
async function writeClasses(root: string, perClass: number, first = 0): Promise<void> {
  for (let k = 0; k < CLASS_RED.length; k++) {
    mkdirSync(join(root, `c${k}`), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const n = first + i;
      const jpeg = n % 3 === 2;
      await writeImage(join(root, `c${k}`, `img${String(n).padStart(3, '0')}.${jpeg ? 'jpg' : 'png'}`), CLASS_RED[k], 5 * n, jpeg ? 'jpeg' : 'png');
    }
  }
}

/** Per example of a raw split (pixels in [0, 1]): [red, green, blue] of its first pixel in 0..255. */
function firstPixels(split: DataSplit, size: number, c: number): number[][] {
  return Array.from({ length: split.count }, (_, i) => Array.from({ length: c }, (_, ch) => Math.round(split.x[i * size + ch] * 255)));
}

/** The class a red value codes (JPEG moves it by a few levels at most). */
const classOfRed = (r: number) => CLASS_RED.findIndex((red) => Math.abs(red - r) <= 6);

test('one folder: sorted class names are labels, 20% of each class is test by a fixed seed, images resized', async () => {
  const dir = tmp();
  await writeClasses(dir, 50);
  const shape: [number, number, number] = [4, 4, 3];
  const a = await readImageFolder(dir, { shape });
  assert.deepEqual(a.classNames, ['c0', 'c1', 'c2']);
  assert.equal(a.split, 'seeded');
  assert.equal(a.raw.train.count, 120);
  assert.equal(a.raw.test.count, 30);
  assert.deepEqual(a.raw.inputShape, [4, 4, 3]);
  assert.equal(a.raw.train.x.length, 120 * 4 * 4 * 3);
  for (const split of [a.raw.train, a.raw.test]) {
    const px = firstPixels(split, 48, 3);
    px.forEach(([r], i) => assert.equal(classOfRed(r), split.y[i], `example ${i}: red ${r} codes class ${classOfRed(r)}, label ${split.y[i]}`));
    // A solid image stays solid when resized: every pixel of an example equals its first (JPEG: within a few levels).
    for (let i = 0; i < split.count; i++) for (let p = 0; p < 16; p++) for (let ch = 0; ch < 3; ch++) assert.ok(Math.abs(split.x[i * 48 + p * 3 + ch] - split.x[i * 48 + ch]) <= 4 / 255);
  }
  const testPerClass = [0, 1, 2].map((k) => [...a.raw.test.y].filter((y) => y === k).length);
  assert.deepEqual(testPerClass, [10, 10, 10]);
  // Train and test hold different images: the green value numbers them within a class.
  const ids = (s: DataSplit) => firstPixels(s, 48, 3).map(([r, g]) => `${classOfRed(r)}:${Math.round(g / 5)}`);
  const trainIds = new Set(ids(a.raw.train));
  assert.equal(trainIds.size, 120);
  for (const id of ids(a.raw.test)) assert.ok(!trainIds.has(id), `${id} is in both splits`);
  // The split is fixed: a second read (from the cache) holds out the same images.
  rmSync(join(dir, '.widthwise-cache'), { recursive: true });
  const b = await readImageFolder(dir, { shape });
  assert.deepEqual(ids(b.raw.test).sort(), ids(a.raw.test).sort());
});

test('train/ and test/ folders are the split; a 1-channel space gets gray images', async () => {
  const dir = tmp();
  await writeClasses(join(dir, 'train'), 12);
  await writeClasses(join(dir, 'test'), 4, 40);
  // WebP reads as well: one more test image of class c1, named to sort last.
  writeFileSync(join(dir, 'test', 'c1', 'zz.webp'), await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: CLASS_RED[1], g: 0, b: 60 } } }).webp({ lossless: true }).toBuffer());
  const r = await readImageFolder(dir, { shape: [6, 6, 1] });
  assert.equal(r.split, 'folders');
  assert.equal(r.raw.train.count, 36);
  assert.equal(r.raw.test.count, 13);
  assert.equal(r.raw.train.x.length, 36 * 36);
  // The WebP image is the last of c1's test images and has the gray of c1's (red, 0, 60) train image.
  const lastOfC1 = [...r.raw.test.y].lastIndexOf(1);
  assert.ok(Math.abs(r.raw.test.x[lastOfC1 * 36] - r.raw.train.x[[...r.raw.train.y].indexOf(1) * 36]) <= 1 / 255);
  // Gray of a colour lies between its darkest and brightest channel and rises with red, the one
  // channel that differs: the first train image of each class is img000, (red, 0, 60).
  const grays = [0, 1, 2].map((k) => r.raw.train.x[[...r.raw.train.y].indexOf(k) * 36] * 255);
  assert.ok(grays[0] < grays[1] && grays[1] < grays[2], `grays ${grays}`);
  grays.forEach((g, k) => assert.ok(g >= 0 && g <= Math.max(60, CLASS_RED[k]), `gray ${g} of class ${k}`));
});

test('the cache: a second read decodes nothing, a changed file is decoded again', async () => {
  const dir = tmp();
  await writeClasses(dir, 20);
  const shape: [number, number, number] = [4, 4, 3];
  // Whole seconds: setting a file's time back later must give exactly the mtime the cache saw.
  const file = join(dir, 'c0', 'img000.png');
  utimesSync(file, 1_700_000_000, 1_700_000_000);
  const progress: number[] = [];
  const cold = await readImageFolder(dir, { shape, onProgress: (p) => progress.push(p.done) });
  assert.equal(cold.decoded, 60);
  assert.equal(progress.at(-1), 60);
  assert.ok(progress.length >= 2, 'progress is reported as decoding goes');
  assert.ok(statSync(imageCacheFile(dir, shape)).size > 60 * 48, 'the cache file holds every image');

  const warm = await readImageFolder(dir, { shape });
  assert.equal(warm.decoded, 0);
  assert.deepEqual(warm.raw.train.x, cold.raw.train.x);

  // The cache answers by (path, size, mtime): new pixels under the same size and mtime are not
  // seen (this proves the warm read came from the cache, not from decoding)...
  const original = readFileSync(file);
  await writeImage(file, CLASS_RED[0], 250, 'png');
  const replaced = readFileSync(file);
  assert.equal(replaced.length, original.length, 'the replacement PNG has the same byte size');
  utimesSync(file, 1_700_000_000, 1_700_000_000);
  const stale = await readImageFolder(dir, { shape });
  assert.equal(stale.decoded, 0);
  // ...and a new mtime is noticed: that one file is decoded again and its new pixels are read.
  utimesSync(file, 1_700_000_005, 1_700_000_005);
  const fresh = await readImageFolder(dir, { shape });
  assert.equal(fresh.decoded, 1);
  const greens = (r: typeof fresh) => [...firstPixels(r.raw.train, 48, 3), ...firstPixels(r.raw.test, 48, 3)].map(([, g]) => g);
  assert.ok(greens(fresh).includes(250));
  assert.ok(!greens(stale).includes(250));
  // Another target shape is another cache.
  assert.equal((await readImageFolder(dir, { shape: [2, 2, 3] })).decoded, 60);
});

test('through the registry: normalised splits with the class count of the folder', async () => {
  const dir = tmp();
  await writeClasses(dir, 20);
  const notes: string[] = [];
  const data = await loadDataset({ name: 'folder', dataDir: dir, imageShape: [4, 4, 3], seed: 1, validationFraction: 0.25 }, { onNote: (l) => notes.push(l) });
  assert.equal(data.classes, 3);
  assert.equal(data.train.count + data.validation.count, 48);
  assert.equal(data.validation.count, 12);
  assert.equal(data.test.count, 12);
  assert.match(notes[0], /3 classes \(c0, c1, c2\); one folder, 20% of each class held out as test by a fixed seed: 48 train, 12 test/);
  await assert.rejects(loadDataset({ name: 'folder', imageShape: [4, 4, 3] }), dataError(/needs --data-dir/));
});

test('bad data: each case names the file and fails, or is skipped and counted', async () => {
  const shape: [number, number, number] = [4, 4, 3];
  const cases: { name: string; make: (dir: string) => Promise<string>; message: RegExp }[] = [
    {
      name: 'truncated PNG',
      make: async (dir) => { const f = join(dir, 'c1', 'img003.png'); writeFileSync(f, readFileSync(f).subarray(0, 40)); return f; },
      message: /unreadable or truncated image/,
    },
    {
      name: 'truncated JPEG',
      make: async (dir) => { const f = join(dir, 'c1', 'img002.jpg'); const b = readFileSync(f); writeFileSync(f, b.subarray(0, Math.floor(b.length / 2))); return f; },
      message: /unreadable or truncated image/,
    },
    {
      name: 'not an image (by extension)',
      make: async (dir) => { const f = join(dir, 'c0', 'notes.txt'); writeFileSync(f, 'hello'); return f; },
      message: /not an image file/,
    },
    {
      name: 'not an image (by content)',
      make: async (dir) => { const f = join(dir, 'c0', 'fake.png'); writeFileSync(f, 'hello, not a PNG'); return f; },
      message: /unreadable or truncated image/,
    },
    {
      name: 'another size',
      make: async (dir) => { const f = join(dir, 'c2', 'big.png'); await writeImage(f, CLASS_RED[2], 7, 'png', 16); return f; },
      message: /is 16x16 but most images in .* are 8x8/,
    },
    {
      name: 'grayscale in an RGB space',
      make: async (dir) => {
        const f = join(dir, 'c2', 'gray.png');
        writeFileSync(f, await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 99, g: 99, b: 99 } } }).toColourspace('b-w').png().toBuffer());
        return f;
      },
      message: /a grayscale image \(1 channel\) in a space of 3-channel/,
    },
  ];
  for (const c of cases) {
    const dir = tmp();
    await writeClasses(dir, 10);
    const bad = await c.make(dir);
    const files = 30 + (/truncated/.test(c.name) ? 0 : 1);
    await assert.rejects(readImageFolder(dir, { shape }), (e: Error) => e instanceof DataError && e.message.startsWith(`${bad}: `) && c.message.test(e.message), c.name);
    const skipped = await readImageFolder(dir, { shape, badImages: 'skip' });
    assert.deepEqual(skipped.skipped.map((s) => s.path), [bad], c.name);
    assert.equal(skipped.raw.train.count + skipped.raw.test.count, files - 1, c.name);
  }
  // A grayscale image is fine in a 1-channel space.
  const grayDir = tmp();
  await writeClasses(grayDir, 10);
  await cases[5].make(grayDir);
  assert.equal((await readImageFolder(grayDir, { shape: [4, 4, 1] })).skipped.length, 0);

  // An empty class folder: named; skipping it leaves the other classes, labels closed up.
  const dir = tmp();
  await writeClasses(dir, 10);
  mkdirSync(join(dir, 'b-empty'));
  await assert.rejects(readImageFolder(dir, { shape }), dataError(/b-empty: class folder "b-empty" has no images/));
  const skipped = await readImageFolder(dir, { shape, badImages: 'skip' });
  assert.deepEqual(skipped.classNames, ['c0', 'c1', 'c2']);
  assert.equal(skipped.skipped.length, 1);
  assert.deepEqual([...new Set(skipped.raw.train.y)].sort(), [0, 1, 2]);
  // Layout errors.
  const half = tmp();
  await writeClasses(join(half, 'train'), 2);
  await assert.rejects(readImageFolder(half, { shape }), dataError(/has train\/ but no test\//));
  await assert.rejects(readImageFolder(join(half, 'nowhere'), { shape }), dataError(/not a readable folder/));
});
