/** The per-layer picture of a trial's width telemetry: one small plot per layer, label marked. */
import type { LayerTelemetry } from '../trial/result.js';
import type { GroupSignal } from '../variance/group-signal.js';
import type { ShapeEvidence } from '../variance/shape-label.js';
import { panelsSvg, type Panel, type PlotSeries } from './svg-plot.js';

export const LABEL_COLORS: Record<string, string> = { IS: '#2ca02c', DS: '#d62728', undetermined: '#7f7f7f' };

export interface LabelledLayer {
  telemetry: LayerTelemetry;
  label: string;
  /** Index into the series of the peak, if known. */
  peakIndex?: number;
  /** Peak and plateau of the labelled series (the outgoing one unless `pairedLabelled`). */
  evidence?: ShapeEvidence;
  /** The label was read on the paired series. */
  pairedLabelled?: boolean;
}

/**
 * What a label read off a series, drawn on it: a vertical line at the smoothed peak and, for IS and
 * DS, a dashed level over the plateau the series ends on (from its first point to the end).
 */
export function shapeMarks(epochs: readonly number[], evidence: ShapeEvidence | undefined, label: string): { markers: NonNullable<Panel['markers']>; plateau: PlotSeries[] } {
  if (!evidence || evidence.peakIndex < 0 || !epochs.length) return { markers: [], plateau: [] };
  const color = LABEL_COLORS[label] ?? '#7f7f7f';
  const markers = [{ x: epochs[evidence.peakIndex], label: 'peak', color }];
  // A plateau is what IS holds and DS falls to; a curve that did not rise has no level to mark.
  const from = evidence.plateauFrom;
  const plateau: PlotSeries[] = (label === 'IS' || label === 'DS') && from >= 0 && Number.isFinite(evidence.plateau)
    ? [{ label: 'plateau', points: [[epochs[from], evidence.plateau], [epochs[epochs.length - 1], evidence.plateau]], color, dashed: true }]
    : [];
  return { markers, plateau };
}

/** Small multiples of normalised norm variance against epoch, outgoing solid, paired dashed. */
export function telemetrySvg(title: string, layers: LabelledLayer[]): string {
  const panels: Panel[] = layers.map(({ telemetry: t, label, peakIndex, evidence, pairedLabelled }) => {
    const series: PlotSeries[] = [{ label: 'outgoing', points: t.outgoing.map((p) => [p.epoch, p.variance] as [number, number]) }];
    if (t.paired?.length) series.push({ label: 'paired', points: t.paired.map((p) => [p.epoch, p.variance] as [number, number]), dashed: true });
    const read = pairedLabelled && t.paired ? t.paired : t.outgoing;
    const marks = evidence ? shapeMarks(read.map((p) => p.epoch), evidence, label) : undefined;
    const peak = peakIndex !== undefined ? read[peakIndex] : undefined;
    return {
      title: `${t.layer} (${t.width})`,
      badge: { text: label === 'undetermined' ? '?' : label, color: LABEL_COLORS[label] ?? '#7f7f7f' },
      series: [...series, ...(marks?.plateau ?? [])],
      xLabel: 'epoch',
      yLabel: 'variance of norms / mean',
      markers: marks?.markers ?? (peak ? [{ x: peak.epoch, label: 'peak', color: LABEL_COLORS[label] }] : []),
    };
  });
  return panelsSvg(title, panels, { columns: Math.min(4, Math.max(1, panels.length)) });
}

/**
 * Small multiples of each group's variance series under its signal's norm kind: the label as a
 * badge, its peak and plateau marked, the score in the title.
 */
export function groupSignalSvg(title: string, groups: GroupSignal[]): string {
  const panels: Panel[] = groups.map((g) => {
    const { markers, plateau } = shapeMarks(g.epochs, g.evidence, g.label);
    return {
      title: `${g.group} (${g.width})${Number.isFinite(g.value) ? `, score ${g.value.toFixed(2)}` : ''}`,
      badge: { text: g.label === 'undetermined' ? '?' : g.label, color: LABEL_COLORS[g.label] ?? '#7f7f7f' },
      series: [{ label: g.norm, points: g.epochs.map((e, i) => [e, g.variance[i]] as [number, number]) }, ...plateau],
      xLabel: 'epoch',
      yLabel: 'variance / mean² of norms',
      yFromZero: false,
      markers,
    };
  });
  return panelsSvg(title, panels, { columns: Math.min(4, Math.max(1, panels.length)) });
}
