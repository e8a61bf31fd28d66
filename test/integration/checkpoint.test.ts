// Bad checkpoints: every way a checkpoint folder can be damaged or disagree with itself is one
// CheckpointError on one line naming the file, and a failed resume or export writes nothing.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { runWidthwise as widthwise } from '../fixtures/widthwise-child.js';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { CheckpointError, loadCheckpoint } from '../../src/export/checkpoint.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ww-ckpt-'));


// A sparse SGD training killed 2 steps into its first epoch: weights, optimizer, batch order and masks.
let original: string;
before(async () => {
  await initBackend('wasm');
  original = tmp();
  const r = widthwise(['train', 'mlp-mnist', '--widths', '16,8', '--nonzero-weights', '6000', '--epochs', '2', '--max-train', '200', '--batch-size', '50', '--checkpoint-every', '2', '--save', original], 'after:1');
  assert.equal(r.signal, 'SIGKILL', r.stderr);
});

const json = (dir: string) => JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
const fileOf = (dir: string, kind: string) => join(dir, json(dir).files[kind].path);
const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Rewrites checkpoint.json with `edit` applied and a fresh self-checksum (the documented rule). */
function rewriteMeta(dir: string, edit: (meta: any) => void): void {
  const { sha256: _old, ...meta } = json(dir);
  edit(meta);
  writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify({ ...meta, sha256: sha256(JSON.stringify(meta, null, 2)) }, null, 2));
}

/** Replaces a binary file's bytes and records their true size and sha256, so only the contents are wrong. */
function replaceFile(dir: string, kind: string, bytes: Buffer): void {
  writeFileSync(fileOf(dir, kind), bytes);
  rewriteMeta(dir, (m) => Object.assign(m.files[kind], { bytes: bytes.length, sha256: sha256(bytes) }));
}

function floatsOf(path: string): Buffer {
  return readFileSync(path);
}

