import { BenchTable } from '../src/runtime/bench-table.js';
import { loadSpace } from '../src/space/load.js';
import { spaceCost } from '../src/cost/cost.js';
import { runTableStudy } from '../scripts/lib/table-study.js';
const table = BenchTable.load('/work/shared/data/channel-bench-macro/Results_ResNet.json');
const space = loadSpace('cbm-resnet');
const args = process.argv.slice(2);
const samplers = (args[0] ?? 'model,random,evolution').split(',');
const seeds = Number(args[1] ?? 20); const off = Number(args[2] ?? 1000);
const opts = args[3] ? JSON.parse(args[3]) : {};
for (const uni of [[128,128,128,256,256,256,256],[192,192,192,384,384,384,384]]) {
  const budget = { macs: spaceCost(space, uni).macs };
  let bestMean = -1; for (const [k, e] of table.all()) { const w = k.split('').map((c, i) => space.groups[i].min + (Number(c) - 1) * space.groups[i].step); if (e.macs <= budget.macs) bestMean = Math.max(bestMean, e.mean); }
  const uniMean = table.lookup(space, uni).mean;
  for (const s of samplers) {
    const t0 = Date.now();
    const res: Record<number, number[]> = {}; const ge: Record<number, number> = {}; const wr: Record<number, number[]> = {}; const orr: Record<number, number[]> = {}; const ku: Record<number, number> = {};
    for (let seed = off; seed < off + seeds; seed++) {
      for (const o of runTableStudy({ space, table, sampler: s as any, samplerOptions: opts, budget, start: [128,128,128,256,256,256,256], seed, trials: 50, roundSize: 2, useAdvantage: !!process.env.ADV, useModelCheck: !!process.env.MC, checkpoints: [10, 20, 50] })) {
        (res[o.trials] ??= []).push(bestMean - o.recommendedMean); (wr[o.trials] ??= []).push(bestMean - o.winnerMean); (orr[o.trials] ??= []).push(bestMean - o.bestEvaluatedMean); ku[o.trials] = (ku[o.trials] ?? 0) + (o.keptUniform ? 1 : 0); ge[o.trials] = (ge[o.trials] ?? 0) + (o.recommendedMean >= uniMean - 1e-9 ? 1 : 0);
      }
    }
    const med = (a: number[]) => { const b = [...a].sort((x, y) => x - y); return b[Math.floor(b.length / 2)]; };
    console.log(uni[0], s, Object.entries(res).map(([t, r]) => `${t}: med ${med(r).toFixed(3)} mean ${(r.reduce((a, b) => a + b) / r.length).toFixed(3)} >=uni ${(100 * ge[Number(t)] / r.length).toFixed(0)}% win med ${med(wr[Number(t)]).toFixed(3)} kept-uni ${ku[Number(t)]} oracle ${med(orr[Number(t)]).toFixed(3)}`).join(' | '), `${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}
