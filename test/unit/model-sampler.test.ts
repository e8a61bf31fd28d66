import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../src/core/rng.js';
import { spaceCost } from '../../src/cost/index.js';
import { isFeasible, projectToBudget, type Budget } from '../../src/search/budget.js';
import { cholesky } from '../../src/search/dense-matrix.js';
import { ModelSampler } from '../../src/search/model-sampler.js';
import { createSampler, type SamplerName } from '../../src/search/samplers.js';
import { bestTrial, isRecommender, type FrozenTrial } from '../../src/search/types.js';
import { WidthFeatures, AccuracyModel } from '../../src/search/width-model.js';
import { loadSpace } from '../../src/space/index.js';
import type { SearchSpace } from '../../src/space/types.js';

test('cholesky: L L^T gives back the matrix (hand-made 3x3)', () => {
  const a = [[4, 2, 0.4], [2, 5, 1], [0.4, 1, 3]];
  const l = cholesky(a);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    const v = [0, 1, 2].reduce((s, k) => s + l[i][k] * l[j][k], 0);
    assert.ok(Math.abs(v - a[i][j]) < 1e-12, `(${i},${j}) ${v} vs ${a[i][j]}`);
  }
  assert.throws(() => cholesky([[1, 2], [2, 1]]), /not positive definite/);
});

const cbm = loadSpace('cbm-resnet');
const grid = (space: SearchSpace, rng: ReturnType<typeof createRng>) => space.groups.map((g) => g.min + g.step * rng.int(Math.floor((g.max - g.min) / g.step) + 1));

test('the width model recovers the gains per step of a known additive world from noisy samples', () => {
  // Known world: each group of cbm-resnet gains `gain[g] / step` for each step up its grid (diminishing), plus noise.
  const gain = [0.4, 0.05, 0.2, 0.15, 0.3, 0.1, 0.0];
  const truth = (w: readonly number[]) => 90 + cbm.groups.reduce((s, g, i) => s + gain[i] * Math.log2(w[i] / g.min), 0);
  const rng = createRng('additive');
  const obs = Array.from({ length: 300 }, () => { const w = grid(cbm, rng); return { widths: w, accuracy: truth(w) + 0.05 * rng.normal() }; });
  const model = AccuracyModel.fit(new WidthFeatures(cbm), obs);
  model.stepGains().forEach((steps, i) => steps.forEach((v, k) => {
    const g = cbm.groups[i];
    const expected = gain[i] * Math.log2((g.min + (k + 1) * g.step) / (g.min + k * g.step));
    assert.ok(Math.abs(v - expected) < 0.03, `group ${g.name} step ${k}: ${v.toFixed(3)} vs ${expected.toFixed(3)}`);
  }));
  // Its predictions of unseen vectors are close to the truth, and it is more certain with more data.
  const probe = [128, 128, 192, 384, 256, 128, 512];
  assert.ok(Math.abs(model.predict(probe) - truth(probe)) < 0.05);
  const few = AccuracyModel.fit(new WidthFeatures(cbm), obs.slice(0, 12));
  assert.ok(few.predictionSd(probe) > 2 * model.predictionSd(probe), `${few.predictionSd(probe)} vs ${model.predictionSd(probe)}`);
});

/**
 * A synthetic world with a known optimum inside the budget: cnn-mnist from the inverted start at
 * half its MACs (as the streamline test), accuracy falling with the log-distance from OPTIMUM, plus
 * one training's noise.
 */
const space = loadSpace('cnn-mnist');
const OPTIMUM = [12, 28, 56, 64];
const start = [64, 32, 16, 16];
const budget: Budget = { macs: Math.floor(spaceCost(space, start).macs / 2) };
const accuracy = (w: readonly number[]) => 0.9 - 0.05 * w.reduce((s, x, i) => s + Math.abs(Math.log(x / OPTIMUM[i])), 0);

