import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GroupChannelSnapshot, GroupTelemetry } from '../../src/trial/result.js';
import { NORM_KINDS } from '../../src/variance/norm-kinds.js';
import { SCORES, leastSquaresSlope } from '../../src/variance/scores.js';
import { groupSignals, labelFromScore, varianceSeries } from '../../src/variance/group-signal.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
const snap = (over: Partial<GroupChannelSnapshot> = {}): GroupChannelSnapshot => ({
  epoch: 1, step: 10, outgoing: [1, 2], reader: [3, 4], gamma: [0.5, 2], displacement: [0.1, 0.3], ...over,
});

test('norm kinds read the right ingredient of a snapshot, by hand', () => {
  const s = snap();
  assert.deepEqual(NORM_KINDS.outgoing.norms(s), [1, 2]);
  assert.deepEqual(NORM_KINDS.paired.norms(s), [3, 8]);
  assert.deepEqual(NORM_KINDS.reader.norms(s), [3, 4]);
  // With batch norm the kernel's scale is normalised away: |gamma| stands in for it.
  assert.deepEqual(NORM_KINDS.effective.norms(s), [1.5, 8]);
  assert.deepEqual(NORM_KINDS.gamma.norms(s), [0.5, 2]);
  assert.deepEqual(NORM_KINDS.displacement.norms(s), [0.1, 0.3]);
  // Without batch norm the channel's own scale is its outgoing norm.
  assert.deepEqual(NORM_KINDS.effective.norms(snap({ gamma: null })), [3, 8]);
  assert.equal(NORM_KINDS.gamma.norms(snap({ gamma: null })), null);
  // The output side is undefined without readers.
  assert.equal(NORM_KINDS.paired.norms(snap({ reader: null })), null);
  assert.equal(NORM_KINDS.effective.norms(snap({ reader: null })), null);
});

test('scores of hand-made series', () => {
  // drop: 3-point smoothing of 1,2,4,2,1 is 1.5, 7/3, 8/3, 7/3, 1.5: (8/3 - 1.5) / (8/3) = 7/16.
  close(SCORES.drop.score([0, 1, 2, 3, 4], [1, 2, 4, 2, 1]), 7 / 16);
  close(SCORES.drop.score([0, 1, 2, 3], [1, 2, 3, 4]), 0);
  // late-slope: exp(-t/2) falls by 1/2 in log per epoch, over any part of it.
  const t = [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4];
  close(SCORES['late-slope'].score(t, t.map((e) => Math.exp(-e / 2))), 0.5, 1e-12);
  // Only the second half (epochs 2 to 4) counts: log values 0, -1, -2 fall by 1 per epoch.
  close(SCORES['late-slope'].score([0, 1, 2, 3, 4], [5, 1, 1, Math.exp(-1), Math.exp(-2)]), 1, 1e-12);
  // growth: four times the first value -> -log 4; zeros (an untouched init) are skipped.
  close(SCORES.growth.score([0, 1, 2], [0, 0.1, 0.4]), -Math.log(4));
  close(SCORES.level.score([0, 1, 2], [0.1, 0.2, 0.4]), Math.log(0.4));
  assert.ok(Number.isNaN(SCORES.drop.score([0, 1], [1, 2])));
  assert.ok(Number.isNaN(SCORES.growth.score([0], [1])));
  close(leastSquaresSlope([0, 1, 2], [1, 3, 5]), 2);
});

test('variance series skip the all-zero displacement at initialisation, and undefined kinds give none', () => {
  const g: GroupTelemetry = {
    group: 'g', width: 2, layers: ['a'],
    points: [
      snap({ epoch: 0, displacement: [0, 0], gamma: null }),
      // norms 1 and 3: mean 2, normalised 0.5 and 1.5, sample variance 0.5
      snap({ epoch: 1, displacement: [1, 3], gamma: null }),
    ],
  };
  assert.deepEqual(varianceSeries(g, 'displacement'), { epochs: [1], variance: [0.5] });
  // outgoing 1, 2 at both records: normalised 2/3, 4/3 -> variance 2/9
  const out = varianceSeries(g, 'outgoing');
  assert.deepEqual(out.epochs, [0, 1]);
  close(out.variance[0], 2 / 9);
  assert.deepEqual(varianceSeries(g, 'gamma'), { epochs: [], variance: [] });
  const [signal] = groupSignals([g], { norm: 'gamma', score: 'drop' });
  assert.equal(signal.label, 'undetermined');
  assert.ok(Number.isNaN(signal.value));
});

test('labels from a score band', () => {
  const band = { isUpTo: -0.1, dsFrom: 0.2 };
  assert.equal(labelFromScore(0.2, band).label, 'DS');
  assert.equal(labelFromScore(-0.1, band).label, 'IS');
  assert.equal(labelFromScore(0, band).label, 'undetermined');
  assert.equal(labelFromScore(NaN, band).label, 'undetermined');
});
