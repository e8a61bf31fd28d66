/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core), following a real
 * search run in another process: the trial count grows on the page without a reload, the charts are
 * drawn, nothing goes to the console as an error, and the finished run shows the journal's winner.
 * Skipped with a message where chromium is missing outside CI; in CI (.ci/run installs it) it runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/widthwise.js', import.meta.url).pathname;
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p));
const TRIALS = 6;

const journalEvents = (dir: string): { type: string; [k: string]: unknown }[] => readFileSync(join(dir, 'journal.jsonl'), 'utf8')
  .split('\n').filter((l) => l.trim()).flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });

/** Starts `widthwise dashboard` and resolves with the URL it prints. */
async function startDashboardCli(root: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'dashboard', root, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`dashboard exited with ${code} before printing its URL`)));
  });
  return { child, url };
}

test('the dashboard follows a running search in chromium and shows its winner', { skip: !CHROMIUM && !process.env.CI ? 'no chromium installed (apt-get install chromium); CI installs it and runs this test' : false }, async () => {
  assert.ok(CHROMIUM, 'CI must have chromium (.ci/run installs it)');
  const { chromium } = await import('playwright-core');
  const root = mkdtempSync(join(tmpdir(), 'ww-dash-browser-'));
  const runDir = join(root, 'live-search');
  const dashboard = await startDashboardCli(root);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  let search: ChildProcess | undefined;
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(dashboard.url);
    await page.waitForSelector('#no-runs');

    search = spawn(process.execPath, [BIN, 'search', '--space', 'mlp-mnist', '--sampler', 'random', '--trials', String(TRIALS), '--workers', '1',
      '--proxy-epochs', '1', '--proxy-max-train', '600', '--final-epochs', '1', '--seed', '5', '--backend', 'wasm', '--out', runDir], { stdio: 'ignore' });
    const searchExit = new Promise<number | null>((resolve) => search!.once('exit', resolve));

    // The run list picks the new run up by itself; its page then follows it.
    await page.click('a[href="/run/live-search"]', { timeout: 20_000 });
    await page.waitForSelector('#trials-done');
    await page.evaluate(() => { (window as unknown as { sameDocument: boolean }).sameDocument = true; });
    const seen: { trials: number; state: string }[] = [];
    for (;;) {
      const now = await page.evaluate(() => ({ trials: Number(document.getElementById('trials-done')?.textContent), state: document.getElementById('run-state')?.textContent ?? '' }));
      if (!seen.length || seen.at(-1)!.trials !== now.trials || seen.at(-1)!.state !== now.state) seen.push(now);
      if (now.state === 'finished') break;
      await page.waitForTimeout(100);
      assert.ok(seen.length < 1000);
    }
    assert.equal(await searchExit, 0, 'the search succeeded');
    const whileRunning = seen.filter((s) => s.state === 'running').map((s) => s.trials);
    assert.ok(new Set(whileRunning).size >= 2 && whileRunning.at(-1)! > whileRunning[0], `the trial count grew while the search ran: ${JSON.stringify(seen)}`);
    assert.ok(whileRunning.every((n, i) => i === 0 || n >= whileRunning[i - 1]), 'and never went back');
    assert.equal(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true, 'updated without a reload');

    // The finished page against the journal, read independently.
    const events = journalEvents(runDir);
    assert.equal(seen.at(-1)!.trials, events.filter((e) => e.type === 'trial-finished' || e.type === 'trial-failed').length);
    const chosen = events.find((e) => e.type === 'winner-chosen')!;
    const winnerText = await page.textContent('#winner');
    assert.match(winnerText!, new RegExp(`trial ${chosen.trialId}, widths ${(chosen.widths as number[]).join(', ')}`));
    assert.match(await page.textContent('#connection') ?? '', /finished/);

    // The charts: width profile, progress (best so far, accuracy against MACs), variance per group.
    const figures = await page.$$eval('#live figure svg', (svgs) => svgs.map((s) => ({ text: s.textContent ?? '', circles: s.querySelectorAll('circle').length, paths: s.querySelectorAll('path').length })));
    const figure = (title: string) => figures.find((f) => f.text.includes(title));
    assert.ok(figure('Width profile')!.paths >= 2, 'base and winner width profiles');
    const progress = figure('Search progress')!;
    assert.ok(progress.text.includes('budget') && progress.text.includes('winner (final)'), 'budget line and winner point');
    assert.ok(progress.circles >= TRIALS, 'a point per trial');
    assert.ok(figure('normalised variance')!.paths >= 2, 'a variance curve per group');
    assert.equal(await page.$$eval('#trials tr td:nth-child(4)', (cells) => cells.filter((c) => c.textContent === 'ok').length), TRIALS, 'a table row per trial');
    assert.deepEqual(problems, []);
  } finally {
    search?.kill('SIGKILL');
    await browser.close();
    dashboard.child.kill('SIGTERM');
  }
});
