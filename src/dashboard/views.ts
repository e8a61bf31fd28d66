/**
 * What the dashboard shows of one run, as HTML for the page's live part. A search is drawn from
 * its journal through the same summary and figures as its report.html (pipeline's summary, report's
 * figures and sections), plus what only a live page needs: its state, the trial count, the moves.
 * Probes and baselines are drawn from their result files with report's own plots.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { summaryFromJournal } from '../pipeline/summary-from-journal.js';
import { baselineSvg, type BaselinePoint } from '../report/baseline-plot.js';
import { searchFigures, searchReportSections } from '../report/search-report.js';
import type { SearchSummary } from '../report/search-summary.js';
import { groupSignalSvg } from '../report/telemetry-plot.js';
import type { JournalEvent } from '../storage/journal.js';
import { runStateOf, type RunFolder, type RunState } from './runs.js';

/** One run as the dashboard shows it. */
export interface RunView {
  title: string;
  state: RunState;
  /** The live part of the run's page. */
  html: string;
  /** One line for the run list: what it is and how far it got. */
  line: string;
}

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pct = (v: number | undefined | null) => (typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : '-');
const int = (v: number | undefined) => (v === undefined ? '-' : v.toLocaleString('en-US'));
const fileLink = (run: RunFolder, name: string) => `<a href="/files/${run.path.split('/').map(encodeURIComponent).join('/')}/${encodeURIComponent(name)}">${esc(name)}</a>`;

function stateBadge(state: RunState): string {
  return `<span class="state state-${state}" id="run-state">${state}</span>`;
}

/** A search run from the events of its journal read so far. */
export function searchView(run: RunFolder, events: JournalEvent[]): RunView {
  const created = events.find((e) => e.type === 'study-created');
  if (!created) {
    // The journal exists but its first line is not complete yet.
    const state = runStateOf(run.dir, false);
    return { title: run.path, state, html: `<p>${stateBadge(state)} <span id="trials-done">0</span> trials finished: the study is being set up.</p>`, line: 'search, starting' };
  }
  const summary = summaryFromJournal(events, run.path);
  const state = runStateOf(run.dir, summary.finished);
  const maxTrials = Number((created.config as { trials?: unknown }).trials) || undefined;
  return { title: `search ${summary.space} on ${summary.dataset}`, state, html: searchHtml(run, summary, state, maxTrials), line: searchLine(summary, maxTrials) };
}

function bestTrial(s: SearchSummary) {
  return s.history.filter((t) => t.status === 'ok' && t.validationAccuracy !== undefined)
    .reduce<(typeof s.history)[number] | undefined>((a, b) => (!a || b.validationAccuracy! > a.validationAccuracy! ? b : a), undefined);
}

function searchLine(s: SearchSummary, maxTrials: number | undefined): string {
  const best = bestTrial(s);
  return `search ${s.space} on ${s.dataset} (${s.sampler}): ${s.trials}${maxTrials ? ` of ${maxTrials}` : ''} trials${best ? `, best proxy accuracy ${pct(best.validationAccuracy)}` : ''}${s.winner ? `; winner ${s.winner.widths.join(',')}, test ${pct(s.winner.testAccuracy)}` : ''}`;
}

function searchHtml(run: RunFolder, s: SearchSummary, state: RunState, maxTrials: number | undefined): string {
  const best = bestTrial(s);
  const running = s.history.filter((t) => t.status === 'running').length;
  // The sampler's reasons for each proposal, in order: for streamline, its moves.
  const moves = s.history.filter((t) => t.note).map((t) => `<li>trial ${t.trialId} (${t.widths.join(', ')}): ${esc(t.note!)}</li>`);
  const winner = s.winner
    ? `<p id="winner">Winner: trial ${s.winner.trialId}, widths <b>${s.winner.widths.join(', ')}</b>, test accuracy ${pct(s.winner.testAccuracy)} (${int(s.winner.macs)} MACs).</p>`
    : `<p id="winner-pending">No winner yet${state === 'running' ? ': chosen when the trials are done' : ''}.</p>`;
  return `<p class="status">${stateBadge(state)} <b id="trials-done">${s.trials}</b>${maxTrials ? ` of ${maxTrials}` : ''} trials finished${running ? `, ${running} running` : ''}${best ? `; best proxy accuracy ${pct(best.validationAccuracy)} (trial ${best.trialId}, ${best.widths.join(', ')})` : ''}.
Files: ${fileLink(run, 'journal.jsonl')}${s.finished ? `, ${fileLink(run, 'report.html')}, ${fileLink(run, 'summary.json')}` : ''}.</p>
${winner}
<h2>Moves of the sampler</h2>
${moves.length ? `<ol id="moves">${moves.join('\n')}</ol>` : '<p>None yet.</p>'}
${searchReportSections(s, searchFigures(s))}`;
}

