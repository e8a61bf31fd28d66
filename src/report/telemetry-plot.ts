/** The per-layer picture of a trial's width telemetry: one small plot per layer, label marked. */
import type { LayerTelemetry } from '../trial/result.js';
import type { GroupSignal } from '../variance/group-signal.js';
import { panelsSvg, type Panel } from './svg-plot.js';

export const LABEL_COLORS: Record<string, string> = { IS: '#2ca02c', DS: '#d62728', undetermined: '#7f7f7f' };

export interface LabelledLayer {
  telemetry: LayerTelemetry;
  label: string;
  /** Index into the series of the peak, if known. */
  peakIndex?: number;
}

/** Small multiples of normalised norm variance against epoch, outgoing solid, paired dashed. */
export function telemetrySvg(title: string, layers: LabelledLayer[]): string {
  const panels: Panel[] = layers.map(({ telemetry: t, label, peakIndex }) => {
    const series = [{ label: 'outgoing', points: t.outgoing.map((p) => [p.epoch, p.variance] as [number, number]) }];
    if (t.paired?.length) series.push({ label: 'paired', points: t.paired.map((p) => [p.epoch, p.variance] as [number, number]), dashed: true } as never);
    const peak = peakIndex !== undefined ? t.outgoing[peakIndex] : undefined;
    return {
      title: `${t.layer} (${t.width})`,
      badge: { text: label === 'undetermined' ? '?' : label, color: LABEL_COLORS[label] ?? '#7f7f7f' },
      series,
      xLabel: 'epoch',
      yLabel: 'variance of norms / mean',
      markers: peak ? [{ x: peak.epoch, label: 'peak', color: LABEL_COLORS[label] }] : [],
    };
  });
  return panelsSvg(title, panels, { columns: Math.min(4, Math.max(1, panels.length)) });
}

/** Small multiples of each group's variance series under its signal's norm kind, label and score marked. */
export function groupSignalSvg(title: string, groups: GroupSignal[]): string {
  const panels: Panel[] = groups.map((g) => ({
    title: `${g.group} (${g.width})${Number.isFinite(g.value) ? `, score ${g.value.toFixed(2)}` : ''}`,
    badge: { text: g.label === 'undetermined' ? '?' : g.label, color: LABEL_COLORS[g.label] ?? '#7f7f7f' },
    series: [{ label: g.norm, points: g.epochs.map((e, i) => [e, g.variance[i]] as [number, number]) }],
    xLabel: 'epoch',
    yLabel: 'variance / mean² of norms',
    yFromZero: false,
  }));
  return panelsSvg(title, panels, { columns: Math.min(4, Math.max(1, panels.length)) });
}
