// `--dataset folder` end to end, on class folders of PNG and JPEG files this test writes with sharp:
// a short search exports an ONNX model checked in ONNX Runtime, and a queued search refuses a
// worker whose --data-dir holds other images (the data fingerprint), but takes one with a copy.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { queueNameFor } from '../../src/runtime/queue-connection.js';
import { LiveChild } from '../helpers/child-process.js';
import { RedisServer, redisSkipReason } from '../helpers/redis-server.js';

const BIN = new URL('../../bin/widthwise.js', import.meta.url).pathname;
const tmp = () => mkdtempSync(join(tmpdir(), 'ww-imgsearch-'));
const COLOURS: Record<string, [number, number, number]> = { blue: [20, 40, 200], green: [30, 180, 40], red: [210, 30, 30] };

/** 40 noisy 12x12 images a class (every fourth a JPEG) in class folders under `dir`. */
async function writeFolder(dir: string): Promise<void> {
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 41) - 20;
  for (const [name, [r, g, b]] of Object.entries(COLOURS)) {
    mkdirSync(join(dir, name), { recursive: true });
    for (let i = 0; i < 40; i++) {
      const px = Buffer.alloc(12 * 12 * 3);
      for (let p = 0; p < 144; p++) [r, g, b].forEach((v, ch) => { px[p * 3 + ch] = Math.max(0, Math.min(255, v + noise())); });
      const img = sharp(px, { raw: { width: 12, height: 12, channels: 3 } });
      const jpeg = i % 4 === 3;
      writeFileSync(join(dir, name, `${i}.${jpeg ? 'jpg' : 'png'}`), await (jpeg ? img.jpeg() : img.png()).toBuffer());
    }
  }
}

/** A small MLP on 8x8 RGB inputs: the 12x12 images are resized to it. */
function writeSpace(dir: string): string {
  const file = join(dir, 'mlp-rgb8.json');
  writeFileSync(file, JSON.stringify({
    name: 'mlp-rgb8', description: 'an MLP on 8x8 RGB images', input: [8, 8, 3], classes: 3, dataset: 'folder',
    groups: [{ name: 'fc1', base: 16, min: 4, max: 32, step: 4 }],
    layers: [{ type: 'flatten' }, { type: 'dense', name: 'fc1', group: 'fc1', activation: 'relu' }, { type: 'dense', name: 'out' }],
  }));
  return file;
}

const TINY = ['--sampler', 'random', '--trials', '2', '--workers', '1', '--proxy-epochs', '1', '--proxy-max-train', '60', '--final-epochs', '1', '--batch-size', '16', '--backend', 'wasm'];

test('a search on an image folder: the split is stated and the winner is exported to ONNX', async () => {
  const root = tmp();
  const data = join(root, 'images');
  await writeFolder(data);
  const space = writeSpace(root);
  const out = join(root, 'run');
  const r = spawnSync(process.execPath, [BIN, 'search', '--space', space, '--dataset', 'folder', '--data-dir', data, ...TINY, '--out', out, '--json'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  // 40 a class, 20% (8) of each held out as test: 96 train, 24 test; all 120 decoded the first time.
  assert.match(r.stderr, /3 classes \(blue, green, red\); one folder, 20% of each class held out as test by a fixed seed: 96 train, 24 test; 120 decoded, 0 from the cache/);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.trials, 2);
  const onnx = join(out, `${summary.recommended?.which ?? 'winner'}.onnx`);
  assert.ok(existsSync(onnx) || existsSync(join(out, 'winner.onnx')), 'an ONNX model was written');
  // The exported model takes 3x8x8 (NCHW) inputs and gives 3 classes, as ONNX Runtime runs it.
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(readFileSync(existsSync(onnx) ? onnx : join(out, 'winner.onnx')));
  const input = new ort.Tensor('float32', new Float32Array(2 * 3 * 8 * 8), [2, 3, 8, 8]);
  const output = (await session.run({ [session.inputNames[0]]: input }))[session.outputNames[0]];
  assert.deepEqual(output.dims, [2, 3]);

  // `widthwise export` on the run's winner checks parity on the folder's test images, read from the cache.
  const e = spawnSync(process.execPath, [BIN, 'export', join(out, 'winner'), '--out', join(root, 'again.onnx'), '--examples', '24'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(e.status, 0, e.stderr);
  assert.ok(existsSync(join(root, 'again.onnx')));
  assert.match(e.stdout + e.stderr, /24/);
});

test('train on an image folder with --bad-images skip: the bad file is counted and named, the rest trains', async () => {
  const root = tmp();
  const data = join(root, 'images');
  await writeFolder(data);
  writeFileSync(join(data, 'green', 'notes.txt'), 'not an image');
  const space = writeSpace(root);
  const base = [BIN, 'train', space, '--dataset', 'folder', '--data-dir', data, '--epochs', '1', '--batch-size', '16', '--backend', 'wasm', '--json'];
  const failed = spawnSync(process.execPath, base, { encoding: 'utf8', timeout: 120_000 });
  assert.equal(failed.status, 1);
  assert.match(failed.stderr, /DataError: .*green\/notes\.txt: not an image file/);
  const r = spawnSync(process.execPath, [...base, '--bad-images', 'skip'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /skipped 1 bad item\(s\) \(green\/notes\.txt: not an image file/);
  // 120 images, 8 a class held out as test: 96; a tenth of those (10) is validation: 86 train.
  assert.equal(JSON.parse(r.stdout).trainExamples, 86);
});

const skip = redisSkipReason();
const servers: RedisServer[] = [];
const children: LiveChild[] = [];
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const s of servers) await s.stop();
});

test('a queued search refuses a worker whose --data-dir holds other images, and takes one holding a copy', { skip }, async () => {
  const server = await RedisServer.start();
  servers.push(server);
  const root = tmp();
  const data = join(root, 'images');
  await writeFolder(data);
  const space = writeSpace(root);
  // The same files elsewhere, and a folder with one image changed.
  const copy = join(root, 'copy');
  cpSync(data, copy, { recursive: true, filter: (src) => !src.includes('.widthwise-cache') });
  const other = join(root, 'other');
  cpSync(data, other, { recursive: true, filter: (src) => !src.includes('.widthwise-cache') });
  writeFileSync(join(other, 'red', '0.png'), await sharp({ create: { width: 12, height: 12, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png().toBuffer());

  // Children, not spawnSync: the workers' output is read while the search runs.
  const search = async (out: string) => {
    const child = new LiveChild(['search', '--space', space, '--dataset', 'folder', '--data-dir', data, ...TINY, '--queue', server.url, '--out', out]);
    children.push(child);
    return { status: (await child.exited).status, stderr: child.stderr };
  };
  const serve = (out: string, dir: string) => {
    const w = new LiveChild(['worker', '--queue', server.url, '--study', queueNameFor(out), '--data-dir', dir]);
    children.push(w);
    return w;
  };

  const refusedRun = join(root, 'refused');
  const stranger = serve(refusedRun, other);
  const refused = await search(refusedRun);
  stranger.kill('SIGKILL');
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /every proxy trial failed.*data mismatch: this worker's folder examples .* have fingerprint [0-9a-f]{12}, the controller's have [0-9a-f]{12}; give this worker a --data-dir with the same files/s);

  const acceptedRun = join(root, 'accepted');
  const twin = serve(acceptedRun, copy);
  const accepted = await search(acceptedRun);
  twin.kill('SIGKILL');
  await twin.exited;
  assert.equal(accepted.status, 0, accepted.stderr);
  assert.match(twin.stderr, /trial \d+ finished/);
});
