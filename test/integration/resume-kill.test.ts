// A training killed with SIGKILL and resumed from its checkpoint must end exactly where the
// uninterrupted training ends: the same final weights (sha256 of the bytes) and the same metrics.
// The kills are real: a preloaded module SIGKILLs the child process at the Nth checkpoint commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runWidthwiseAsync as widthwise } from '../fixtures/widthwise-child.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tmp = () => mkdtempSync(join(tmpdir(), 'ww-kill-'));


/** sha256 of the final weights file, found by its name pattern (not through checkpoint.json). */
function finalWeightsSha(dir: string): string {
  const files = readdirSync(dir).filter((f) => /^weights\.\d+\.bin$/.test(f));
  assert.equal(files.length, 1, `${dir}: one weights file after a finished training, found ${files.join(', ')}`);
  return createHash('sha256').update(readFileSync(join(dir, files[0]))).digest('hex');
}

/** The result without wall-clock times. */
function metrics(stdout: string): unknown {
  return JSON.parse(stdout, (key, value) => (key === 'seconds' ? undefined : value));
}

// 320 examples at batch 64: 5 steps per epoch, 15 steps in all.
const COMMON = ['--epochs', '3', '--max-train', '320', '--batch-size', '64', '--json'];
const CASES: { name: string; args: string[]; kills: { kill: string; every?: number; position: [number, number] }[] }[] = [
  {
    name: 'SGD with momentum',
    args: ['mlp-mnist', '--widths', '16,8', '--optimizer', 'sgd'],
    kills: [
      { kill: 'after:1', position: [1, 0] }, // at the end of epoch 1
      // Killed while writing its 5th checkpoint (files written, checkpoint.json not yet renamed):
      // the 4th, 1 step into epoch 2, must be whole and is resumed.
      { kill: 'before:5', every: 2, position: [1, 1] },
    ],
  },
  {
    name: 'Adam with crop augmentation',
    args: ['mlp-mnist', '--widths', '16,8', '--optimizer', 'adam', '--augment', 'crop'],
    kills: [
      { kill: 'after:2', position: [2, 0] },
      { kill: 'after:3', every: 4, position: [1, 3] },
    ],
  },
  {
    name: 'a wide & sparse network',
    args: ['mlp-mnist', '--widths', '32,16', '--nonzero-weights', '12000'],
    kills: [
      { kill: 'after:1', position: [1, 0] },
      { kill: 'after:2', every: 2, position: [0, 4] },
    ],
  },
];

/** Trains uninterrupted, then kills and resumes each way; checks every resumed run against the first. */
async function killAndResume(c: (typeof CASES)[number]): Promise<void> {
  const reference = tmp();
  const uninterrupted = await widthwise(['train', ...c.args, ...COMMON, '--save', reference]);
  assert.equal(uninterrupted.status, 0, uninterrupted.stderr);
  const expectedSha = finalWeightsSha(reference);
  const expected = metrics(uninterrupted.stdout) as { nonzeroWeights: number };
  if (c.args.includes('--nonzero-weights')) assert.equal(expected.nonzeroWeights, 12000);
  await Promise.all(c.kills.map(async (k) => {
    const dir = tmp();
    const killed = await widthwise(['train', ...c.args, ...COMMON, '--save', dir, ...(k.every ? ['--checkpoint-every', String(k.every)] : [])], k.kill);
    assert.equal(killed.signal, 'SIGKILL', `${k.kill}: ${killed.stderr}`);
    const saved = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    assert.deepEqual([saved.progress.epochsDone, saved.progress.stepInEpoch], k.position, `${k.kill}: the checkpoint resumed from`);
    const resumed = await widthwise(['train', '--resume', dir, '--json']);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`resuming .*: ${k.position[0]} of 3 epochs done${k.position[1] ? `, ${k.position[1]} of 5 steps` : '\n'}`));
    assert.equal(finalWeightsSha(dir), expectedSha, `${c.name} ${k.kill}: final weights differ from the uninterrupted run's`);
    assert.deepEqual(metrics(resumed.stdout), expected, `${c.name} ${k.kill}: metrics`);
    assert.ok(!existsSync(join(dir, '.widthwise.lock')), 'the lock is released');
  }));
}

// The cases run side by side: each child is mostly the start-up of a Node process.
test('killed with SIGKILL at an epoch boundary and mid-epoch, then resumed, a training ends bit-identical to the uninterrupted run', { concurrency: true }, async (t) => {
  await Promise.all(CASES.map((c) => t.test(c.name, () => killAndResume(c))));
});
