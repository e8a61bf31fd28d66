// Many clients on one run: one source per run (every client is sent the same update, and a page
// load shows what the streams show), a cap on live streams with a clear refusal past it, and the
// run's telemetry read from its side files (a version-3 journal, written by a real SearchRun).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDashboard } from '../../src/dashboard/server.js';
import { SearchRun } from '../../src/pipeline/search-run.js';
import { FakeEvaluator } from '../helpers/fake-evaluator.js';

/** A server-sent event stream: its status, the raw `data:` payloads it got, and a way to close it. */
function follow(url: string, path: string) {
  const { hostname, port } = new URL(url);
  const got: string[] = [];
  let req!: ClientRequest;
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = request({ hostname, port, path }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        if (res.statusCode !== 200) return;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const data = /^data: (.*)$/m.exec(buffer.slice(0, end))?.[1];
          buffer = buffer.slice(end + 2);
          if (data) got.push(data);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, body: buffer }));
      if (res.statusCode === 200) resolve({ status: 200, body: '' });
    });
    req.on('error', (err) => (got.length ? undefined : reject(err)));
    req.end();
  });
  return { answered, got, close: () => req.destroy() };
}

const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ok(), what);
};

const page = (url: string, path: string) => new Promise<string>((resolve, reject) => {
  const { hostname, port } = new URL(url);
  request({ hostname, port, path }, (res) => {
    let body = '';
    res.on('data', (c) => (body += c));
    res.on('end', () => resolve(body));
  }).on('error', reject).end();
});

test('clients of one run get the same updates from one source, a page load shows the same, and streams past the cap are refused by name', async () => {
  // A version-3 run (telemetry in side files), replayed into the served folder one trial at a time.
  const source = join(mkdtempSync(join(tmpdir(), 'ww-dash-c-')), 'source');
  await SearchRun.open({ options: { space: 'mlp-mnist', sampler: 'random', trials: 3, workers: 1, seed: 2, finalEpochs: 1 }, out: source }, {
    startBackend: async () => ({ name: 'fake' }), createEvaluator: () => new FakeEvaluator([96, 160]),
    exportWinner: async () => ({ path: 'winner.onnx', bytes: 1, examples: 1, maxAbsDiff: 0, argmaxAgreement: 1 }),
  }).execute();
  const lines = readFileSync(join(source, 'journal.jsonl'), 'utf8').trim().split('\n');
  const root = mkdtempSync(join(tmpdir(), 'ww-dash-c-'));
  const run = join(root, 'live');
  mkdirSync(run);
  cpSync(join(source, 'telemetry'), join(run, 'telemetry'), { recursive: true });
  const firstEnd = lines.findIndex((l) => l.includes('"type":"trial-finished"'));
  writeFileSync(join(run, 'journal.jsonl'), lines.slice(0, firstEnd + 1).join('\n') + '\n');

  const dashboard = await startDashboard({ root, host: '127.0.0.1', port: 0, pollMs: 200, maxClientsPerRun: 3 });
  const clients = [0, 1, 2].map(() => follow(dashboard.url, '/events/run/live'));
  try {
    for (const c of clients) assert.equal((await c.answered).status, 200);
    const refused = await follow(dashboard.url, '/events/run/live').answered;
    assert.equal(refused.status, 503);
    assert.match(refused.body, /the run live already has 3 live viewers, the most this dashboard serves at once/);
    await until('every client has the first view', () => clients.every((c) => c.got.length >= 1));
    assert.match(JSON.parse(clients[0].got[0]).html, /<b id="trials-done">1<\/b> of 3 trials finished/);

    appendFileSync(join(run, 'journal.jsonl'), lines.slice(firstEnd + 1).join('\n') + '\n');
    await until('every client is told the run finished', () => clients.every((c) => c.got.some((d) => JSON.parse(d).final)));
    const last = clients[0].got.at(-1)!;
    for (const c of clients) assert.equal(c.got.at(-1), last, 'the same bytes to every client');
    // The page shows what the streams show, telemetry read from the side files (the winner's variance figure).
    const html = JSON.parse(last).html as string;
    assert.match(html, /<b id="trials-done">3<\/b> of 3 trials finished/);
    assert.ok((await page(dashboard.url, '/run/live')).includes(html));
    assert.match(html, />(IS|DS)</, 'group labels, read from the trials\' telemetry');

    // A side file gone is an error on the page naming it; once it is back, the run reads whole again.
    const side = readdirSync(join(run, 'telemetry')).sort()[1];
    renameSync(join(run, 'telemetry', side), join(root, 'kept'));
    const fresh = join(root, 'again');
    mkdirSync(fresh);
    cpSync(run, fresh, { recursive: true });
    const broken = await page(dashboard.url, '/run/again');
    assert.match(broken, new RegExp(`id="run-error">Cannot read this run: [^<]*${side.replace(/\./g, '\\.')}: side file missing`));
    renameSync(join(root, 'kept'), join(fresh, 'telemetry', side));
    assert.ok((await page(dashboard.url, '/run/again')).includes('<b id="trials-done">3</b> of 3 trials finished'));

    // A place frees up when a client leaves.
    clients[0].close();
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const next = follow(dashboard.url, '/events/run/live');
      clients.push(next);
      status = (await next.answered).status;
    }
    assert.equal(status, 200);
  } finally {
    for (const c of clients) c.close();
    await dashboard.close();
  }
});