function runSearch(name: SamplerName, trials: number, seed: number, options: Record<string, number> = {}, scoreQuality = 0): FrozenTrial[] {
  const noise = createRng(`noise:${seed}`);
  const ctx = { space, budget, rngForRound: (r: number) => createRng(`round:${name}:${seed}:${r}`), roundSize: 2, start: projectToBudget(space, start, budget) };
  const sampler = createSampler(name, ctx, options);
  const history: FrozenTrial[] = [];
  while (history.length < trials) {
    const proposals = sampler.ask(history);
    if (!proposals.length) break;
    for (const p of proposals.slice(0, trials - history.length)) {
      const cost = spaceCost(space, p.widths);
      assert.ok(cost.macs <= budget.macs, `${name} proposed ${p.widths} over the budget`);
      history.push({
        trialId: history.length, widths: p.widths, status: 'ok', round: p.round, note: p.note,
        metrics: { validationAccuracy: accuracy(p.widths) + 0.005 * noise.normal(), testAccuracy: 0, trainLoss: 0, params: cost.params, macs: cost.macs },
        // Scores that know which groups are too narrow (log-distance below the optimum), when asked.
        ...(scoreQuality ? { groupScores: Object.fromEntries(space.groups.map((g, i) => [g.name, scoreQuality * Math.log(OPTIMUM[i] / p.widths[i]) + 0.1 * noise.normal()])) } : {}),
      });
    }
  }
  return history;
}

/** The true accuracy of what a search would hand over: the model's recommendation, else its best proxy. */
function recommendedAccuracy(name: SamplerName, history: FrozenTrial[]): number {
  const ctx = { space, budget, rngForRound: (r: number) => createRng(r), roundSize: 2, start: projectToBudget(space, start, budget) };
  const s = createSampler(name, ctx);
  return accuracy((isRecommender(s) ? s.recommend(history) : bestTrial(history))!.widths);
}

test('on a synthetic world the model sampler gets nearer the known optimum than random search and evolution with the same trials', () => {
  const seeds = [1, 2, 3, 4, 5, 6];
  const mean = (name: SamplerName) => seeds.reduce((s, seed) => s + recommendedAccuracy(name, runSearch(name, 16, seed)), 0) / seeds.length;
  const model = mean('model'), random = mean('random'), evolution = mean('evolution');
  assert.ok(model > random && model > evolution, `true accuracy of the recommendation after 16 trials: model ${model.toFixed(4)}, random ${random.toFixed(4)}, evolution ${evolution.toFixed(4)}`);
});

test('the model sampler: feasible proposals that use the budget, deterministic for a seed, the same after a resume', () => {
  const a = runSearch('model', 12, 7);
  const b = runSearch('model', 12, 7);
  assert.deepEqual(a.map((t) => t.widths), b.map((t) => t.widths));
  // The first proposal is the start scaled uniformly; later ones (all but repeats) use >= 85% of the budget's MACs.
  assert.match(a[0].note ?? '', /uniformly/);
  for (const t of a.slice(1)) assert.ok(t.metrics!.macs >= 0.85 * budget.macs, `${t.widths}: ${t.metrics!.macs} of ${budget.macs}`);
  // Stateless between rounds: a sampler built afresh from the first 6 trials (a resumed study) proposes round 3 as before.
  const ctx = { space, budget, rngForRound: (r: number) => createRng(`round:model:7:${r}`), roundSize: 2, start: projectToBudget(space, start, budget) };
  const resumed = new ModelSampler(ctx).ask(a.slice(0, 6));
  assert.deepEqual(resumed.map((p) => p.widths), a.slice(6, 8).map((t) => t.widths));
  assert.match(a[6].note ?? '', /pays most/);
});

test('the model sampler handles a budget above the widest network: it starts at the widest and searches near it', () => {
  const huge: Budget = { macs: 10 * spaceCost(space, space.groups.map((g) => g.max)).macs };
  const ctx = { space, budget: huge, rngForRound: (r: number) => createRng(r), roundSize: 2, start: [16, 32, 64, 64] };
  const sampler = new ModelSampler(ctx);
  const history: FrozenTrial[] = [];
  for (let round = 0; round < 3; round++) for (const p of sampler.ask(history)) {
    assert.ok(isFeasible(space, p.widths, huge));
    history.push({ trialId: history.length, widths: p.widths, status: 'ok', round, metrics: { validationAccuracy: accuracy(p.widths), testAccuracy: 0, trainLoss: 0, params: 0, macs: spaceCost(space, p.widths).macs } });
  }
  // Uniform scaling of the start under a budget this large reaches the groups' maxima (the grid's top);
  // the search still moves around it (at least 4 distinct networks in 6 trials, repeats aside, each
  // within 15% of the widest's MACs).
  assert.deepEqual(history[0].widths, space.groups.map((g) => g.max));
  assert.ok(new Set(history.map((t) => t.widths.join(','))).size >= 4, history.map((t) => t.widths.join(',')).join(' '));
  const widest = spaceCost(space, space.groups.map((g) => g.max)).macs;
  for (const t of history) assert.ok(t.metrics!.macs >= 0.85 * widest);
});

