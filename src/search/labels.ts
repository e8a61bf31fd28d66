/**
 * From a trial's per-layer telemetry to one label per width group. Each layer's variance series is
 * classified; a group takes the majority of its layers' determined labels (IS or DS), DS on a tie
 * (a narrow layer is the costlier mistake), undetermined when none of its layers is determined.
 * The output layer (no group) is ignored.
 */
import type { LayerTelemetry, NormKindName } from '../core/types.js';
import type { SearchSpace } from '../space/types.js';
import { classifySeries } from '../variance/index.js';
import type { LayerLabel } from './types.js';

export function groupLabels(space: SearchSpace, telemetry: LayerTelemetry[], kind: NormKindName = 'outgoing'): Record<string, LayerLabel> {
  const votes = new Map<string, { IS: number; DS: number }>(space.groups.map((g) => [g.name, { IS: 0, DS: 0 }]));
  for (const t of telemetry) {
    if (t.group === null) continue;
    const series = (kind === 'paired' && t.paired ? t.paired : t.outgoing).map((p) => p.variance);
    const label = classifySeries(series).label;
    const v = votes.get(t.group);
    if (v && label !== 'undetermined') v[label]++;
  }
  const out: Record<string, LayerLabel> = {};
  for (const [name, v] of votes) out[name] = v.IS + v.DS === 0 ? 'undetermined' : v.DS >= v.IS ? 'DS' : 'IS';
  return out;
}