/** A group's reading as probe.json holds it (variance's GroupSignal, as the plot takes it). */
type GroupSignal = Parameters<typeof groupSignalSvg>[1][number];

interface ProbeFile {
  space: string;
  widths: number[];
  dataset: string;
  norm: string;
  score: string;
  testAccuracy: number;
  params: number;
  macs: number;
  groups: GroupSignal[];
}

/** A probe run from its probe.json (written at its end; a probe holds no lock). */
export function probeView(run: RunFolder): RunView {
  const p = JSON.parse(readFileSync(join(run.dir, 'probe.json'), 'utf8')) as ProbeFile;
  // JSON turns an undefined score (NaN) into null; the plot wants NaN.
  const groups = p.groups.map((g) => ({ ...g, value: typeof g.value === 'number' ? g.value : NaN }));
  const rows = groups.map((g) => `<tr><td>${esc(g.group)}</td><td>${g.width}</td><td>${esc(g.label)}</td><td>${Number.isFinite(g.value) ? g.value.toFixed(3) : '-'}</td><td>${esc(g.reason)}</td></tr>`).join('\n');
  const svg = groupSignalSvg(`${p.space} at ${p.widths.join(',')}: normalised variance of the ${p.norm} norms`, groups);
  const html = `<p class="status">${stateBadge('finished')} ${esc(p.space)} at widths ${p.widths.join(', ')} on ${esc(p.dataset)}: test accuracy ${pct(p.testAccuracy)}, ${int(p.params)} params, ${int(p.macs)} MACs. Files: ${fileLink(run, 'probe.json')}.</p>
<h2>Group labels (the ${esc(p.norm)} norm's variance curve against the measured seed noise; score: ${esc(p.score)}, higher needs width more)</h2>
<p>IS: rose and ends within the seed noise of its peak (wide enough). DS: rose, peaked and ends more than twice the noise below it (too narrow). ?: did not rise, or a fall within two noise widths. The figure marks each curve's peak and the plateau it ends on.</p>
<table><tr><th>group</th><th>width</th><th>label</th><th>score</th><th>why</th></tr>
${rows}
</table>
<figure>${svg}</figure>`;
  return { title: `probe ${p.space} at ${p.widths.join(',')}`, state: 'finished', html, line: `probe ${p.space} at ${p.widths.join(',')}: ${groups.map((g) => `${g.group} ${g.label === 'undetermined' ? '?' : g.label}`).join(', ')}` };
}

interface BaselineFile {
  space: string;
  baseKernelWeights: number;
  rows: (BaselinePoint & { widths: number[]; connectivity: number; nonzeroWeights: number; params: number; macs: number; testAccuracyStd: number; seeds: number })[];
}

/** A baseline run from its baseline.json, or its lock while it trains (it writes nothing before its end). */
export function baselineView(run: RunFolder, hasResult: boolean): RunView {
  if (!hasResult) {
    const state = runStateOf(run.dir, false);
    return { title: `baseline ${run.path}`, state, html: `<p class="status">${stateBadge(state)} ${state === 'running' ? 'Training; a baseline writes its table and plot when every training is done.' : 'Stopped before its end: no results.'}</p>`, line: 'baseline, no results yet' };
  }
  const b = JSON.parse(readFileSync(join(run.dir, 'baseline.json'), 'utf8')) as BaselineFile;
  const rows = b.rows.map((r) => `<tr><td>${r.scale}</td><td>${r.kind}</td><td>${r.widths.join(', ')}</td><td>${r.connectivity.toFixed(3)}</td><td>${int(r.nonzeroWeights)}</td><td>${int(r.params)}</td><td>${int(r.macs)}</td><td>${pct(r.testAccuracy)}</td><td>${pct(r.testAccuracyStd)}</td><td>${r.seeds}</td></tr>`).join('\n');
  const html = `<p class="status">${stateBadge(runStateOf(run.dir, true))} Dense networks at several width scales against sparse ones that keep the base network's ${int(b.baseKernelWeights)} kernel weights. Files: ${fileLink(run, 'baseline.json')}, ${fileLink(run, 'baseline.txt')}.</p>
<table><tr><th>scale</th><th>kind</th><th>widths</th><th>connectivity</th><th>nonzero weights</th><th>params</th><th>MACs</th><th>test acc (mean)</th><th>spread</th><th>seeds</th></tr>
${rows}
</table>
<figure>${baselineSvg(b.space, b.baseKernelWeights, b.rows)}</figure>`;
  const best = b.rows.reduce<BaselineFile['rows'][number] | undefined>((a, r) => (!a || r.testAccuracy > a.testAccuracy ? r : a), undefined);
  return { title: `baseline ${b.space}`, state: runStateOf(run.dir, true), html, line: `baseline ${b.space}: ${b.rows.length} networks${best ? `, best x${best.scale} ${best.kind} ${pct(best.testAccuracy)}` : ''}` };
}
