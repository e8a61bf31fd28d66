/** The dashboard's HTML: a page shell around a live part, and the run list. */
import { REPORT_CSS } from '../report/search-report.js';
import type { RunFolder } from './runs.js';
import { esc, type RunView } from './views.js';

const DASHBOARD_CSS = `
.state{display:inline-block;padding:1px 8px;border-radius:9px;color:white;font-size:12px;font-weight:bold}
.state-running{background:#1f77b4}.state-finished{background:#2ca02c}.state-interrupted{background:#ff7f0e}
#connection{float:right;font-size:12px;color:#777}.error{color:#b00020}
nav a{margin-right:12px} figure svg{max-width:100%;height:auto}`;

/** A run's address in the dashboard, each path segment encoded. */
export const runHref = (path: string) => `/run/${path.split('/').map(encodeURIComponent).join('/')}`;

/**
 * A whole page: `live` is replaced by what the server sends on `eventsUrl` (server-sent events),
 * so the page follows its run without a reload; it is also the page's content without JavaScript.
 */
export function pageHtml(title: string, live: string, eventsUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)} - widthwise dashboard</title><link rel="icon" href="data:,">
<style>${REPORT_CSS}${DASHBOARD_CSS}</style></head>
<body>
<nav><a href="/">all runs</a><span id="connection">connecting</span></nav>
<h1 id="title">${esc(title)}</h1>
<main id="live" data-events="${esc(eventsUrl)}">${live}</main>
<script src="/assets/dashboard.js"></script>
</body></html>
`;
}

/** The run list: one row per run, linking to its page. */
export function runListHtml(root: string, runs: { run: RunFolder; view: RunView }[]): string {
  if (!runs.length) return `<p id="no-runs">No runs in <code>${esc(root)}</code> yet: a search, probe or baseline writing there appears here as it starts.</p>`;
  const rows = runs.map(({ run, view }) => `<tr class="run" data-kind="${run.kind}" data-state="${view.state}"><td><a href="${runHref(run.path)}">${esc(run.path || '.')}</a></td><td>${run.kind}</td><td><span class="state state-${view.state}">${view.state}</span></td><td>${esc(view.line)}</td></tr>`);
  return `<p>Runs in <code>${esc(root)}</code> (<span id="run-count">${runs.length}</span>).</p>
<table id="runs"><tr><th>run folder</th><th>kind</th><th>state</th><th>what</th></tr>
${rows.join('\n')}
</table>`;
}

/**
 * The page's script: replaces the live part with each update, says whether it is connected, and
 * stops listening once a run has finished (nothing more will come).
 */
export const CLIENT_SCRIPT = `'use strict';
(function () {
  var live = document.getElementById('live');
  var connection = document.getElementById('connection');
  var source = new EventSource(live.dataset.events);
  source.addEventListener('update', function (event) {
    var update = JSON.parse(event.data);
    live.innerHTML = update.html;
    if (update.title) document.getElementById('title').textContent = update.title;
    connection.textContent = update.final ? 'finished: no more updates' : 'live';
    if (update.final) source.close();
  });
  source.addEventListener('open', function () { connection.textContent = 'live'; });
  // EventSource reconnects by itself; say so instead of failing.
  // A refused stream (the run has too many viewers) or a server that went away is closed for good.
  source.addEventListener('error', function () { connection.textContent = source.readyState !== 2 ? 'reconnecting' : 'not live: reload the page to try again'; });
})();
`;
