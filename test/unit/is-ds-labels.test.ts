import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { shapeLabel } from '../../src/variance/shape-label.js';
import { labelNoise, median, seedNoise } from '../../src/variance/label-noise.js';
import { seriesLabel } from '../../src/variance/group-signal.js';
import { NORM_KIND_NAMES } from '../../src/variance/norm-kinds.js';

// The stored noise, read as a file (not through the module under test).
const stored = JSON.parse(readFileSync(new URL('../../src/variance/label-noise.json', import.meta.url), 'utf8')) as {
  source: { networks: Record<string, unknown>; seeds: number[]; lengths: number[] };
  noise: Record<string, Record<string, number>>;
};

/** A hand-made series of `n` points: `start`, a straight rise to `peak` by point 4, held 4 points, a straight move to `end` by point 12, held to the end. */
function shaped(n: number, start: number, peak: number, end: number): number[] {
  return Array.from({ length: n }, (_, i) => (i <= 4 ? start + ((peak - start) * i) / 4 : i <= 8 ? peak : i <= 12 ? peak + ((end - peak) * (i - 8)) / 4 : end));
}
const epochsTo = (length: number, n: number) => Array.from({ length: n }, (_, i) => (length * i) / (n - 1));

test('the stored noise names its source and covers every norm kind at the search\'s default length', () => {
  assert.ok(Object.keys(stored.source.networks).length >= 2, 'at least two networks');
  assert.ok(stored.source.seeds.length >= 3, 'at least three seeds');
  for (const norm of NORM_KIND_NAMES) {
    assert.ok(stored.noise[norm], `${norm}: no stored noise`);
    assert.ok(stored.noise[norm]['3'] > 0, `${norm}: no noise at 3 epochs`);
  }
});

test('at every stored norm kind and length, an IS-shaped series is IS, a DS-shaped one DS and a flat one undetermined', () => {
  let cells = 0;
  for (const [norm, byLength] of Object.entries(stored.noise)) {
    for (const [length, noise] of Object.entries(byLength)) {
      cells++;
      const where = `${norm} at ${length} epochs (noise ${noise})`;
      // Reachability: DS needs a fall over twice the noise, which a series can only make if 2 x noise < 1.
      assert.ok(2 * noise < 1, `${where}: DS is unreachable`);
      const n = 20, epochs = epochsTo(Number(length), n);
      // Rose 300% (far over twice any noise below 1.5) and held its peak to the end.
      assert.ok(2 * noise < 3, `${where}: a 300% rise does not count as one`);
      const is = seriesLabel(norm as never, epochs, shaped(n, 0.01, 0.04, 0.04));
      assert.equal(is.label, 'IS', `${where}: ${is.reason}`);
      // Ends half a noise width below its peak: still within the noise.
      const isNear = seriesLabel(norm as never, epochs, shaped(n, 0.01, 0.04, 0.04 * (1 - noise / 2)));
      assert.equal(isNear.label, 'IS', `${where}: ${isNear.reason}`);
      // Falls halfway between twice the noise and everything.
      const fall = (2 * noise + 1) / 2;
      const ds = seriesLabel(norm as never, epochs, shaped(n, 0.01, 0.04, 0.04 * (1 - fall)));
      assert.equal(ds.label, 'DS', `${where}: ${ds.reason}`);
      const flat = seriesLabel(norm as never, epochs, Array(n).fill(0.02));
      assert.equal(flat.label, 'undetermined', `${where}: ${flat.reason}`);
    }
  }
  assert.ok(cells >= NORM_KIND_NAMES.length, `only ${cells} stored cells`);
});

test('a label says why, with the rise and the fall in percent', () => {
  // 0.01 -> 0.04 is a 300% rise; 0.04 -> 0.0396 ends 1% below the peak.
  const is = shapeLabel(shaped(20, 0.01, 0.04, 0.0396), 0.05);
  assert.equal(is.label, 'IS');
  assert.match(is.reason, /^rose 300%, ends 1\.0% below its peak .*: IS$/);
  // Peak at points 4..8, the plateau from point 12 on at 0.02 (half the peak); smoothed, point 12
  // is (0.025 + 0.02 + 0.02) / 3, within 0.002 of the end, and point 11 is 0.025, not.
  const ds = shapeLabel(shaped(20, 0.01, 0.04, 0.02), 0.05);
  assert.equal(ds.label, 'DS');
  assert.match(ds.reason, /ends 50% below its peak/);
  assert.equal(ds.evidence.plateauFrom, 12);
  assert.ok(ds.evidence.peakIndex >= 4 && ds.evidence.peakIndex <= 8);
  // Its level: the smoothed tail, every point within noise x peak = 0.002 of the end value 0.02.
  close(ds.evidence.plateau, 0.02, 0.002);
  // A fall between one and two noise widths: seeds could call it either way.
  const mid = shapeLabel(shaped(20, 0.01, 0.04, 0.04 * 0.93), 0.05);
  assert.equal(mid.label, 'undetermined');
  assert.match(mid.reason, /between one and two/);
  // Still rising at the end.
  const rising = shapeLabel([0.01, 0.02, 0.03, 0.04, 0.05, 0.06], 0.05);
  assert.equal(rising.label, 'IS');
  assert.match(rising.reason, /still rising/);
});

