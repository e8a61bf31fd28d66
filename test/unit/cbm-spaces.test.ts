/**
 * The Channel-Bench-Macro spaces against the benchmark's own counts: `params` and `flops` of every
 * one of the 16,384 width vectors of each network when the tables are present (next to the repo,
 * `../shared/data/channel-bench-macro/`, or in $WIDTHWISE_CBM_DIR), and of a committed sample of
 * 20 vectors per network (test/fixtures/cbm-counts.json) otherwise. The tables carry no licence,
 * so they are read where they are, never shipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { spaceCost } from '../../src/cost/index.js';
import { loadSpace } from '../../src/space/index.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const tableDir = process.env.WIDTHWISE_CBM_DIR ?? join(repoRoot, '..', 'shared', 'data', 'channel-bench-macro');

/** Each network's width maxima, c0..c6, from the benchmark's README (a key's digit k is k quarters of these). */
const NETWORKS = [
  { space: 'cbm-resnet', file: 'Results_ResNet.json', maxima: [256, 256, 256, 512, 512, 512, 512] },
  { space: 'cbm-mobilenet', file: 'MobileNet_cost.json', maxima: [128, 768, 768, 768, 256, 1536, 1024] },
];

type Counts = Record<string, { params: number; flops: number }>;
const sample = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'cbm-counts.json'), 'utf8')) as Record<string, Counts>;

for (const { space: name, file, maxima } of NETWORKS) {
  const path = join(tableDir, file);
  const full = existsSync(path);
  test(`${name}: params and MACs equal the table's params and flops for ${full ? `all vectors of ${file}` : 'the committed sample (table not found)'}`, () => {
    const space = loadSpace(name);
    // One group per table position, in order, on exactly the table's four widths; base 2222222.
    assert.deepEqual(space.groups.map((g) => g.name), ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    space.groups.forEach((g, i) => {
      assert.deepEqual([g.min, g.min + g.step, g.min + 2 * g.step, g.max], [1, 2, 3, 4].map((k) => (k * maxima[i]) / 4), g.name);
      assert.equal(g.base, maxima[i] / 2, g.name);
    });
    const counts: Counts = full ? JSON.parse(readFileSync(path, 'utf8')) : sample[name];
    const keys = Object.keys(counts);
    if (full) assert.equal(keys.length, 4 ** 7);
    else assert.equal(keys.length, 20);
    const wrong: string[] = [];
    for (const key of keys) {
      const widths = [...key].map((digit, i) => (Number(digit) * maxima[i]) / 4);
      const cost = spaceCost(space, widths);
      const row = counts[key];
      if (cost.params !== row.params || cost.macs !== row.flops) wrong.push(`${key}: params ${cost.params} (table ${row.params}), MACs ${cost.macs} (table ${row.flops})`);
    }
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} of ${keys.length} vectors differ`);
  });
}

test('the committed sample agrees with the tables where they are present', (t) => {
  for (const { space, file } of NETWORKS) {
    const path = join(tableDir, file);
    if (!existsSync(path)) {
      t.diagnostic(`${path} not found: sample not cross-checked`);
      continue;
    }
    const table = JSON.parse(readFileSync(path, 'utf8')) as Counts;
    for (const [key, row] of Object.entries(sample[space])) assert.deepEqual({ params: table[key].params, flops: table[key].flops }, row, `${space} ${key}`);
  }
});
