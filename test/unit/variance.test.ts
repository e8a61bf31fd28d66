import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../src/core/rng.js';
import { classifyPrefix, classifySeries, inputChannelNorms, normStats, outputChannelNorms, pairedNorms } from '../../src/variance/index.js';

test('output-channel norms of conv and dense kernels, by hand', () => {
  // conv [kh=2, kw=2, cin=1, cout=2]: values interleave channels (last axis).
  // channel 0: 1, 2, 3, 4 -> sqrt(30); channel 1: 0, 0, 3, 4 -> 5
  const conv = [1, 0, 2, 0, 3, 3, 4, 4];
  const n = outputChannelNorms(conv, [2, 2, 1, 2]);
  assert.ok(Math.abs(n[0] - Math.sqrt(30)) < 1e-12);
  assert.equal(n[1], 5);
  // dense [in=2, out=3]: rows [3, 0, 1], [4, 0, 1] -> columns 5, 0, sqrt(2)
  assert.deepEqual([...outputChannelNorms([3, 0, 1, 4, 0, 1], [2, 3])], [5, 0, Math.SQRT2]);
});

test('input-channel norms, including a dense layer reading a flattened map', () => {
  // dense [in=2, out=2]: rows [3, 4] and [0, 2] -> 5, 2
  assert.deepEqual([...inputChannelNorms([3, 4, 0, 2], [2, 2])], [5, 2]);
  // flattened 1x2 map with C=2 channels -> 4 input rows, row r is channel r % 2; out = 1.
  // rows: 1, 2, 2, 4 -> channel 0: rows 0, 2 -> sqrt(1+4); channel 1: rows 1, 3 -> sqrt(4+16)
  const flat = inputChannelNorms([1, 2, 2, 4], [4, 1], 2);
  assert.ok(Math.abs(flat[0] - Math.sqrt(5)) < 1e-12 && Math.abs(flat[1] - Math.sqrt(20)) < 1e-12);
  // conv [1, 1, cin=2, cout=1]: 1x1 weights 6 and 8 -> 6, 8
  assert.deepEqual([...inputChannelNorms([6, 8], [1, 1, 2, 1])], [6, 8]);
  assert.deepEqual([...pairedNorms(Float64Array.from([2, 3]), Float64Array.from([5, 7]))], [10, 21]);
  assert.throws(() => pairedNorms(Float64Array.from([1]), Float64Array.from([1, 2])));
});

test('normalised sample variance, by hand', () => {
  // norms 1, 2, 3: mean 2, normalised 0.5, 1, 1.5 -> sample variance (0.25 + 0 + 0.25) / 2 = 0.25
  const s = normStats([1, 2, 3]);
  assert.ok(Math.abs(s.variance - 0.25) < 1e-12);
  assert.deepEqual([s.mean, s.min, s.max], [2, 1, 3]);
  assert.equal(normStats([4]).variance, 0);
  assert.equal(normStats([4]).singleChannel, true);
  assert.equal(normStats([0, 0]).variance, 0);
  // Scale-free: multiplying every norm leaves it unchanged.
  assert.ok(Math.abs(normStats([10, 20, 30]).variance - 0.25) < 1e-12);
});

const risePlateau = Array.from({ length: 20 }, (_, i) => 0.02 + 0.3 * (1 - Math.exp(-i / 2)));
const riseFall = Array.from({ length: 20 }, (_, i) => (i <= 5 ? 0.02 + 0.06 * i : Math.max(0.15, 0.32 - 0.03 * (i - 5))));
const monotone = Array.from({ length: 20 }, (_, i) => 0.02 + 0.01 * i);
const noisy = (s: number[], seed: number) => {
  const rng = createRng(seed);
  return s.map((v) => v * (1 + 0.04 * rng.normal()));
};

test('clean and noisy series get their labels', () => {
  assert.equal(classifySeries(risePlateau).label, 'IS');
  assert.equal(classifySeries(riseFall).label, 'DS');
  assert.equal(classifySeries(monotone).label, 'IS');
  for (let seed = 0; seed < 20; seed++) {
    assert.equal(classifySeries(noisy(risePlateau, seed)).label, 'IS', `noisy plateau ${seed}`);
    assert.equal(classifySeries(noisy(riseFall, seed)).label, 'DS', `noisy fall ${seed}`);
    assert.equal(classifySeries(noisy(monotone, seed)).label, 'IS', `noisy monotone ${seed}`);
  }
  const ds = classifySeries(riseFall);
  assert.equal(ds.evidence.peakIndex, 5);
  assert.ok(ds.evidence.dropRatio > 0.4 && ds.evidence.confidence > 0.5);
});

test('flat, zeros, too short and NaN are undetermined with a reason', () => {
  assert.match(classifySeries(Array(10).fill(0.2)).reason, /no rise/);
  assert.equal(classifySeries(Array(10).fill(0)).label, 'undetermined');
  const short = classifySeries([0.1, 0.2]);
  assert.equal(short.label, 'undetermined');
  assert.match(short.reason, /too short: 2 points, need 4/);
  const nan = classifySeries([0.1, 0.2, NaN, 0.3, 0.3]);
  assert.equal(nan.label, 'undetermined');
  assert.match(nan.reason, /non-finite value NaN at point 2/);
});

test('a prefix is classified on its own points and says when it is too short', () => {
  // The first 5 points of the DS series only rise.
  assert.equal(classifyPrefix(riseFall, 5).label, 'IS');
  assert.equal(classifyPrefix(riseFall, 20).label, 'DS');
  assert.match(classifyPrefix(riseFall, 3).reason, /too short/);
});
