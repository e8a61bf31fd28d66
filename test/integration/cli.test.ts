import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../src/cli/command-list.js';

const BIN = new URL('../../bin/widthwise.js', import.meta.url).pathname;

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('inspect --json agrees with the published ResNet-20 count and lists groups in order', () => {
  const r = run('inspect', 'resnet20-cifar', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.params, 269_722);
  assert.equal(out.groups.length, 12);
  assert.equal(out.groups[0], 'stage1');
  // 19 convs (stem + 9 blocks x 2) and the dense head: the 20 of ResNet-20.
  assert.equal(out.layers.length, 20);
});

test('inspect prints a table with totals; --classes changes the head', () => {
  const r = run('inspect', 'mlp-mnist', '--classes', '100');
  assert.equal(r.code, 0, r.stderr);
  // 784*256+256 + 256*128+128 + 128*100+100 = 200,960 + 32,896 + 12,900
  assert.match(r.stdout, /total\s+246,756/);
});

test('bad inputs: one clear line on stderr and a non-zero exit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ww-cli-'));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ name: 'x', input: [28, 28, 1], classes: 10, dataset: 'mnist', groups: [{ name: 'a', base: 8, min: 4, max: 16, step: 4 }], layers: [{ type: 'conv', name: 'c', group: 'a', kernel: 3, strides: 2 }, { type: 'gap' }, { type: 'dense', name: 'o' }] }));
  const depthwiseFirst = join(dir, 'depthwise-first.json');
  writeFileSync(depthwiseFirst, JSON.stringify({ name: 'x', input: [8, 8, 3], classes: 10, dataset: 'synthetic', groups: [{ name: 'a', base: 8, min: 4, max: 16, step: 4 }], layers: [{ type: 'depthwise', name: 'dw', kernel: 3 }, { type: 'conv', name: 'c', group: 'a', kernel: 3 }, { type: 'gap' }, { type: 'dense', name: 'o' }] }));
  // Exit codes (README): 2 for bad input found before any work, 1 for a failure.
  const cases: [string[], RegExp, number][] = [
    [['inspect', 'no-such-space'], /^SpaceError: no-such-space: no such file.*resnet20-cifar/, 2],
    [['inspect', bad], /^SpaceError: .*bad\.json: \$\.layers\[0\]\.strides: .*unknown key/, 2],
    [['inspect', depthwiseFirst], /^SpaceError: .*depthwise-first\.json: \$\.layers\[0\]: .*depthwise/, 2],
    [['inspect', 'cnn-mnist', '--widths', '8,16'], /^SpaceError: .*expected 4 widths/, 2],
    [['inspect', 'cnn-mnist', '--widths', '8,16,32,1000'], /^SpaceError: .*group "fc1".*found 1000/, 2],
    [['inspect', 'cnn-mnist', '--widths', '8,16,32,32', '--scale', '2'], /^UsageError: give either --widths or --scale/, 2],
    [['search', '--prior', 'maybe'], /Invalid values|prior/, 2],
    [['train', 'cnn-mnist', '--dataset', 'cifar10'], /^DataError: /, 1],
    [['train', 'cnn-mnist', '--dataset', 'mnist-idx', '--data-dir', dir], /^DataError: .*/, 1],
    [['frobnicate'], /Unknown argument|Did you mean/, 2],
  ];
  for (const [args, pattern, code] of cases) {
    const r = run(...args);
    assert.equal(r.code, code, `${args.join(' ')}: exit ${r.code}, expected ${code}`);
    assert.match(r.stderr.split('\n').filter((l) => !l.startsWith('backend:') && !l.startsWith('training '))[0], pattern, args.join(' '));
    assert.doesNotMatch(r.stderr, /    at /, 'no stack trace without --verbose');
  }
});

test('train mlp-mnist --epochs 3 reaches 0.90 test accuracy on the bundled digits and reports its backend', () => {
  const r = run('train', 'mlp-mnist', '--epochs', '3', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.ok(out.testAccuracy >= 0.9, `test accuracy ${out.testAccuracy}`);
  assert.equal(out.params, 235_146);
  assert.equal(out.macs, 234_752);
  assert.ok(['wasm', 'cpu', 'node', 'node-gpu'].includes(out.backend));
  assert.match(r.stderr, /^backend: /m);
  for (const key of ['trainLoss', 'seconds']) assert.equal(typeof out[key], 'number');
});

test('baseline --json: sparse rows keep exactly the nonzero weights of scale 1', () => {
  const out = mkdtempSync(join(tmpdir(), 'ww-bl-'));
  const r = run('baseline', 'mlp-mnist', '--epochs', '1', '--max-train', '300', '--seeds', '1', '--scales', '1,1.41,2', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const { rows } = JSON.parse(r.stdout);
  // 784*256 + 256*128 + 128*10 kernel weights at scale 1.
  const base = 784 * 256 + 256 * 128 + 128 * 10;
  assert.equal(rows.find((x: any) => x.scale === 1 && x.kind === 'dense').nonzeroWeights, base);
  for (const row of rows.filter((x: any) => x.kind === 'sparse')) {
    assert.equal(row.nonzeroWeights, base);
    assert.ok(row.connectivity < 1 && row.macs > base);
    for (const key of ['scale', 'testAccuracy']) assert.equal(typeof row[key], 'number');
  }
  assert.equal(rows.filter((x: any) => x.kind === 'sparse').length, 2);
});

test('probe --json: every group a finite score and a shape label that agrees with its evidence and says why; layers carry their group\'s reading', () => {
  const out = mkdtempSync(join(tmpdir(), 'ww-probe-'));
  const r = run('probe', 'mlp-mnist', '--epochs', '1', '--max-train', '300', '--record-every', '1', '--norm', 'displacement', '--score', 'growth', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  assert.deepEqual([p.norm, p.score], ['displacement', 'growth']);
  assert.deepEqual(p.groups.map((g: { group: string }) => g.group), ['fc1', 'fc2']);
  for (const g of p.groups) {
    assert.ok(Number.isFinite(g.value), `${g.group}: score ${g.value}`);
    // The rule, from the evidence the label reports (rise and fall against the seed noise).
    const e = g.evidence;
    const expected = !e || e.startsHigh || !(e.rise > 2 * e.noise) ? 'undetermined' : e.fall <= e.noise ? 'IS' : e.fall > 2 * e.noise ? 'DS' : 'undetermined';
    assert.equal(g.label, expected, `${g.group}: ${g.reason}`);
    assert.ok(g.reason.length > 0);
  }
  const byName = Object.fromEntries(p.layers.map((l: { name: string }) => [l.name, l]));
  assert.equal(byName.fc1.score, p.groups[0].value);
  assert.equal(byName.out.score, null, 'the output layer has no group and no score');
});

test('the top-level help lists every command, described as its own help describes it', () => {
  const top = run('--help');
  assert.equal(top.code, 0, top.stderr);
  for (const { name, describe } of Object.values(COMMANDS)) {
    // main.ts lists the commands that do not run from command-list; train and probe keep their own text.
    const own = run(name, '--help');
    assert.equal(own.code, 0, own.stderr);
    assert.ok(own.stdout.split('\n').some((line) => line.trim() === describe), `${name} --help describes it as command-list does`);
    assert.match(top.stdout, new RegExp(`widthwise ${name}\\b`));
  }
});
