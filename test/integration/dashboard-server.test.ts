/**
 * The dashboard server without a browser: what it lets out (path traversal, plain and encoded, and
 * symlinks out of the served folder), that it only reads, and the run states it reads off the
 * run-folder lock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDashboard } from '../../src/dashboard/server.js';
import { lockRunFolder } from '../../src/storage/run-lock.js';

const SECRET = 'the secret outside the served folder';

/** A GET (or other method) of a raw path: no URL normalisation by the client. */
function get(url: string, path: string, options: { method?: string; host?: string } = {}): Promise<{ status: number; body: string; type?: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: options.method ?? 'GET', headers: options.host ? { host: options.host } : {} }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A served folder with one baseline run, a file beside it outside, and symlinks in and out. */
function folders() {
  const base = mkdtempSync(join(tmpdir(), 'ww-dash-'));
  const root = join(base, 'results');
  const run = join(root, 'baseline-x');
  mkdirSync(run, { recursive: true });
  writeFileSync(join(base, 'secret.txt'), SECRET);
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'outside', 'secret.txt'), SECRET);
  writeFileSync(join(run, 'baseline.txt'), 'the table\n');
  symlinkSync(join(base, 'secret.txt'), join(root, 'link-to-secret.txt'));
  symlinkSync(join(base, 'outside'), join(root, 'link-to-outside'));
  symlinkSync(join(run, 'baseline.txt'), join(root, 'link-inside.txt'));
  return { base, root, run };
}

test('only files under the served folder are reachable, however the path is spelt', async () => {
  const { root, base } = folders();
  const before = readdirSync(root).map((n) => `${n}:${statSync(join(root, n)).mtimeMs}`).sort();
  const dashboard = await startDashboard({ root, host: '127.0.0.1', port: 0 });
  try {
    const inside = await get(dashboard.url, '/files/baseline-x/baseline.txt');
    assert.equal(inside.status, 200);
    assert.equal(inside.body, 'the table\n');
    assert.equal((await get(dashboard.url, '/files/link-inside.txt')).body, 'the table\n', 'a symlink that stays inside is followed');
    for (const path of [
      '/files/../secret.txt', '/files/baseline-x/../../secret.txt', '/files/..%2fsecret.txt', '/files/..%2Fsecret.txt',
      '/files/%2e%2e/secret.txt', '/files/%2e%2e%2fsecret.txt', '/files/baseline-x%2f..%2f..%2fsecret.txt', '/files/..%5csecret.txt',
      `/files/${encodeURIComponent(join(base, 'secret.txt'))}`, `/files//${base.slice(1)}/secret.txt`, '/files/%252e%252e/secret.txt',
      '/files/link-to-secret.txt', '/files/link-to-outside/secret.txt', '/files/secret.txt%00.txt', '/files/%E0%A4%A',
      '/run/..%2f', '/run/link-to-outside', '/events/run/..%2f..%2f', '/files/.', '/files/',
    ]) {
      const r = await get(dashboard.url, path);
      assert.equal(r.status, 404, `${path}: ${r.status}`);
      assert.doesNotMatch(r.body, /secret/, path);
    }
    // Read-only: no method that could change anything, and nothing changed.
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) assert.equal((await get(dashboard.url, '/files/baseline-x/baseline.txt', { method })).status, 405, method);
    // On loopback, a page of another site reaching it by DNS rebinding names another host.
    assert.equal((await get(dashboard.url, '/', { host: 'evil.example:80' })).status, 421);
    assert.equal((await get(dashboard.url, '/', { host: `localhost:${new URL(dashboard.url).port}` })).status, 200);
  } finally {
    await dashboard.close();
  }
  assert.deepEqual(readdirSync(root).map((n) => `${n}:${statSync(join(root, n)).mtimeMs}`).sort(), before, 'the served folder is as it was');
});

const HOLDER = new URL('../fixtures/hold-lock.ts', import.meta.url).pathname;

