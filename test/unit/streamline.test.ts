import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../src/core/rng.js';
import { spaceCost } from '../../src/cost/index.js';
import { projectToBudget } from '../../src/search/budget.js';
import { createSampler, groupNeeds, type SamplerName } from '../../src/search/samplers.js';
import { bestTrial, type FrozenTrial } from '../../src/search/types.js';
import { loadSpace } from '../../src/space/index.js';

const space = loadSpace('cnn-mnist');

test('group needs are centred ranks of the scores; labels stand in without scores', () => {
  const trial = (over: Partial<FrozenTrial>): FrozenTrial => ({ trialId: 0, widths: [16, 32, 64, 64], status: 'ok', round: 0, ...over });
  // Ranks 2, 0, 3, 1 of four -> 2*r/3 - 1.
  const needs = groupNeeds(space, trial({ groupScores: { conv1: 0.5, conv2: -2, conv3: 9, fc1: 0.1 } }));
  [1 / 3, -1, 1, -1 / 3].forEach((v, i) => assert.ok(Math.abs(needs[i] - v) < 1e-12, `${needs}`));
  // A tie shares its rank; a missing score keeps its share (0).
  assert.deepEqual(groupNeeds(space, trial({ groupScores: { conv1: 1, conv2: 1, conv3: NaN, fc1: 0 } })), [0.5, 0.5, 0, -1]);
  assert.deepEqual(groupNeeds(space, trial({ groupLabels: { conv1: 'DS', conv2: 'IS', conv3: 'undetermined', fc1: 'IS' } })), [1, -1, 0, -1]);
});

/**
 * A fake world with a known answer: the inverted start 64,32,16,16 at half its MACs. Accuracy
 * peaks at OPTIMUM and falls with the log-distance from it; each group's score is how far below
 * its optimum it is (log ratio), plus seeded noise, the way a working width signal would read.
 */
const OPTIMUM = [12, 28, 56, 64];
const start = [64, 32, 16, 16];
const budget = { macs: Math.floor(spaceCost(space, start).macs / 2) };
const accuracy = (w: readonly number[]) => 0.9 - 0.05 * w.reduce((s, x, i) => s + Math.abs(Math.log(x / OPTIMUM[i])), 0);

function runSearch(name: SamplerName, trials: number, seed: number): { best: FrozenTrial; history: FrozenTrial[] } {
  const noise = createRng(`noise:${seed}`);
  // The start: the inverted network scaled uniformly onto the budget (what the study's projection does).
  const ctx = { space, budget, rngForRound: (r: number) => createRng(`round:${seed}:${r}`), roundSize: 2, start: projectToBudget(space, start, budget) };
  const sampler = createSampler(name, ctx);
  const history: FrozenTrial[] = [];
  while (history.length < trials) {
    const proposals = sampler.ask(history);
    if (!proposals.length) break;
    for (const p of proposals.slice(0, trials - history.length)) {
      const cost = spaceCost(space, p.widths);
      assert.ok(cost.macs <= budget.macs, `${name} proposed ${p.widths} over the budget`);
      history.push({
        trialId: history.length, widths: p.widths, status: 'ok', round: p.round,
        metrics: { validationAccuracy: accuracy(p.widths), testAccuracy: 0, trainLoss: 0, params: cost.params, macs: cost.macs },
        groupScores: Object.fromEntries(space.groups.map((g, i) => [g.name, Math.log(OPTIMUM[i] / p.widths[i]) + 0.1 * noise.normal()])),
      });
    }
  }
  return { best: bestTrial(history)!, history };
}

test('streamline follows the scores toward the optimum, and beats random search at equal trials', () => {
  let streamlineWins = 0;
  for (const seed of [1, 2, 3, 4, 5]) {
    const s = runSearch('streamline', 12, seed);
    const r = runSearch('random', 12, seed);
    const first = s.history[0];
    // Width moved from the groups that needed it least (conv1) to those that needed it most (conv3, fc1).
    assert.ok(s.best.widths[0] < first.widths[0] && s.best.widths[2] > first.widths[2] && s.best.widths[3] > first.widths[3], `seed ${seed}: ${first.widths} -> ${s.best.widths}`);
    assert.ok(s.best.metrics!.validationAccuracy > first.metrics!.validationAccuracy + 0.05, `seed ${seed}: no real gain`);
    if (s.best.metrics!.validationAccuracy > r.best.metrics!.validationAccuracy) streamlineWins++;
  }
  assert.ok(streamlineWins >= 4, `streamline beat random in ${streamlineWins} of 5 seeds`);
});

test('streamline stops after `patience` rounds without improvement, never for want of a DS label', () => {
  const { history } = runSearch('streamline', 60, 9);
  assert.ok(history.length < 60, 'it stopped on its own');
  const best = bestTrial(history)!;
  const lastRound = Math.max(...history.map((t) => t.round));
  assert.ok(lastRound - best.round <= 2, `best in round ${best.round}, last round ${lastRound}`);
});
