// `widthwise search --table` through the command line: a bad table is one line and exit 2 before
// any work, and 100 trials end to end take seconds without ever loading tfjs (a preloaded hook
// fails any import of a @tensorflow package and logs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { realResnetTable, writeTinyTable } from '../helpers/bench-tables.js';

const BIN = new URL('../../bin/widthwise.js', import.meta.url).pathname;
const FORBID_TFJS = new URL('../fixtures/forbid-tfjs.mjs', import.meta.url).pathname;

function widthwise(args: string[], tfjsLog: string): Promise<{ status: number | null; stdout: string; stderr: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', FORBID_TFJS, BIN, ...args], { env: { ...process.env, WIDTHWISE_TFJS_LOG: tfjsLog }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr, seconds: (performance.now() - started) / 1000 }));
  });
}

test('a bad --table is one line on stderr and exit 2, before any work', async () => {
  const tiny = writeTinyTable();
  writeFileSync(join(tiny.dir, 'bad.json'), '[1, 2');
  const log = join(tiny.dir, 'tfjs.log');
  const cases: [string[], RegExp][] = [
    [['--space', tiny.space, '--table', join(tiny.dir, 'nope.json')], /^UsageError: --table: .*nope\.json: no such file/],
    [['--space', tiny.space, '--table', join(tiny.dir, 'bad.json')], /^UsageError: --table: .*bad\.json: /],
    [['--space', 'cbm-resnet', '--table', tiny.table], /^UsageError: --table: .*keys have 4 digits but space cbm-resnet has 7 width groups$/],
  ];
  const runs = await Promise.all(cases.map(([args]) => widthwise(['search', ...args, '--out', join(tiny.dir, 'never')], log)));
  runs.forEach((r, i) => {
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], cases[i][1]);
    assert.equal(r.stdout, '');
  });
  assert.ok(!existsSync(join(tiny.dir, 'never')), 'no run folder was made');
});

test('100 trials from a table in seconds, end to end, without loading tfjs', async () => {
  const fixture = realResnetTable() ?? writeTinyTable();
  const dir = join(writeTinyTable().dir, 'run');
  const log = join(dir, '..', 'tfjs.log');
  const r = await widthwise(['search', '--space', fixture.space, '--table', fixture.table, '--sampler', 'random', '--trials', '100', '--workers', '4', '--budget-ratio', '3', '--out', dir], log);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!existsSync(log), `tfjs was loaded: ${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
  assert.match(r.stdout, /^100 trials \(0 failed\)/m);
  assert.match(r.stdout, /no weights exist, nothing was exported/);
  assert.doesNotMatch(r.stdout, /ONNX/);
  // Generous: it takes about 2 s on a quiet machine; the timing itself is the benchmark's.
  assert.ok(r.seconds < 60, `${r.seconds.toFixed(1)} s`);
});
