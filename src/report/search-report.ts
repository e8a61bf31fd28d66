/** The HTML report of a search run: base against winner, and the evidence behind the choice. */
import type { ModelSummary, SearchSummary } from './search-summary.js';
import { mean } from '../core/stats.js';
import { groupSignals, labelLayers, signalSettings, type NormKind, type ScoreName } from '../variance/index.js';
import { panelsSvg, PALETTE } from './svg-plot.js';
import { groupSignalSvg, telemetrySvg } from './telemetry-plot.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : `${(100 * v).toFixed(2)}%`);
const int = (v: number | undefined) => (v === undefined ? '-' : v.toLocaleString('en-US'));

function modelRow(name: string, m: ModelSummary | undefined): string {
  if (!m) return `<tr><td>${name}</td><td colspan="6">not trained</td></tr>`;
  return `<tr><td>${name}</td><td>${m.widths.join(', ')}</td><td>${int(m.params)}</td><td>${int(m.macs)}</td><td>${pct(m.validationAccuracy)}</td><td>${pct(m.testAccuracy)}</td><td>${m.seconds.toFixed(0)} s</td></tr>`;
}

/** The plots of a summary, as standalone SVG documents keyed by file name. */
export function searchFigures(s: SearchSummary): Record<string, string> {
  const figures: Record<string, string> = {};
  const ok = s.history.filter((t) => t.status === 'ok' && t.validationAccuracy !== undefined);
  const startWidths = s.history[0]?.widths;
  const winnerWidths = s.winner?.widths ?? (ok.length ? ok.reduce((a, b) => ((b.validationAccuracy ?? 0) > (a.validationAccuracy ?? 0) ? b : a)).widths : undefined);
  const profileOf = (widths: number[]) => widths.map((w, i) => [i, w] as [number, number]);
  // The best proxy trials beside the winner: whether the top of the search agrees on a shape.
  const runnersUp = [...ok].sort((a, b) => (b.validationAccuracy ?? 0) - (a.validationAccuracy ?? 0))
    .filter((t) => t.trialId !== s.winner?.trialId).slice(0, 3);
  const profile = [
    ...(s.base ? [{ label: 'base', points: profileOf(s.base.widths), color: PALETTE[0] }] : startWidths ? [{ label: 'start', points: profileOf(startWidths), color: PALETTE[0] }] : []),
    ...(winnerWidths ? [{ label: 'winner', points: profileOf(winnerWidths), color: PALETTE[1] }] : []),
    ...runnersUp.map((t, i) => ({ label: `trial ${t.trialId}`, points: profileOf(t.widths), color: PALETTE[2 + i], dashed: true })),
  ];
  figures['widths.svg'] = panelsSvg('Width profile', [
    { title: 'width per group', series: profile, xLabel: 'group index (see the table for names)', yLabel: 'width' },
  ], { panelWidth: Math.max(460, 40 * s.groups.length), panelHeight: 240 });
  let best = -Infinity;
  const bestSoFar = s.history.filter((t) => t.status !== 'running').map((t, i) => {
    if (t.validationAccuracy !== undefined) best = Math.max(best, t.validationAccuracy);
    return [i + 1, Number.isFinite(best) ? best : NaN] as [number, number];
  });
  // The noise band: one training's seed noise, measured where the search evaluated a network more
  // than once (pooled sd of repeats), drawn around the first trial (the start scaled onto the budget).
  const noise = repeatNoise(ok);
  const first = ok[0]?.validationAccuracy;
  const band = noise !== undefined && first !== undefined && bestSoFar.length > 1
    ? [-1, 1].map((sign) => ({ label: sign > 0 ? `start ± 1 sd of a repeat (${(100 * noise).toFixed(2)} pts)` : '', points: [[1, first + sign * noise], [bestSoFar.length, first + sign * noise]] as [number, number][], color: PALETTE[2], dashed: true }))
    : [];
  figures['progress.svg'] = panelsSvg('Search progress', [
    { title: 'best validation accuracy so far', series: [{ label: 'best', points: bestSoFar }, ...band], xLabel: 'trials finished', yLabel: 'accuracy', yFromZero: false },
    { title: 'every trial: accuracy against MACs', series: [
      { label: 'trial', points: ok.map((t) => [t.macs ?? NaN, t.validationAccuracy ?? NaN] as [number, number]), scatter: true, color: PALETTE[7] },
      // The fully trained models (a longer recipe, so above the trials): where the search landed.
      ...([['base', s.base, PALETTE[0]], ['uniform', s.uniform, PALETTE[2]], ['winner', s.winner, PALETTE[1]]] as const)
        .filter(([, m]) => m).map(([label, m, color]) => ({ label: `${label} (final)`, points: [[m!.macs, m!.validationAccuracy] as [number, number]], scatter: true, pointRadius: 4, color })),
    ], xLabel: 'MACs', yLabel: 'validation accuracy', yFromZero: false, markers: [{ x: s.budgetMacs, label: 'budget', color: '#d62728' }] },
  ], { columns: 2, panelWidth: 420, panelHeight: 260 });
  const signal = s.signal ? signalSettings(s.signal.norm as NormKind, s.signal.score as ScoreName, s.signal.proxyEpochs) : undefined;
  for (const [name, groups] of [['start', s.startGroupTelemetry], ['winner', s.winnerGroupTelemetry]] as const) {
    if (!groups || !signal) continue;
    figures[`variance-${name}.svg`] = groupSignalSvg(
      `Proxy training of the ${name} widths: normalised variance of the ${signal.norm} norms per group (score: ${signal.score})`,
      groupSignals(groups, signal),
    );
  }
  // Runs journaled before group telemetry: the per-layer series and the old shape labels.
  for (const [name, telemetry] of [['start', s.startTelemetry], ['winner', s.winnerTelemetry]] as const) {
    if (!telemetry || figures[`variance-${name}.svg`]) continue;
    const labels = labelLayers(telemetry);
    figures[`variance-${name}.svg`] = telemetrySvg(`Proxy training of the ${name} widths: normalised weight-norm variance per layer`, telemetry.map((t, i) => ({
      telemetry: t, label: labels[i].label, peakIndex: labels[i].evidence?.peakIndex, evidence: labels[i].evidence,
    })));
  }
  return figures;
}

