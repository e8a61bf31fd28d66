// The room a start leaves, as the summary tells the user, against worlds whose truth is known: a
// start that is truly 0.8 points worse than the winner, and a flat world where nothing is better.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../src/core/rng.js';
import { enumerateCandidates } from '../../src/search/candidates.js';
import { readRoom } from '../../src/search/room.js';
import { createSampler } from '../../src/search/samplers.js';
import type { FrozenTrial } from '../../src/search/types.js';
import { spaceCost } from '../../src/cost/index.js';
import { loadSpace } from '../../src/space/index.js';

const space = loadSpace('cbm-resnet');
const start = space.groups.map((g, i) => (i < 4 ? g.min : g.max)); // 1111444, mis-shaped
const budget = { macs: spaceCost(space, start).macs };
const band = enumerateCandidates(space, budget, 0.85)!;

/** 24 trials of band networks plus the start, each with one training's noise (sd 0.0016, a fraction). */
function history(truth: (w: readonly number[]) => number, seed: string): FrozenTrial[] {
  const rng = createRng(seed);
  const chosen = [start, ...Array.from({ length: 24 }, () => band[rng.int(band.length)])];
  return chosen.map((w, i) => Object.freeze({ trialId: i, widths: Object.freeze([...w]), status: 'ok' as const, round: i >> 1, metrics: { validationAccuracy: truth(w) + 0.0016 * rng.normal(), testAccuracy: NaN, trainLoss: NaN, params: 0, macs: 0 } }));
}

test('a start truly 0.8 points below the winner reads "reshape", with the gain within 2.5 sd of the truth', () => {
  // Additive truth: the first four groups pay, the last three barely do (the start is narrow where it matters).
  const pay = [0.004, 0.002, 0.002, 0.002, 0.0003, 0.0003, 0.0003];
  const truth = (w: readonly number[]) => 0.9 + w.reduce((s, v, i) => s + pay[i] * Math.log2(v / space.groups[i].min), 0);
  const to = [...band].sort((a, b) => truth(b) - truth(a))[0];
  const real = 100 * (truth(to) - truth(start));
  assert.ok(real > 0.5, `the world's room ${real}`);
  for (const seed of ['a', 'b', 'c']) {
    const h = history(truth, seed);
    const room = readRoom(space, h, [{ widths: to, validationAccuracy: truth(to) }, { widths: start, validationAccuracy: truth(start) }], start, to)!;
    assert.equal(room.verdict, 'reshape', room.text);
    assert.ok(Math.abs(room.gainPoints - real) < 2.5 * room.sdPoints + 0.05, `${seed}: ${room.gainPoints.toFixed(2)} ± ${room.sdPoints.toFixed(2)} vs ${real.toFixed(2)}`);
    assert.match(room.text, /^reshaping pays at the same MACs: the winner beats your shape scaled onto the budget by \+\d\.\d\d ± \d\.\d\d points by the model of the proxy trainings; the final trainings' validation: \+\d\.\d\d points/);
  }
});

test('in a flat world the start is within noise of the winner: "keep", never "reshape"', () => {
  const truth = () => 0.93;
  for (const seed of ['a', 'b', 'c', 'd']) {
    const h = history(truth, seed);
    const luckiest = [...h].sort((a, b) => b.metrics!.validationAccuracy - a.metrics!.validationAccuracy)[0].widths;
    const room = readRoom(space, h, [{ widths: luckiest, validationAccuracy: 0.93 }, { widths: start, validationAccuracy: 0.93 }], start, luckiest)!;
    assert.notEqual(room.verdict, 'reshape', `${seed}: ${room.text}`);
  }
});

test('random with fill proposes only networks in the band, and evolution runs every trial even when children repeat', () => {
  const ctx = { space, budget, roundSize: 2, start, rngForRound: (r: number) => createRng(`t:${r}`) };
  const random = createSampler('random', ctx, { fill: 0.85 });
  const reach = Math.max(...band.map((w) => spaceCost(space, w).macs));
  for (const p of random.ask([])) assert.ok(spaceCost(space, p.widths).macs >= 0.85 * reach && spaceCost(space, p.widths).macs <= budget.macs, `${p.widths}`);
  // A tiny budget leaves few networks: children of a small population repeat often.
  const tight = { ...ctx, budget: { macs: spaceCost(space, space.groups.map((g) => g.min + g.step)).macs } };
  const evolution = createSampler('evolution', tight, { population: 4 });
  const seen = new Set<string>();
  const h: FrozenTrial[] = [];
  for (let round = 0; round < 15; round++) {
    for (const p of evolution.ask(h)) {
      if (seen.has(p.widths.join(','))) continue;
      seen.add(p.widths.join(','));
      h.push(Object.freeze({ trialId: h.length, widths: p.widths, status: 'ok' as const, round: p.round, metrics: { validationAccuracy: 0.5 + 0.001 * h.length, testAccuracy: NaN, trainLoss: NaN, params: 0, macs: 0 } }));
    }
  }
  assert.equal(h.length, 30, 'every round gives two new networks');
});
