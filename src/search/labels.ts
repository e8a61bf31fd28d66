/**
 * From a trial's telemetry to one label and one score per width group, under the study's signal
 * (norm kind, score, label band; see `src/variance/default-signal.ts`). The output layer (no
 * group) is ignored.
 *
 * Journals written before group telemetry existed hold per-layer series only: their groups are
 * labelled by the old shape classifier (majority of the group's layers, DS on a tie) where the
 * norm kind is one of those series (`outgoing`, `paired`), and carry no score.
 */
import type { TrialResult } from '../trial/result.js';
import type { SearchSpace } from '../space/types.js';
import { classifySeries, groupSignals, labelFromScore, type SignalSettings } from '../variance/index.js';
import type { LayerLabel } from './types.js';

export interface GroupReading {
  labels: Record<string, LayerLabel>;
  /** How much each group needs width (higher = more); NaN where undefined. */
  scores: Record<string, number>;
}

export function readGroups(space: SearchSpace, result: Pick<TrialResult, 'telemetry' | 'groupTelemetry'>, signal: SignalSettings): GroupReading {
  const labels: Record<string, LayerLabel> = {};
  const scores: Record<string, number> = {};
  for (const g of space.groups) {
    labels[g.name] = 'undetermined';
    scores[g.name] = NaN;
  }
  if (result.groupTelemetry) {
    for (const s of groupSignals(result.groupTelemetry, signal)) {
      if (!(s.group in labels)) continue;
      // The search keeps the score's band label (its behaviour is unchanged); people see the shape label.
      labels[s.group] = labelFromScore(s.value, signal.band).label;
      scores[s.group] = s.value;
    }
    return { labels, scores };
  }
  if (!result.telemetry || (signal.norm !== 'outgoing' && signal.norm !== 'paired')) return { labels, scores };
  const votes = new Map<string, { IS: number; DS: number }>(space.groups.map((g) => [g.name, { IS: 0, DS: 0 }]));
  for (const t of result.telemetry) {
    if (t.group === null) continue;
    const series: number[] = (signal.norm === 'paired' && t.paired ? t.paired : t.outgoing).map((p) => p.variance);
    const label = classifySeries(series).label;
    const v = votes.get(t.group);
    if (v && label !== 'undetermined') v[label]++;
  }
  for (const [name, v] of votes) labels[name] = v.IS + v.DS === 0 ? 'undetermined' : v.DS >= v.IS ? 'DS' : 'IS';
  return { labels, scores };
}
