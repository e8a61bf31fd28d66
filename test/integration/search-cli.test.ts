import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/widthwise.js', import.meta.url).pathname;
const ARGS = ['search', '--space', 'mlp-mnist', '--sampler', 'random', '--trials', '6', '--workers', '2', '--proxy-epochs', '1', '--proxy-max-train', '300', '--final-epochs', '1', '--seed', '3', '--backend', 'wasm'];

const events = (dir: string) => existsSync(join(dir, 'journal.jsonl'))
  ? readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } })
  : [];
const finishedWidths = (dir: string) => events(dir).filter((e) => e.type === 'trial-finished').map((e) => e.result.widths.join(',')).sort();

test('a search killed mid-run and resumed ends with the trials of an uninterrupted run, none run twice', async () => {
  const whole = mkdtempSync(join(tmpdir(), 'ww-search-'));
  const r = spawnSync(process.execPath, [BIN, ...ARGS, '--out', whole, '--json', '--compare-wide-sparse'], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.trials, 6);
  for (const key of ['widths', 'params', 'macs', 'testAccuracy']) assert.ok(key in summary.winner && key in summary.base, key);
  assert.ok(summary.winner.macs <= summary.budgetMacs);
  // The wide & sparse network (base x2) keeps exactly the winner's kernel weights: 784a + ab + 10b.
  const [a, b] = summary.winner.widths;
  assert.deepEqual(summary.wideSparse.widths, [512, 256]);
  assert.equal(summary.wideSparse.nonzeroWeights, 784 * a + a * b + 10 * b);
  assert.ok(existsSync(join(whole, 'report.html')) && existsSync(join(whole, 'summary.json')));

  const dir = mkdtempSync(join(tmpdir(), 'ww-search-'));
  const child = spawn(process.execPath, [BIN, ...ARGS, '--out', dir], { stdio: 'ignore' });
  const killedAfter = await new Promise<number>((resolve) => {
    const poll = setInterval(() => {
      const n = finishedWidths(dir).length;
      if (n >= 2) {
        child.kill('SIGKILL');
        clearInterval(poll);
        resolve(n);
      }
    }, 100);
  });
  await new Promise((resolve) => child.on('exit', resolve));
  const before = finishedWidths(dir);
  assert.ok(killedAfter >= 2 && before.length < 6, `killed after ${before.length} trials`);

  const resumed = spawnSync(process.execPath, [BIN, 'search', '--resume', dir, '--json'], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(resumed.status, 0, resumed.stderr);
  const after = finishedWidths(dir);
  assert.deepEqual(after, finishedWidths(whole), 'same set of trials as the uninterrupted run');
  assert.equal(new Set(after).size, after.length, 'no trial finished twice');
  assert.equal(JSON.parse(resumed.stdout).trials, 6);

  const changed = spawnSync(process.execPath, [BIN, 'search', '--resume', dir, '--trials', '9'], { encoding: 'utf8' });
  assert.notEqual(changed.status, 0);
  assert.match(changed.stderr, /ResumeError: .*different config.*trials/);
});

test('an impossible budget is a BudgetError before any training', () => {
  const r = spawnSync(process.execPath, [BIN, 'search', '--space', 'mlp-mnist', '--budget-macs', '100', '--out', mkdtempSync(join(tmpdir(), 'ww-b-'))], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /^BudgetError: mlp-mnist: no width vector fits the budget/m);
  assert.doesNotMatch(r.stderr, /backend:/, 'failed before starting a backend');
});

// A final export that cannot write its target, then resumed: search-resume-kill.test.ts.
