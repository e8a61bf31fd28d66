/** Labels for every layer of a trial's telemetry, for tables and plots (and the library's `probe`). */
import type { LayerTelemetry } from '../trial/result.js';
import type { Label } from './classify.js';
import { seriesLabel } from './group-signal.js';
import { DEFAULT_NORM_KIND } from './norms.js';
import type { ShapeEvidence } from './shape-label.js';

export interface ProbedLayer {
  name: string;
  group: string | null;
  width: number;
  /** The shape label against the measured seed noise (`shape-label.ts`), and why. */
  label: Label;
  reason: string;
  /** Epoch of the smoothed series' peak; null where the series was too short to read. */
  peakEpoch: number | null;
  /** First epoch of the plateau the series ends on; null where not read. */
  plateauEpoch: number | null;
  /** (peak - end) / peak of the smoothed series; NaN where not read. */
  dropRatio: number;
  evidence?: ShapeEvidence;
  epochs: number[];
  variance: number[];
  pairedVariance?: number[];
}

/** Labels every layer of a trial from its telemetry (the chosen norm kind where present). */
export function labelLayers(telemetry: LayerTelemetry[], kind: 'outgoing' | 'paired' = DEFAULT_NORM_KIND): ProbedLayer[] {
  return telemetry.map((t) => {
    const norm = kind === 'paired' && t.paired ? 'paired' : 'outgoing';
    const series = norm === 'paired' ? t.paired! : t.outgoing;
    const epochs = series.map((p) => p.epoch), values = series.map((p) => p.variance);
    const c = seriesLabel(norm, epochs, values);
    const at = (i: number | undefined) => (i !== undefined && i >= 0 ? epochs[i] ?? null : null);
    return {
      name: t.layer, group: t.group, width: t.width, label: c.label, reason: c.reason,
      peakEpoch: at(c.evidence?.peakIndex), plateauEpoch: at(c.evidence?.plateauFrom), dropRatio: c.evidence?.fall ?? NaN,
      ...(c.evidence ? { evidence: c.evidence } : {}),
      epochs, variance: values,
      ...(t.paired ? { pairedVariance: t.paired.map((p) => p.variance) } : {}),
    };
  });
}