test('a run is running while a live process holds its folder lock, interrupted once that process is killed, finished with its result', async () => {
  const { root, run } = folders();
  const dashboard = await startDashboard({ root, host: '127.0.0.1', port: 0 });
  const state = async () => /id="run-state">(\w+)</.exec((await get(dashboard.url, '/run/baseline-x')).body)?.[1];
  const listed = async () => /data-kind="baseline" data-state="(\w+)"><td><a href="\/run\/baseline-x">/.exec((await get(dashboard.url, '/')).body)?.[1];
  const holder = spawn(process.execPath, ['--import', 'tsx', HOLDER, run, 'widthwise baseline'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', (d) => { if (String(d).includes('locked')) resolve(); });
      holder.once('exit', () => reject(new Error('the lock holder exited')));
    });
    assert.equal(await state(), 'running');
    assert.equal(await listed(), 'running');
  } finally {
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
  }
  try {
    assert.equal(await state(), 'interrupted', 'the lock of a killed process is not a running run');
    assert.equal(await listed(), 'interrupted');
    const rows = [1, 2].map((scale) => ({ scale, kind: 'dense', widths: [8 * scale], connectivity: 1, nonzeroWeights: 80 * scale, params: 90 * scale, macs: 80 * scale, testAccuracy: 0.5 + scale / 10, testAccuracyStd: 0, seeds: 1, accuracies: [0.5 + scale / 10] }));
    writeFileSync(join(run, 'baseline.json'), JSON.stringify({ space: 'tiny', backend: 'cpu', baseKernelWeights: 80, rows }));
    assert.equal(await state(), 'finished');
    const page = (await get(dashboard.url, '/run/baseline-x')).body;
    assert.match(page, /<td>2<\/td><td>dense<\/td><td>16<\/td>/, 'the table row of scale 2');
    assert.match(page, /<svg [^>]*>[\s\S]*tiny: dense vs wide &amp; sparse/, 'the plot');
  } finally {
    await dashboard.close();
  }
});

test('a probe page shows each group\'s label, score and curve from probe.json', async () => {
  const { root } = folders();
  const dir = join(root, 'probes', 'p1');
  mkdirSync(dir, { recursive: true });
  const group = (name: string, label: string, value: number | null) => ({ group: name, width: 16, norm: 'paired', score: 'drop', epochs: [0, 1, 2], variance: [0.1, 0.3, 0.2], value, label, reason: `${name} because` });
  writeFileSync(join(dir, 'probe.json'), JSON.stringify({
    space: 'tiny', widths: [16, 16], dataset: 'mnist', norm: 'paired', score: 'drop', testAccuracy: 0.9, params: 100, macs: 90,
    groups: [group('fc1', 'DS', 0.25), group('fc2', 'undetermined', null)],
  }));
  const dashboard = await startDashboard({ root, host: '127.0.0.1', port: 0 });
  try {
    assert.match((await get(dashboard.url, '/')).body, /data-kind="probe" data-state="finished"><td><a href="\/run\/probes\/p1">/);
    const page = (await get(dashboard.url, '/run/probes/p1')).body;
    assert.match(page, /<tr><td>fc1<\/td><td>16<\/td><td>DS<\/td><td>0\.250<\/td><td>fc1 because<\/td><\/tr>/);
    assert.match(page, /<tr><td>fc2<\/td><td>16<\/td><td>undetermined<\/td><td>-<\/td>/, 'an undefined score (null in JSON) is a dash');
    const svg = /<svg[\s\S]*<\/svg>/.exec(page)?.[0] ?? '';
    assert.equal((svg.match(/<path /g) ?? []).length, 2, 'a curve per group');
  } finally {
    await dashboard.close();
  }
});

