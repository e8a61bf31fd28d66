import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BudgetError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/rng.js';
import { spaceCost } from '../../src/cost/index.js';
import { projectToBudget, checkBudget } from '../../src/search/budget.js';
import { baseWidths, loadSpace, widthProblem, type SearchSpace } from '../../src/space/index.js';

/** A random chain space: convs and an optional dense layer with random group grids. */
function randomSpace(seed: number): SearchSpace {
  const rng = createRng(seed);
  const n = 2 + rng.int(4);
  const groups = Array.from({ length: n }, (_, i) => {
    const step = 1 + rng.int(8);
    const min = step * (1 + rng.int(3));
    const max = min + step * (2 + rng.int(20));
    const base = min + step * rng.int((max - min) / step + 1);
    return { name: `g${i}`, base, min, max, step };
  });
  return {
    name: `random-${seed}`, input: [8 + rng.int(8), 8 + rng.int(8), 1 + rng.int(3)], classes: 2 + rng.int(9), dataset: 'synthetic', groups,
    layers: [
      ...groups.map((g, i) => ({ type: 'conv' as const, name: `c${i}`, group: g.name, kernel: 1 + 2 * rng.int(2), bn: true, activation: 'relu' as const })),
      { type: 'gap' as const }, { type: 'dense' as const, name: 'out' },
    ],
  };
}

test('projection never exceeds the budget and respects every group range and step, over random spaces and budgets', () => {
  for (let seed = 0; seed < 200; seed++) {
    const space = randomSpace(seed);
    const rng = createRng(`p${seed}`);
    const minMacs = spaceCost(space, space.groups.map((g) => g.min)).macs;
    const maxMacs = spaceCost(space, space.groups.map((g) => g.max)).macs;
    const budget = { macs: Math.round(minMacs + rng.next() * (maxMacs - minMacs)) };
    const proposal = space.groups.map((g) => g.min * 0.5 + rng.next() * g.max * 1.5);
    const w = projectToBudget(space, proposal, budget);
    assert.ok(spaceCost(space, w).macs <= budget.macs, `seed ${seed}: over budget`);
    space.groups.forEach((g, i) => assert.equal(widthProblem(g, w[i]), undefined, `seed ${seed} group ${g.name}: ${w[i]}`));
  }
});

test('a feasible on-grid proposal comes back unchanged; an impossible budget is a BudgetError before anything runs', () => {
  const space = loadSpace('cnn-mnist');
  const base = baseWidths(space);
  const macs = spaceCost(space, base).macs;
  assert.deepEqual(projectToBudget(space, base, { macs }), base);
  assert.throws(() => checkBudget(space, { macs: 10 }), (e: Error) => e instanceof BudgetError && /narrowest network/.test(e.message));
});

test('the params cap is honoured too', () => {
  const space = loadSpace('cnn-mnist');
  const base = baseWidths(space);
  const c = spaceCost(space, base);
  const w = projectToBudget(space, base.map((x) => x * 2), { macs: c.macs * 4, params: c.params });
  assert.ok(spaceCost(space, w).params <= c.params);
});
