/**
 * Decode speed of image folders: writes N RGB images of `--size` pixels square (default 32) (3 classes; PNG, every fourth a JPEG)
 * into a temporary class folder, then reads it with `readImageFolder` at the CIFAR shape
 * [32, 32, 3]: cold (no cache: every image decoded by sharp), cached (the decode cache read back),
 * and as `loadDataset` does (cached read + float conversion + split + normalisation), with the
 * process's resident memory after each. With `--pure-js DIR` (a folder where `npm install
 * --prefix DIR pngjs jpeg-js` was run) it also times decoding the same files with those pure-JS
 * decoders, side by side in the same run (decode only: they cannot resize, sharp's time includes
 * its resize).
 *
 *   nice -n 10 node --import tsx scripts/bench-image-decode.ts [--images 3000] [--size 32] [--pure-js /tmp/purejs] [--keep DIR]
 *
 * The RSS figures hold the cold, cached and loaded results at once; measure one load's memory in a
 * fresh process on a `--keep` folder (results/experiments/image-decode.md shows how).
 *
 * Prints one JSON object; results/experiments/image-decode.md quotes a run.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadDataset, readImageFolder } from '../src/data/index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const images = Number(arg('images') ?? 3000);
/** Side of the square images written (they are resized to 32x32). */
const side = Number(arg('size') ?? 32);
const pureJsDir = arg('pure-js');
/** Write the images here and keep them (with their cache), e.g. to measure a load's memory in a fresh process. */
const keep = arg('keep');
const shape: [number, number, number] = [32, 32, 3];
const mb = () => Math.round(process.memoryUsage().rss / 2 ** 20);

async function writeImages(dir: string): Promise<void> {
  for (let k = 0; k < 3; k++) {
    mkdirSync(join(dir, `class${k}`), { recursive: true });
    for (let i = 0; i < images / 3; i++) {
      const px = Buffer.alloc(side * side * 3);
      for (let p = 0; p < px.length; p++) px[p] = (p * (i + 3) + k * 70) % 256;
      const img = sharp(px, { raw: { width: side, height: side, channels: 3 } });
      const jpeg = i % 4 === 3;
      writeFileSync(join(dir, `class${k}`, `${i}.${jpeg ? 'jpg' : 'png'}`), await (jpeg ? img.jpeg() : img.png()).toBuffer());
    }
  }
}

async function timed<T>(run: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t = performance.now();
  const value = await run();
  return { seconds: (performance.now() - t) / 1000, value };
}

const dir = keep ?? mkdtempSync(join(tmpdir(), 'ww-bench-decode-'));
try {
  await writeImages(dir);
  const rssStart = mb();
  const cold = await timed(() => readImageFolder(dir, { shape }));
  const rssCold = mb();
  const cached = await timed(() => readImageFolder(dir, { shape }));
  const loaded = await timed(() => loadDataset({ name: 'folder', dataDir: dir, imageShape: shape }));
  const rssLoaded = mb();
  const n = cold.value.decoded;
  const rows: Record<string, unknown> = {
    images: n,
    side,
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
    coldImagesPerSecond: Math.round(n / cold.seconds),
    cachedImagesPerSecond: Math.round(n / cached.seconds),
    cachedFromCache: cached.value.fromCache,
    loadDatasetCachedImagesPerSecond: Math.round(n / loaded.seconds),
    rssMb: { start: rssStart, afterCold: rssCold, afterLoadDataset: rssLoaded },
    datasetFloatMb: Math.round(((loaded.value.train.x.length + loaded.value.validation.x.length + loaded.value.test.x.length) * 4) / 2 ** 20),
  };
  if (pureJsDir) {
    const require = createRequire(join(pureJsDir, 'node_modules', 'x.js'));
    const { PNG } = require('pngjs') as { PNG: { sync: { read(b: Buffer): { width: number; data: Buffer } } } };
    const jpegJs = require('jpeg-js') as { decode(b: Buffer, o: object): { width: number; data: Uint8Array } };
    const files = readdirSync(dir).filter((d) => d.startsWith('class')).flatMap((c) => readdirSync(join(dir, c)).map((f) => join(dir, c, f)));
    const pure = await timed(async () => {
      let pixels = 0;
      for (const f of files) {
        const b = readFileSync(f);
        pixels += (f.endsWith('.png') ? PNG.sync.read(b).data : jpegJs.decode(b, { useTArray: true }).data).length;
      }
      return pixels;
    });
    const sharpOnly = await timed(async () => {
      let pixels = 0;
      for (const f of files) pixels += (await sharp(f).raw().toBuffer()).length;
      return pixels;
    });
    rows.pureJsDecodeImagesPerSecond = Math.round(files.length / pure.seconds);
    rows.sharpDecodeOnlySerialImagesPerSecond = Math.round(files.length / sharpOnly.seconds);
  }
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
