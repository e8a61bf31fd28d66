// The dashboard under load, at a small size (scripts/chaos-dashboard.ts measures 100 clients): a
// real `widthwise dashboard` process, 12 clients each loading the page, holding its event stream and
// loading it again while a search's journal grows one trial at a time. Every client must be
// brought to the finished run with its trial count only ever rising, within bounds on latency and
// on the server's memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDashboard, quantile } from '../helpers/dashboard-load.js';
import { runWidthwise } from '../fixtures/widthwise-child.js';

test('12 clients on a growing search: each brought to the finished run, counts only rising, p99 latencies and memory bounded', { skip: existsSync('/proc/self/status') ? false : 'reads the server\'s memory from /proc', timeout: 180_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'ww-dash-load-'));
  const made = runWidthwise(['search', '--space', 'mlp-mnist', '--dataset', 'synthetic', '--sampler', 'random', '--seed', '3', '--trials', '5',
    '--proxy-epochs', '1', '--proxy-max-train', '300', '--final-epochs', '1', '--backend', 'wasm', '--out', join(root, 'source')]);
  assert.equal(made.status, 0, made.stderr);
  const journalLines = readFileSync(join(root, 'source', 'journal.jsonl'), 'utf8').trim().split('\n');
  const clients = 12;
  const outcome = await loadDashboard({ journalLines, sourceDir: join(root, 'source'), root: join(root, 'served'), clients, intervalMs: 300 });
  assert.equal(outcome.trials, 5, 'five trials written');
  assert.deepEqual(outcome.sawFinal, Array(clients).fill(true), 'every client was told the run finished');
  for (const [c, counts] of outcome.seen.entries()) {
    assert.equal(counts.at(-1), 5, `client ${c} ends at 5 trials (saw ${counts.join(',')})`);
    assert.ok(counts.every((n, i) => i === 0 || n > counts[i - 1]), `client ${c}: counts only rise (${counts.join(',')})`);
  }
  assert.equal(outcome.pageMs.length, 2 * clients, 'every page load answered');
  // Generous bounds for a busy 2-core CI machine; the script's figures are the measurement.
  assert.ok(quantile(outcome.pageMs, 0.99) < 20_000, `page p99 ${quantile(outcome.pageMs, 0.99)} ms`);
  assert.ok(quantile(outcome.updateMs, 0.99) < 20_000, `update p99 ${quantile(outcome.updateMs, 0.99)} ms`);
  assert.ok(outcome.rssPeakKb < 600 * 1024, `server peak memory ${(outcome.rssPeakKb / 1024).toFixed(0)} MB`);
});