const CASES: [string, (dir: string) => void, RegExp][] = [
  ['widths that do not fit the weights', (d) => rewriteMeta(d, (m) => { m.widths = [24, 8]; }), /weights\.\d+\.bin: the weights do not match space mlp-mnist at widths 24,8/],
  // 14x14 inputs: 196*16+16 + 16*8+8 + 8*10+10 = 3,378 trainable values; the file holds 784*16+16 + 136 + 90 = 12,786.
  ['a space that does not fit the weights', (d) => rewriteMeta(d, (m) => { m.space.input = [14, 14, 1]; }), /weights\.\d+\.bin: the weights do not match space mlp-mnist at widths 16,8 with 10 classes: 12786 trainable values, expected 3378/],
  ['a recipe whose optimizer is not the saved state\'s', (d) => rewriteMeta(d, (m) => { m.recipe.optimizer = { name: 'adam', weightDecay: 0 }; }), /optimizer\.\d+\.bin: holds no second moments, but the recipe's optimizer is adam/],
  ['a recipe whose batch size is not the saved position\'s', (d) => rewriteMeta(d, (m) => { m.recipe.batchSize = 20; }), /batch size 20 gives 10 steps per epoch over 200 examples, the saved position has 4/],
  ['a dtype other than float32', (d) => rewriteMeta(d, (m) => { m.dtype = 'float16'; }), /checkpoint\.json: dtype "float16", expected float32/],
  ['a tensor listed as float64', (d) => rewriteMeta(d, (m) => { m.files.weights.tensors[0].dtype = 'float64'; }), /checkpoint\.json: \$\.files\.weights\.tensors\.0\.dtype: invalid enum value\. expected 'float32' \| 'int32', received 'float64'/],
  ['a missing file', (d) => rmSync(fileOf(d, 'optimizer')), /optimizer\.\d+\.bin: file not found \(checkpoint\.json lists it as the optimizer file\)/],
  ['a truncated file', (d) => truncateSync(fileOf(d, 'weights'), 1000), /weights\.\d+\.bin: 1000 bytes, expected \d+ \(truncated or replaced\)/],
  ['100 flipped bytes in the middle of the weights (same size)', (d) => {
    const bytes = readFileSync(fileOf(d, 'weights'));
    const mid = bytes.length >> 1;
    for (let i = mid; i < mid + 100; i++) bytes[i] ^= 0xff;
    writeFileSync(fileOf(d, 'weights'), bytes);
  }, /weights\.\d+\.bin: sha256 \w+… does not match checkpoint\.json's/],
  ['a flipped bit in the batch order', (d) => {
    const bytes = readFileSync(fileOf(d, 'batch-order'));
    bytes[17] ^= 0x01;
    writeFileSync(fileOf(d, 'batch-order'), bytes);
  }, /batch-order\.\d+\.bin: sha256/],
  ['checkpoint.json edited by hand', (d) => {
    const text = readFileSync(join(d, 'checkpoint.json'), 'utf8');
    writeFileSync(join(d, 'checkpoint.json'), text.replace('"epochsDone": 0', '"epochsDone": 1'));
  }, /checkpoint\.json: its contents do not match their sha256/],
  ['checkpoint.json truncated', (d) => truncateSync(join(d, 'checkpoint.json'), 300), /checkpoint\.json: not valid JSON/],
  ['checkpoint.json missing', (d) => rmSync(join(d, 'checkpoint.json')), /checkpoint\.json: file not found/],
  ['NaN weights', (d) => {
    const bytes = floatsOf(fileOf(d, 'weights'));
    bytes.writeFloatLE(NaN, 40);
    replaceFile(d, 'weights', bytes);
  }, /weights\.\d+\.bin: fc1\/kernel holds NaN or infinite values/],
  ['an infinite SGD momentum slot', (d) => {
    const bytes = floatsOf(fileOf(d, 'optimizer'));
    bytes.writeFloatLE(Infinity, 0);
    replaceFile(d, 'optimizer', bytes);
  }, /optimizer\.\d+\.bin: first:fc1\/kernel holds NaN or infinite values/],
  ['masks that keep another number of weights than recorded', (d) => rewriteMeta(d, (m) => { m.sparse.nonzeroWeights = 6001; }), /masks\.\d+\.bin: the masks keep 6000 kernel weights, checkpoint\.json records 6001/],
  ['a weight that its mask prunes', (d) => {
    const masks = readFileSync(fileOf(d, 'masks'));
    const weights = floatsOf(fileOf(d, 'weights'));
    // fc1/kernel comes first in both files; find a pruned position and give it a weight.
    let i = 0;
    while (masks.readFloatLE(4 * i) !== 0) i++;
    weights.writeFloatLE(0.5, 4 * i);
    replaceFile(d, 'weights', weights);
  }, /weight fc1\/kernel\[\d+\] is 0\.5 where its mask prunes it/],
  ['the previous format', (d) => rewriteMeta(d, (m) => { m.format = 'widthwise-checkpoint/1'; }), /format "widthwise-checkpoint\/1", expected widthwise-checkpoint\/2 \(written by an older widthwise/],
];

test('the undamaged checkpoint loads, with its state to resume and its masks', async () => {
  const loaded = await loadCheckpoint(original);
  assert.ok(loaded.snapshot, 'a training in progress');
  assert.equal(loaded.snapshot.trainer.stepInEpoch, 2);
  assert.equal(loaded.snapshot.trainExamples, 200);
  assert.equal(Object.values(loaded.masks).reduce((s, m) => s + (m.dataSync() as Float32Array).reduce((a, b) => a + b, 0), 0) + 16 * 8 + 8 * 10, 6000);
  loaded.model.dispose();
});

for (const [name, damage, pattern] of CASES) {
  test(`a checkpoint with ${name} is one CheckpointError naming the file`, async () => {
    const dir = tmp();
    cpSync(original, dir, { recursive: true });
    damage(dir);
    await assert.rejects(loadCheckpoint(dir), (e: Error) => {
      assert.ok(e instanceof CheckpointError, `${e.name}: ${e.message}`);
      assert.match(e.message, pattern);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  });
}

/** Name and sha256 of every checkpoint file in a folder (the lock, left by the killed run, is taken over and may go). */
const contents = (dir: string) => Object.fromEntries(readdirSync(dir).filter((f) => !f.startsWith('.widthwise.lock')).map((f) => [f, sha256(readFileSync(join(dir, f)))]));

test('train --resume and export of a damaged checkpoint: one line, exit 1, and the folder is left as it was', () => {
  const dir = tmp();
  cpSync(original, dir, { recursive: true });
  const bytes = readFileSync(fileOf(dir, 'weights'));
  bytes[bytes.length >> 1] ^= 0x10;
  writeFileSync(fileOf(dir, 'weights'), bytes);
  const before = contents(dir);
  for (const args of [['train', '--resume', dir], ['export', dir]]) {
    const r = widthwise(args);
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('backend:'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^CheckpointError: .*weights\.\d+\.bin: sha256/);
    assert.deepEqual(contents(dir), before, `${args[0]} changed the folder`);
  }
});

test('export of weights whose logits overflow fails its parity check and leaves no model.onnx', () => {
  const dir = tmp();
  cpSync(original, dir, { recursive: true });
  const weights = floatsOf(fileOf(dir, 'weights'));
  // Huge but finite weights: they load, and the logits overflow to infinity in both runtimes.
  for (let i = 0; i < 784 * 16; i++) if (weights.readFloatLE(4 * i) !== 0) weights.writeFloatLE(1e30, 4 * i);
  replaceFile(dir, 'weights', weights);
  const r = widthwise(['export', dir]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^ExportError: ONNX Runtime and tfjs disagree/m);
  assert.ok(!existsSync(join(dir, 'model.onnx')), 'no model.onnx after a failed parity check');
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('onnx')), []);
});

/** Every path to a value in a JSON document (arrays of numbers count as one value). */
function jsonPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object' || (Array.isArray(value) && value.every((v) => typeof v === 'number'))) return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => jsonPaths(v, [...prefix, k]))];
}

test('property: any field of checkpoint.json replaced by a value of the wrong kind (and re-hashed) is a CheckpointError, never a crash', async () => {
  const paths = jsonPaths((({ sha256: _s, ...m }) => m)(json(original))).filter((p) => p.length > 0 && p[0] !== 'createdAt');
  const wrong = fc.constantFrom<unknown>(null, -1, 0, 1.5, 'x', [], {}, true, [1, 2], 1e9);
  await fc.assert(fc.asyncProperty(fc.constantFrom(...paths), wrong, async (path, value) => {
    const dir = tmp();
    cpSync(original, dir, { recursive: true });
    rewriteMeta(dir, (m) => {
      let at = m;
      for (const key of path.slice(0, -1)) at = at[key];
      at[path[path.length - 1]] = value;
    });
    try {
      const loaded = await loadCheckpoint(dir);
      // Some replacements are harmless (a recorded metric, a validation accuracy): loading may succeed.
      loaded.model.dispose();
      tf.dispose(Object.values(loaded.masks));
    } catch (err) {
      assert.ok(err instanceof CheckpointError, `${path.join('.')} = ${JSON.stringify(value)}: ${(err as Error).stack}`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  }), { numRuns: Number(process.env.WIDTHWISE_PROPERTY_RUNS ?? 150) });
});
