// Bad option values (issue 20's cases among them): one line naming the flag and exit code 2, before
// any work (no backend started, nothing trained).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { UsageError } from '../../src/core/errors.js';
import { checkTrainingArgs, type RecipeArgs } from '../../src/cli/options/training.js';
import { runWidthwiseAsync as run } from '../fixtures/widthwise-child.js';

const BIN = new URL('../../bin/widthwise.js', import.meta.url).pathname;
const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

// Through the command line: the exit code, the one line, and that nothing started.
const CASES: [string[], RegExp][] = [
  [['train', 'mlp-mnist', '--max-train', '200', '--max-train', '300'], /^UsageError: --max-train: given 2 times \(200, 300\); give it once$/],
  [['train', 'mlp-mnist', '--momentum', 'NaN'], /^UsageError: --momentum: expected a number in \[0, 1\), found NaN$/],
  [['train', 'mlp-mnist', '--label-smoothing', '2'], /^UsageError: --label-smoothing: expected a number in \[0, 1\), found 2$/],
  [['train', 'mlp-mnist', '--checkpoint-every', '-1', '--save', '/tmp/never-written'], /^UsageError: --checkpoint-every: expected 0 or a positive integer/],
  [['inspect', 'mlp-mnist', '--classes', '-3'], /^UsageError: --classes: expected a positive integer, found -3$/],
  [['export', '/tmp', '--examples', '0'], /^UsageError: --examples: expected a positive integer, found 0$/],
  [['train', 'mlp-mnist', '--frobnicate', '1'], /^Unknown argument: frobnicate$/],
  [['train', 'mlp-mnist', '--widths', '16,8', '--nonzero-weights', '99999'], /^UsageError: --nonzero-weights 99999: sparsity target 99999 exceeds the 12752 kernel weights/],
  [['train', 'mlp-mnist', '--save', '/proc/widthwise-x'], /^UsageError: --save \/proc\/widthwise-x: cannot write a folder there \(ENOENT\)/],
  [['export', '/tmp', '--out', `${BIN}/model.onnx`], /^UsageError: --out .*widthwise\.js\/model\.onnx: cannot write a file there \(not a folder at /],
  // Issue 20's cases: these ran every training before crashing, hung, or were reported under another flag.
  [['search', '--space', 'mlp-mnist', '--budget-ratio', 'NaN'], /^UsageError: --budget-ratio: expected a positive number, found NaN$/],
  [['search', '--space', 'mlp-mnist', '--compare-wide-sparse', '--wide-sparse-scale', '0'], /^UsageError: --wide-sparse-scale: expected a positive number, found 0$/],
  [['baseline', 'mlp-mnist', '--workers', '1', '--workers', '0'], /^UsageError: --workers: given 2 times \(1, 0\); give it once$/],
  [['search', '--space', 'mlp-mnist', '--out', '/proc/x'], /^UsageError: --out \/proc\/x: cannot write a folder there \(ENOENT\)/],
];

// In process, the value checks of every shared training option.
const VALID: RecipeArgs = { epochs: 1, batchSize: 8, optimizer: 'sgd', momentum: 0.9, schedule: 'cosine', seed: 0 };
const VALUES: [Partial<RecipeArgs>, RegExp][] = [
  [{ epochs: 1.5 }, /^--epochs: expected a positive integer, found 1\.5$/],
  [{ epochs: 0 }, /^--epochs: /],
  [{ batchSize: NaN }, /^--batch-size: expected a positive integer, found NaN$/],
  [{ lr: Infinity }, /^--lr: expected a positive number, found Infinity$/],
  [{ lr: 0 }, /^--lr: /],
  [{ momentum: 1 }, /^--momentum: expected a number in \[0, 1\), found 1$/],
  [{ momentum: -0.1 }, /^--momentum: /],
  [{ weightDecay: -1 }, /^--weight-decay: expected a non-negative number, found -1$/],
  [{ weightDecay: NaN }, /^--weight-decay: /],
  [{ labelSmoothing: 1 }, /^--label-smoothing: /],
  [{ warmupEpochs: -1 }, /^--warmup-epochs: /],
  [{ validationFraction: 1 }, /^--validation-fraction: expected a number in \[0, 1\), found 1$/],
  [{ validationFraction: NaN }, /^--validation-fraction: /],
  [{ maxTrain: 0 }, /^--max-train: expected an integer of at least 2, found 0$/],
  [{ maxTrain: 100.5 }, /^--max-train: /],
  [{ seed: NaN }, /^--seed: expected an integer, found NaN$/],
  [{ seed: 1.5 }, /^--seed: /],
];

test('every shared training option refuses NaN, infinite and out-of-range values, naming the flag', () => {
  assert.doesNotThrow(() => checkTrainingArgs(VALID));
  for (const [bad, pattern] of VALUES) {
    assert.throws(() => checkTrainingArgs({ ...VALID, ...bad }), (e: Error) => e instanceof UsageError && pattern.test(e.message), JSON.stringify(bad));
  }
});

test('bad values of train, export, inspect, search and baseline: one line naming the flag, exit code 2, within seconds and before any work', async () => {
  const results: Awaited<ReturnType<typeof run>>[] = [];
  // Four at a time: each case is mostly the start-up of a Node process.
  for (let i = 0; i < CASES.length; i += 4) results.push(...(await Promise.all(CASES.slice(i, i + 4).map(([args]) => run(args)))));
  CASES.forEach(([args, pattern], i) => {
    const r = results[i];
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.split('\n')[0], pattern, args.join(' '));
    assert.doesNotMatch(r.stderr, /backend:|training |    at /, `${args.join(' ')}: no work started, no stack`);
    assert.ok(r.ms < 10_000, `${args.join(' ')} took ${r.ms} ms`);
  });
});

test('--version prints the package version and exits 0', () => {
  const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), VERSION);
});
