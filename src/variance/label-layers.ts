/** Labels for every layer of a trial's telemetry, for tables and plots. */
import type { LayerTelemetry } from '../trial/result.js';
import { classifySeries, type Classification } from './classify.js';
import { DEFAULT_NORM_KIND } from './norms.js';

export interface ProbedLayer {
  name: string;
  group: string | null;
  width: number;
  label: Classification['label'];
  reason: string;
  peakEpoch: number | null;
  dropRatio: number;
  confidence: number;
  epochs: number[];
  variance: number[];
  pairedVariance?: number[];
}

/** Labels every layer of a trial from its telemetry (the chosen norm kind where present). */
export function labelLayers(telemetry: LayerTelemetry[], kind: 'outgoing' | 'paired' = DEFAULT_NORM_KIND): ProbedLayer[] {
  return telemetry.map((t) => {
    const series = (kind === 'paired' && t.paired ? t.paired : t.outgoing);
    const values = series.map((p) => p.variance);
    const c = classifySeries(values);
    return {
      name: t.layer, group: t.group, width: t.width, label: c.label, reason: c.reason,
      peakEpoch: c.evidence.peakIndex !== undefined && c.evidence.peakIndex >= 0 ? series[c.evidence.peakIndex]?.epoch ?? null : null,
      dropRatio: c.evidence.dropRatio, confidence: c.evidence.confidence,
      epochs: series.map((p) => p.epoch), variance: values,
      ...(t.paired ? { pairedVariance: t.paired.map((p) => p.variance) } : {}),
    };
  });
}