/** The report's content (everything below its title), for report.html and for the dashboard. */
export function searchReportSections(s: SearchSummary, figures: Record<string, string>): string {
  // Each group's label with its reason on hover; the score the search ranks by in brackets.
  const groupCell = (t: SearchSummary['history'][number]) => Object.entries(t.groupLabels ?? {}).map(([g, l]) => {
    const text = `${g}:${l === 'undetermined' ? '?' : l}${typeof t.groupScores?.[g] === 'number' ? ` (${t.groupScores[g]!.toFixed(2)})` : ''}`;
    const why = t.groupReasons?.[g];
    return why ? `<span title="${esc(why)}">${esc(text)}</span>` : esc(text);
  }).join(' ');
  const trialRows = s.history.map((t) => `<tr><td>${t.trialId}</td><td>${t.round}</td><td>${t.widths.join(', ')}</td><td>${t.status}${t.reason ? `: ${esc(t.reason)}` : ''}</td><td>${pct(t.validationAccuracy)}</td><td>${int(t.macs)}</td><td>${int(t.params)}</td><td>${groupCell(t)}</td><td>${esc(t.note ?? '')}</td></tr>`).join('\n');
  // The start's and the winner's labels in full, beside their figures.
  const labelTable = (trialId: number | undefined) => {
    const t = trialId === undefined ? undefined : s.history.find((h) => h.trialId === trialId);
    if (!t?.groupLabels) return '';
    const rows = Object.entries(t.groupLabels).map(([g, l]) => `<tr><td>${esc(g)}</td><td>${esc(l)}</td><td style="text-align:left">${esc(t.groupReasons?.[g] ?? '')}</td></tr>`).join('');
    return `<table><tr><th>group (trial ${t.trialId})</th><th>label</th><th>why</th></tr>${rows}</table>`;
  };
  const fig = (name: string) => (figures[name] ? `<figure>${figures[name]}</figure>` : '');
  return `<p>Sampler <b>${esc(s.sampler)}</b>, ${s.trials} proxy trials (${s.failedTrials} failed), budget ${int(s.budgetMacs)} MACs${s.maxParams !== undefined ? ` and ${int(s.maxParams)} params` : ''}, backend ${esc(s.backend ?? '?')}. Run folder: <code>${esc(s.runDir)}</code>.${s.finished ? '' : ' <b>The run has not finished.</b>'}</p>
<h2>Base, uniform scaling and winner (same final training recipe; identical networks are trained once)</h2>
<table><tr><th>model</th><th>widths (${esc(s.groups.join(', '))})</th><th>params</th><th>MACs</th><th>validation acc</th><th>test acc</th><th>time</th></tr>
${modelRow('base', s.base)}
${modelRow('uniform scaling of the start', s.uniform)}
${modelRow(`winner (trial ${s.winner?.trialId ?? '-'})`, s.winner)}
${s.wideSparse ? modelRow(`wide &amp; sparse (${int(s.wideSparse.nonzeroWeights)} nonzero weights)`, s.wideSparse) : ''}
</table>
${(s.failures ?? []).map((f) => `<p><b>Failed: ${esc(f.what)}</b>: ${esc(f.reason)} (resume the run to try again).</p>`).join('\n')}
${s.room ? `<p><b>Room left by your shape:</b> ${esc(s.room.text)}. The estimate is the accuracy model's (every proxy result and both final trainings pooled), winner ${esc(s.room.to.join(', '))} against your shape scaled onto the budget ${esc(s.room.from.join(', '))}; what the search believes, not a held-out measurement.</p>` : ''}
${s.recommended ? `<p><b>Recommended: the ${s.recommended.which === 'winner' ? 'winner' : 'uniformly scaled start'}</b> (${esc(s.recommended.widths.join(', '))}): ${esc(s.recommended.reason)}. The winner is chosen on short proxy trainings; the final trainings' validation split checks it against uniform scaling (test accuracy is never used to choose).</p>` : ''}
${s.table ? `<p>Every trial was answered from a table of networks trained elsewhere, <code>${esc(s.table.path)}</code> (${int(s.table.networks)} networks, SHA-256 ${esc(s.table.sha256.slice(0, 12))}…): ${s.table.holdout !== undefined
    ? `recorded training ${s.table.holdout} was held out: proxies, repeats and final models read only the others, and every test accuracy here is the held-out recorded training ${s.table.holdout} alone, a number the search never saw.`
    : 'a proxy trial reads one recorded training\'s accuracy, the final models\' validation accuracy is another recorded training\'s, and test accuracy is the mean of them all, which includes what the search read: the test figure is not held out (use <code>--holdout</code> for one that is).'} Nothing was trained here, so no weights exist and nothing was exported.</p>` : ''}
${s.onnx ? `<p>Recommended network exported to ONNX: <code>${esc(s.onnx.path)}</code> (${int(s.onnx.bytes)} bytes); ONNX Runtime against tfjs on ${s.onnx.examples} test inputs: max |difference| ${s.onnx.maxAbsDiff.toExponential(2)}, argmax agreement ${pct(s.onnx.argmaxAgreement)}.</p>` : ''}
<h2>Width profile</h2><p>Group index: ${s.groups.map((g, i) => `${i} = ${esc(g)}`).join(', ')}.</p>${fig('widths.svg')}
<h2>Progress</h2>${fig('progress.svg')}
<h2>Telemetry behind the labels</h2>
<p>${s.signal ? `Signal: the spread (variance over mean) of each channel's <b>${esc(s.signal.norm)}</b> norm over the proxy training, read by the <b>${esc(s.signal.score)}</b> score: the higher the score, the more the group needs width. The score orders the groups; the label reads the curve's shape as Chen et al. describe it, against the seed noise measured for this norm kind and training length (seeds of the same network: results/experiments/is-ds.md). IS (wide enough): it rose and ends within the seed noise of its peak. DS (too narrow): it rose, peaked and ends more than twice the noise below its peak. ?: it did not rise, or its fall is between one and two noise widths. A curve that starts at its highest (a small fan-in's random initial spread) is read from its low. Each figure marks the peak and the plateau the curve ends on; hover a label in the trial table for its reason. How the score was chosen: results/experiments/signal.md in the widthwise repository.` : 'IS: the variance rose and ends within the seed noise of its peak (wide enough). DS: it rose, peaked and fell by more than twice the noise (too narrow). ?: it did not rise, or too short to call.'} The output layer has no width group and is not searched.</p>
${fig('variance-start.svg')}
${labelTable(s.history[0]?.trialId)}
${fig('variance-winner.svg')}
${labelTable(s.winner?.trialId)}
<h2>Every trial</h2>
<table id="trials"><tr><th>trial</th><th>round</th><th>widths</th><th>status</th><th>validation acc</th><th>MACs</th><th>params</th><th>group labels (scores)</th><th>why</th></tr>
${trialRows}
</table>
`;
}

/** The report's style, shared with the dashboard. */
export const REPORT_CSS = 'body{font-family:DejaVu Sans,Arial,sans-serif;margin:24px;max-width:1300px;color:#222}table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;text-align:right}td:first-child,th:first-child{text-align:left}figure{margin:12px 0}h2{margin-top:28px}';

export function searchReportHtml(s: SearchSummary, figures: Record<string, string>): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>widthwise: ${esc(s.space)} search</title>
<style>${REPORT_CSS}</style></head>
<body>
<h1>Width search: ${esc(s.space)} on ${esc(s.dataset)}</h1>
${searchReportSections(s, figures)}</body></html>
`;
}

/** Pooled standard deviation of repeated evaluations of the same widths (one training's seed noise); undefined without repeats. */
function repeatNoise(trials: readonly { widths: readonly number[]; validationAccuracy?: number }[]): number | undefined {
  const byWidths = new Map<string, number[]>();
  for (const t of trials) if (t.validationAccuracy !== undefined) byWidths.set(t.widths.join(','), [...(byWidths.get(t.widths.join(',')) ?? []), t.validationAccuracy]);
  let sum = 0, dof = 0;
  for (const values of byWidths.values()) {
    if (values.length < 2) continue;
    const m = mean(values);
    sum += values.reduce((a, v) => a + (v - m) ** 2, 0);
    dof += values.length - 1;
  }
  return dof ? Math.sqrt(sum / dof) : undefined;
}
