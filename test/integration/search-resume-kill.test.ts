// A search SIGKILLed during its final trainings, then resumed, ends with the final networks of an
// uninterrupted search: the same weights (sha256 of the bytes) and metrics. A training killed
// mid-way continues from its last checkpoint; one killed after its last checkpoint but before its
// result was journaled is not trained again. The kills are real: the preloaded kill-at-checkpoint
// module (inherited by the pool's worker threads) SIGKILLs the process at the Nth checkpoint commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWidthwiseAsync as widthwise } from '../fixtures/widthwise-child.js';

// Two proxy trials, then base (= uniform scaling, 256,128) and winner (168,424), 2 epochs each on
// one worker: checkpoint commits 1-2 are base's (epoch 1, finished), 3-4 the winner's.
const SEARCH = ['search', '--space', 'mlp-mnist', '--sampler', 'random', '--trials', '2', '--workers', '1', '--proxy-epochs', '1', '--proxy-max-train', '300', '--final-epochs', '2', '--seed', '3', '--backend', 'wasm'];

const checkpoint = (dir: string) => JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));

/** sha256 of each final network's weights file, found by name (not through checkpoint.json), by folder. */
function weightsByFolder(runDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const folder of ['base', 'winner', 'uniform', 'wide-sparse']) {
    let files: string[];
    try {
      files = readdirSync(join(runDir, folder)).filter((f) => /^weights\.\d+\.bin$/.test(f));
    } catch {
      continue;
    }
    assert.equal(files.length, 1, `${runDir}/${folder}: one weights file, found ${files.join(', ')}`);
    out[folder] = createHash('sha256').update(readFileSync(join(runDir, folder, files[0]))).digest('hex');
  }
  return out;
}

/** The summary's final models without wall-clock times. */
const finals = (stdout: string) => {
  const s = JSON.parse(stdout, (key, value) => (key === 'seconds' ? undefined : value));
  return { base: s.base, uniform: s.uniform, winner: s.winner };
};

const journalTypes = (runDir: string) => readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'final-trained').map((e) => e.which).sort();

test('a search killed during its final trainings resumes them from their checkpoints and ends as the uninterrupted search', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ww-search-kill-'));
  const [whole, killedAfterBase, killedInWinner] = await Promise.all([
    widthwise([...SEARCH, '--out', join(root, 'whole'), '--json']),
    widthwise([...SEARCH, '--out', join(root, 'after-base')], 'after:2'),
    widthwise([...SEARCH, '--out', join(root, 'in-winner')], 'after:3'),
  ]);
  assert.equal(whole.status, 0, whole.stderr);
  const expected = weightsByFolder(join(root, 'whole'));
  assert.deepEqual(Object.keys(expected).sort(), ['base', 'winner'], 'one folder per distinct network: uniform scaling is the base here');
  assert.notEqual(expected.base, expected.winner);

  assert.equal(killedAfterBase.signal, 'SIGKILL', killedAfterBase.stderr);
  assert.equal(killedInWinner.signal, 'SIGKILL', killedInWinner.stderr);
  const baseBefore = checkpoint(join(root, 'after-base', 'base'));
  assert.equal(baseBefore.progress.complete, true, 'killed right after base\'s last checkpoint');
  assert.deepEqual(journalTypes(join(root, 'after-base')), [], 'before its result was journaled');
  const winnerBefore = checkpoint(join(root, 'in-winner', 'winner'));
  assert.deepEqual([winnerBefore.progress.epochsDone, winnerBefore.progress.complete], [1, false], 'killed after the winner\'s first epoch');

  const [resumedAfterBase, resumedInWinner] = await Promise.all([
    widthwise(['search', '--resume', join(root, 'after-base'), '--json']),
    widthwise(['search', '--resume', join(root, 'in-winner'), '--json']),
  ]);
  assert.equal(resumedAfterBase.status, 0, resumedAfterBase.stderr);
  assert.equal(resumedInWinner.status, 0, resumedInWinner.stderr);

  // Not trained again: no epoch of base, and its checkpoint is the one written before the kill.
  assert.match(resumedAfterBase.stderr, /base: finished before, not trained again/);
  assert.doesNotMatch(resumedAfterBase.stderr, /base: epoch/);
  assert.equal(checkpoint(join(root, 'after-base', 'base')).generation, baseBefore.generation);
  // Continued: the winner's second epoch only; base, finished before the kill, is not trained.
  assert.match(resumedInWinner.stderr, /winner: resumed from its checkpoint after epoch 1\/2\n {2}winner: epoch 2\/2/);
  assert.doesNotMatch(resumedInWinner.stderr, /winner: epoch 1\/2|base: epoch/);

  for (const [name, resumed] of [['after-base', resumedAfterBase], ['in-winner', resumedInWinner]] as const) {
    assert.deepEqual(weightsByFolder(join(root, name)), expected, `${name}: final weights differ from the uninterrupted search's`);
    assert.deepEqual(finals(resumed.stdout), finals(whole.stdout), `${name}: final metrics`);
    assert.deepEqual(journalTypes(join(root, name)), ['base', 'uniform', 'winner'], `${name}: each final model journaled once`);
  }
});
