/**
 * The dashboard under load (issue 26, item 5): `--clients` HTTP clients at once on a search whose
 * journal grows (a real search's journal replayed one trial every `--interval` ms), each loading the
 * page, holding the server-sent event stream and loading the page again halfway
 * (test/helpers/dashboard-load.ts). Prints page-load and update latencies (p50/p99), the server's
 * memory, and whether every client saw every trial count and the end.
 *
 *   nice -n 10 node --import tsx scripts/chaos-dashboard.ts [--clients 100] [--trials 30] [--interval 300]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDashboard, quantile } from '../test/helpers/dashboard-load.js';
import { numberArg, scriptArgs } from './lib/args.js';

const args = scriptArgs({
  clients: { type: 'string', default: '100' },
  trials: { type: 'string', default: '30' },
  interval: { type: 'string', default: '300' },
}, 'node --import tsx scripts/chaos-dashboard.ts [--clients N] [--trials N] [--interval ms]');
const clients = numberArg(args.clients, 'clients');
const BIN = new URL('../bin/widthwise.js', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'ww-dash-load-'));

// A real search's journal to replay: random proposals, 1-epoch proxies on 300 digits, 1-epoch finals.
const source = join(root, 'source');
const made = spawnSync(process.execPath, [BIN, 'search', '--space', 'mlp-mnist', '--sampler', 'random', '--seed', '3', '--trials', String(numberArg(args.trials, 'trials')),
  '--proxy-epochs', '1', '--proxy-max-train', '300', '--final-epochs', '1', '--backend', 'wasm', '--out', source], { encoding: 'utf8' });
if (made.status !== 0) throw new Error(`the source search failed: ${made.stderr}`);
const journalLines = readFileSync(join(source, 'journal.jsonl'), 'utf8').trim().split('\n');

const outcome = await loadDashboard({ journalLines, sourceDir: source, root: join(root, 'served'), clients, intervalMs: numberArg(args.interval, 'interval') });
const everyCount = outcome.seen.filter((s) => s.at(-1) === outcome.trials && Array.from({ length: outcome.trials }, (_, i) => i + 1).every((n) => s.includes(n))).length;
const f = (ms: number) => `${ms.toFixed(0)} ms`;
const lines = [
  `dashboard under load: ${clients} clients, a search journal growing by one trial every ${args.interval} ms (${outcome.trials} trials)`,
  `page loads (${outcome.pageMs.length}): p50 ${f(quantile(outcome.pageMs, 0.5))}, p99 ${f(quantile(outcome.pageMs, 0.99))}, max ${f(Math.max(...outcome.pageMs))}`,
  `updates (journal line to client, ${outcome.updateMs.length}): p50 ${f(quantile(outcome.updateMs, 0.5))}, p99 ${f(quantile(outcome.updateMs, 0.99))}, max ${f(Math.max(...outcome.updateMs))}`,
  `server memory (VmRSS): ${(outcome.rssStartKb / 1024).toFixed(0)} MB idle, ${(outcome.rssPeakKb / 1024).toFixed(0)} MB peak, ${(outcome.rssEndKb / 1024).toFixed(0)} MB at the end`,
  `clients whose updates reached the finished run: ${outcome.sawFinal.filter(Boolean).length} of ${clients}; whose trial counts only ever rose: ${outcome.seen.filter((s) => s.every((n, i) => i === 0 || n > s[i - 1])).length} of ${clients}`,
  `clients shown every trial count 1..${outcome.trials} on its own (not merged into a later update): ${everyCount} of ${clients}; updates a client got: ${Math.min(...outcome.seen.map((s) => s.length))} to ${Math.max(...outcome.seen.map((s) => s.length))}`,
];
process.stdout.write(`${lines.join('\n')}\n`);