test('a series that starts at its highest is named as the initial spread and read from its low', () => {
  // A small fan-in starts with a large spread of norms (about 1/(2 fan-in)) that training lowers.
  const r = shapeLabel([0.056, 0.04, 0.03, 0.028, 0.027, 0.027, 0.027], 0.05);
  assert.equal(r.label, 'undetermined');
  assert.ok(r.evidence.startsHigh);
  assert.match(r.reason, /initial spread.*never rises again/);
  // Falls from 0.1 to 0.01 (smoothed low at point 3), then rises to 0.04 and holds: IS from the low.
  const up = shapeLabel([0.1, 0.05, 0.01, 0.01, 0.01, 0.02, 0.03, 0.04, 0.04, 0.04, 0.04, 0.04], 0.05);
  assert.equal(up.label, 'IS', up.reason);
  assert.match(up.reason, /^starts at its highest .*read from its low at point 3 of 12: rose 300%/);
  assert.equal(up.evidence.troughIndex, 3);
  assert.equal(up.evidence.peakIndex >= 7, true);
  // The same, then falling back to 0.02 (half the peak): DS from the low.
  const down = shapeLabel([0.1, 0.05, 0.01, 0.01, 0.01, 0.02, 0.03, 0.04, 0.04, 0.04, 0.03, 0.02, 0.02, 0.02, 0.02], 0.05);
  assert.equal(down.label, 'DS', down.reason);
});

test('too short, negative or non-finite series are undetermined; the noise must be positive', () => {
  assert.match(shapeLabel([0.1, 0.2, 0.3], 0.05).reason, /too short/);
  assert.equal(shapeLabel([0.1, NaN, 0.3, 0.4], 0.05).label, 'undetermined');
  assert.equal(shapeLabel([0, 0, 0, 0, 0], 0.05).label, 'undetermined');
  assert.throws(() => shapeLabel([0.1, 0.2, 0.3, 0.4], 0), RangeError);
});

test('seed noise by hand: the relative spread across seeds over the second half', () => {
  // Constant series 1 and 3: mean 2, sample sd sqrt(2), relative sqrt(2)/2 at every record.
  close(seedNoise([[1, 1, 1, 1], [3, 3, 3, 3]]), Math.SQRT2 / 2);
  // Only the second half counts: the first two records differ wildly, the last two agree.
  close(seedNoise([[1, 9, 2, 2, 2, 2], [9, 1, 2, 2, 2, 2]]), 0);
  assert.throws(() => seedNoise([[1, 2]]), RangeError);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
});

test('a length between the stored ones takes the nearest on a log scale', () => {
  const lengths = Object.keys(stored.noise.outgoing).map(Number).sort((a, b) => a - b);
  for (const l of lengths) assert.equal(labelNoise('outgoing', l)!.epochs, l);
  // Far above the longest stored length: the longest.
  assert.equal(labelNoise('outgoing', 1000)!.epochs, lengths[lengths.length - 1]);
  assert.equal(labelNoise('outgoing', 1000)!.noise, stored.noise.outgoing[String(lengths[lengths.length - 1])]);
});

function close(a: number, b: number, tol = 1e-12) {
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
}

test('the figure marks the peak, and the plateau of an IS or DS curve only', async () => {
  const { groupSignalSvg } = await import('../../src/report/telemetry-plot.js');
  const epochs = epochsTo(3, 20);
  const group = (name: string, variance: number[]) => {
    const l = shapeLabel(variance, 0.05);
    return { group: name, width: 8, norm: 'outgoing' as const, score: 'drop' as const, epochs, variance, value: 0.1, label: l.label, reason: l.reason, evidence: l.evidence };
  };
  const ds = groupSignalSvg('t', [group('g', shaped(20, 0.01, 0.04, 0.02))]);
  assert.match(ds, />DS</);
  assert.match(ds, />peak</);
  assert.match(ds, />plateau</);
  const flat = groupSignalSvg('t', [group('g', Array(20).fill(0.02))]);
  assert.doesNotMatch(flat, />plateau</);
  assert.match(flat, />\?</);
});