test('a good variance signal as the prior helps the first rounds; a useless one does not steer them wrong for long', () => {
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
  const avg = (f: (seed: number) => number) => seeds.reduce((s, seed) => s + f(seed), 0) / seeds.length;
  // No opening spread here: its trials ignore the model, so the prior would have no round to act in.
  const withPrior = avg((seed) => recommendedAccuracy('model', runSearch('model', 8, seed, { prior: 1, spread: 0 }, 1)));
  const without = avg((seed) => recommendedAccuracy('model', runSearch('model', 8, seed, { prior: 0, spread: 0 }, 1)));
  assert.ok(withPrior > without, `after 8 trials with a signal that knows: prior ${withPrior.toFixed(4)} vs none ${without.toFixed(4)}`);
  // A signal that points the wrong way (scores negated) is overruled by the evidence: after 24 trials the
  // recommendation is still better than uniform scaling (trial 0).
  const wrong = avg((seed) => { const h = runSearch('model', 24, seed, { prior: 1 }, -1); return recommendedAccuracy('model', h) - accuracy(h[0].widths); });
  assert.ok(wrong > 0, `gain over uniform with a wrong prior: ${wrong.toFixed(4)}`);
});

test('the final check weighs final trainings against the proxy results instead of obeying one noisy number', () => {
  const ctx = { space: cbm, budget: { macs: 1e12 }, rngForRound: (r: number) => createRng(r), roundSize: 2, start: cbm.groups.map((g) => g.base) };
  const sampler = new ModelSampler(ctx, { prior: 0 });
  // Twenty proxies say group c0 pays 0.5 points per step; the winner has c0 two steps wider than uniform.
  const rng = createRng('final');
  const truth = (w: readonly number[]) => 0.9 + 0.005 * (w[0] / 64 - 1);
  const history: FrozenTrial[] = Array.from({ length: 20 }, (_, i) => {
    const widths = grid(cbm, rng);
    return { trialId: i, widths, status: 'ok' as const, round: i, metrics: { validationAccuracy: truth(widths) + 0.0005 * rng.normal(), testAccuracy: 0, trainLoss: 0, params: 0, macs: 0 } };
  });
  const winner = [256, 128, 128, 256, 256, 256, 256], uniform = [128, 128, 128, 256, 256, 256, 256];
  history.push({ trialId: 20, widths: winner, status: 'ok', round: 20, metrics: { validationAccuracy: truth(winner), testAccuracy: 0, trainLoss: 0, params: 0, macs: 0 } });
  history.push({ trialId: 21, widths: uniform, status: 'ok', round: 20, metrics: { validationAccuracy: truth(uniform), testAccuracy: 0, trainLoss: 0, params: 0, macs: 0 } });
  // Final trainings score higher (longer), uniform 0.1 points luckier than the winner: the evidence keeps the winner.
  assert.equal(sampler.chooseFinal(history, [{ widths: winner, validationAccuracy: 0.95 }, { widths: uniform, validationAccuracy: 0.951 }]), 0);
  // Uniform 3 points better in the finals, against a 1-point proxy advantage: uniform wins.
  assert.equal(sampler.chooseFinal(history, [{ widths: winner, validationAccuracy: 0.92 }, { widths: uniform, validationAccuracy: 0.95 }]), 1);
});

test('in a flat world the final check keeps uniform scaling, even when the winner validated a little better', () => {
  const ctx = { space: cbm, budget: { macs: 1e12 }, rngForRound: (r: number) => createRng(r), roundSize: 2, start: cbm.groups.map((g) => g.base) };
  const sampler = new ModelSampler(ctx);
  const winner = [256, 128, 128, 256, 256, 256, 256], uniform = [128, 128, 128, 256, 256, 256, 256];
  for (const seed of ['a', 'b', 'c']) {
    // Every network is truly 90%; each reading has one training's noise (0.2 points).
    const rng = createRng(`flat:${seed}`);
    const history: FrozenTrial[] = [...Array.from({ length: 20 }, () => grid(cbm, rng)), winner, uniform].map((widths, i) => ({ trialId: i, widths, status: 'ok' as const, round: i, metrics: { validationAccuracy: 0.9 + 0.002 * rng.normal(), testAccuracy: 0, trainLoss: 0, params: 0, macs: 0 } }));
    assert.equal(sampler.chooseFinal(history, [{ widths: winner, validationAccuracy: 0.903 }, { widths: uniform, validationAccuracy: 0.9 }]), 1, seed);
  }
});
