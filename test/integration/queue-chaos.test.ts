// A short chaos run of the queue (scripts/chaos-queue.ts is the long one): a queued search of 12
// trials on 3 worker processes and a real redis-server while a seeded driver SIGKILLs workers and
// the controller and restarts or kills Redis. Afterwards every trial is journaled exactly once, and
// each trial's widths, seed and whole result, and the final models, equal those of the same study
// run undisturbed on the local pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChaos, trialEnds, withoutTimes } from '../helpers/chaos-driver.js';
import { redisSkipReason } from '../helpers/redis-server.js';
import { runWidthwiseAsync as widthwise } from '../fixtures/widthwise-child.js';

const skip = redisSkipReason();
if (skip) process.stderr.write(`queue tests: ${skip}\n`);

const STUDY = ['--space', 'mlp-mnist', '--sampler', 'random', '--seed', '5', '--trials', '12', '--proxy-epochs', '1', '--proxy-max-train', '300', '--final-epochs', '1', '--backend', 'wasm'];

test('chaos: workers, the controller and Redis killed at random moments; each trial journaled once, every result as undisturbed', { skip, timeout: 300_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'ww-chaos-'));
  const faults: string[] = [];
  const [reference, outcome] = await Promise.all([
    widthwise(['search', ...STUDY, '--workers', '3', '--out', join(root, 'reference'), '--json']),
    runChaos({
      seed: 3, searchArgs: STUDY, workers: 3, faults: 5, meanGapSeconds: 1.5, runDir: join(root, 'chaos'), limitSeconds: 240,
      // Every kind at least has a fair chance in 5 faults.
      weights: { 'kill-worker': 2, 'kill-controller': 1, 'restart-redis': 1, 'kill-redis': 1 },
      log: (line) => faults.push(line),
    }),
  ]);
  assert.equal(reference.status, 0, reference.stderr);
  assert.ok(outcome.faults.length >= 3, `faults injected before the search finished: ${faults.join('; ')}`);
  const expected = trialEnds(join(root, 'reference'));
  const got = trialEnds(join(root, 'chaos'));
  assert.deepEqual([...got.keys()].sort((a, b) => a - b), [...expected.keys()].sort((a, b) => a - b), 'the same trial ids');
  for (const [id, want] of expected) {
    const have = got.get(id)!;
    assert.equal(have.ends, 1, `trial ${id} ended ${have.ends} times (faults: ${faults.join('; ')})`);
    assert.deepEqual(have.started, want.started, `trial ${id}: widths and seed`);
    assert.deepEqual(have.end, want.end, `trial ${id}: its result equals the undisturbed run's`);
  }
  const finals = (json: string) => {
    const s = withoutTimes(JSON.parse(json)) as Record<string, unknown>;
    return { base: s.base, uniform: s.uniform, winner: s.winner, recommended: s.recommended };
  };
  assert.deepEqual(finals(outcome.summaryJson), finals(reference.stdout), 'the final models');
});
