// Screenshot of a run's dashboard page in chromium, for results/experiments/dashboard.png:
//   npx tsx scripts/dashboard-screenshot.ts <served folder> <run path under it> <out.png>
// e.g. after `widthwise search --space cnn-mnist --trials 6 --workers 1 --proxy-epochs 3
// --proxy-max-train 1000 --final-epochs 1 --out /tmp/runs/search-cnn`:
//   npx tsx scripts/dashboard-screenshot.ts /tmp/runs search-cnn results/experiments/dashboard.png
import { chromium } from 'playwright-core';
import { startDashboard } from '../src/dashboard/server.js';

const [root, runPath, out] = process.argv.slice(2);
if (!root || runPath === undefined || !out) throw new Error('usage: dashboard-screenshot.ts <served folder> <run path> <out.png>');
const dashboard = await startDashboard({ root, host: '127.0.0.1', port: 0 });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${dashboard.url}run/${runPath}`);
  await page.waitForSelector('#run-state');
  // Let the live connection say what it is before the picture.
  await page.waitForFunction(() => document.getElementById('connection')?.textContent !== 'connecting');
  await page.screenshot({ path: out, fullPage: true });
} finally {
  await browser.close();
  await dashboard.close();
}
