import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kendall } from '../../scripts/lib/rank-correlation.js';

test("Kendall's tau-b matches hand counts, with and without ties", () => {
  // 6 pairs, one discordant (the 2nd and 3rd): (5 - 1) / 6.
  assert.ok(Math.abs(kendall([1, 2, 3, 4], [1, 3, 2, 4]) - 4 / 6) < 1e-12);
  // A pair tied in x only: 2 concordant, n1 = 2 untied in x, n2 = 3 untied in y: 2 / sqrt(6) (scipy's kendalltau: 0.8165).
  assert.ok(Math.abs(kendall([1, 1, 2], [1, 2, 3]) - 2 / Math.sqrt(6)) < 1e-12);
  assert.equal(kendall([1, 2, 3], [3, 2, 1]), -1);
  // Non-finite pairs are left out.
  assert.equal(kendall([1, NaN, 2, 3], [1, 5, 2, 3]), 1);
});
