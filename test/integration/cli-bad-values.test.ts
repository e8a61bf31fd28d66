// Bad option values of train, export and inspect: one line naming the flag and exit code 2, before
// any work (no backend started, nothing trained).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const BIN = new URL('../../bin/widthwise.js', import.meta.url).pathname;
const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

const CASES: [string[], RegExp][] = [
  [['train', 'mlp-mnist', '--max-train', '200', '--max-train', '300'], /^UsageError: --max-train: given 2 times \(200, 300\); give it once$/],
  [['inspect', 'mlp-mnist', '--classes', '10', '--classes', '3'], /^UsageError: --classes: given 2 times/],
  [['train', 'mlp-mnist', '--momentum', 'NaN'], /^UsageError: --momentum: expected a number in \[0, 1\), found NaN$/],
  [['train', 'mlp-mnist', '--label-smoothing', '2'], /^UsageError: --label-smoothing: expected a number in \[0, 1\), found 2$/],
  [['train', 'mlp-mnist', '--lr', 'Infinity'], /^UsageError: --lr: expected a positive number, found Infinity$/],
  [['train', 'mlp-mnist', '--weight-decay', '-1'], /^UsageError: --weight-decay: expected a non-negative number, found -1$/],
  [['train', 'mlp-mnist', '--validation-fraction', '1'], /^UsageError: --validation-fraction: expected a number in \[0, 1\), found 1$/],
  [['train', 'mlp-mnist', '--max-train', '0'], /^UsageError: --max-train: expected an integer of at least 2, found 0$/],
  [['train', 'mlp-mnist', '--epochs', '1.5'], /^UsageError: --epochs: expected a positive integer, found 1\.5$/],
  [['train', 'mlp-mnist', '--seed', 'NaN'], /^UsageError: --seed: expected an integer, found NaN$/],
  [['train', 'mlp-mnist', '--checkpoint-every', '-1', '--save', '/tmp/never-written'], /^UsageError: --checkpoint-every: expected 0 or a positive integer/],
  [['train', 'mlp-mnist', '--nonzero-weights', '0'], /^UsageError: --nonzero-weights: expected a positive integer, found 0$/],
  [['inspect', 'mlp-mnist', '--classes', '-3'], /^UsageError: --classes: expected a positive integer, found -3$/],
  [['inspect', 'mlp-mnist', '--scale', 'NaN'], /^UsageError: --scale: expected a positive number, found NaN$/],
  [['export', '/tmp', '--examples', '0'], /^UsageError: --examples: expected a positive integer, found 0$/],
  [['train', 'mlp-mnist', '--frobnicate', '1'], /^Unknown argument: frobnicate$/],
];

/** Runs the CLI without blocking, so the cases can share the machine's cores. */
function run(args: string[]): Promise<{ status: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stderr, ms: Date.now() - started }));
  });
}

test('bad values of train, export and inspect: one line naming the flag, exit code 2, within seconds and before any work', async () => {
  // Four at a time: each case is mostly the start-up of a Node process.
  const results: Awaited<ReturnType<typeof run>>[] = [];
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