test('widthwise dashboard refuses a folder that is not there and a bad port, as bad input, and says when its port is taken', async () => {
  const bin = new URL('../../bin/widthwise.js', import.meta.url).pathname;
  const missing = spawnSync(process.execPath, [bin, 'dashboard', join(tmpdir(), 'ww-no-such-folder')], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /UsageError: .*ww-no-such-folder: no such folder/);
  const port = spawnSync(process.execPath, [bin, 'dashboard', tmpdir(), '--port', '70000'], { encoding: 'utf8' });
  assert.equal(port.status, 2);
  assert.match(port.stderr, /--port: expected an integer from 0 to 65535, found 70000/);
  const first = await startDashboard({ root: tmpdir(), host: '127.0.0.1', port: 0 });
  try {
    const taken = spawnSync(process.execPath, [bin, 'dashboard', tmpdir(), '--port', new URL(first.url).port], { encoding: 'utf8' });
    assert.equal(taken.status, 1);
    assert.match(taken.stderr, /^DashboardError: cannot listen on 127\.0\.0\.1:\d+: in use/);
  } finally {
    await first.close();
  }
});

test('a search journal whose only line is still being written is waited for; a damaged one is an error on the page', async () => {
  const { root } = folders();
  mkdirSync(join(root, 'starting'));
  writeFileSync(join(root, 'starting', 'journal.jsonl'), '{"type":"study-created","at":"2026-');
  mkdirSync(join(root, 'damaged'));
  writeFileSync(join(root, 'damaged', 'journal.jsonl'), 'not an event\n{"type":"study-finished","at":"x"}\n');
  const dashboard = await startDashboard({ root, host: '127.0.0.1', port: 0 });
  try {
    const starting = (await get(dashboard.url, '/run/starting')).body;
    assert.match(starting, /<span id="trials-done">0<\/span> trials finished: the study is being set up/);
    assert.doesNotMatch(starting, /run-error/);
    const damaged = await get(dashboard.url, '/run/damaged');
    assert.equal(damaged.status, 200);
    assert.match(damaged.body, /id="run-error">Cannot read this run: .*journal\.jsonl: line 1: not valid JSON/);
  } finally {
    await dashboard.close();
  }
});

/** Reads server-sent `update` events from `path` until `enough` says stop; returns their data. */
function updates(url: string, path: string, enough: (seen: { html: string }[]) => boolean, onFirst?: () => void): Promise<{ html: string; final?: boolean }[]> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const seen: { html: string }[] = [];
    const req = request({ hostname, port, path }, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream');
      let buffer = '';
      res.on('data', (chunk) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(message)?.[1];
          if (/^event: update$/m.test(message) && data) seen.push(JSON.parse(data));
          if (seen.length === 1 && onFirst) onFirst();
          if (enough(seen)) {
            req.destroy();
            resolve(seen);
          }
        }
      });
    });
    req.on('error', (err) => (seen.length ? undefined : reject(err)));
    req.setTimeout(10_000, () => reject(new Error(`no more updates after ${seen.length}`)));
    req.end();
  });
}

test('the run list and a run page are pushed again when a run appears or changes', async () => {
  const { root } = folders();
  const dashboard = await startDashboard({ root, host: '127.0.0.1', port: 0, pollMs: 200 });
  try {
    const probe = (label: string) => JSON.stringify({ space: 'tiny', widths: [16], dataset: 'mnist', norm: 'paired', score: 'drop', testAccuracy: 0.9, params: 100, macs: 90, groups: [{ group: 'fc1', width: 16, norm: 'paired', score: 'drop', epochs: [0, 1], variance: [0.1, 0.2], value: 0.1, label, reason: 'r' }] });
    const list = await updates(dashboard.url, '/events/list', (seen) => seen.some((u) => u.html.includes('/run/new-probe')), () => {
      mkdirSync(join(root, 'new-probe'));
      writeFileSync(join(root, 'new-probe', 'probe.json'), probe('IS'));
    });
    assert.doesNotMatch(list[0].html, /new-probe/, 'the first list is from before the run');
    const page = await updates(dashboard.url, '/events/run/new-probe', (seen) => seen.length === 2, () => {
      writeFileSync(join(root, 'new-probe', 'probe.json'), probe('DS'));
    });
    assert.match(page[0].html, /<td>fc1<\/td><td>16<\/td><td>IS<\/td>/);
    assert.match(page[1].html, /<td>fc1<\/td><td>16<\/td><td>DS<\/td>/);
  } finally {
    await dashboard.close();
  }
});
