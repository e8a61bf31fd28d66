/** The wide & sparse picture: mean test accuracy against width scale, dense and sparse. */
import { panelsSvg, PALETTE } from './svg-plot.js';

export interface BaselinePoint {
  scale: number;
  kind: 'dense' | 'sparse';
  testAccuracy: number;
}

export function baselineSvg(space: string, baseKernelWeights: number, rows: BaselinePoint[]): string {
  // The sparse curve starts at scale 1, where the sparse network is the dense one.
  const series = (['dense', 'sparse'] as const).map((kind, i) => ({
    label: kind,
    color: PALETTE[i],
    points: rows.filter((r) => r.kind === kind || (kind === 'sparse' && r.scale === 1 && r.kind === 'dense')).map((r) => [r.scale, r.testAccuracy] as [number, number]),
  }));
  return panelsSvg(`${space}: dense vs wide & sparse`, [
    { title: `test accuracy (sparse keeps ${baseKernelWeights.toLocaleString('en-US')} weights)`, series, xLabel: 'width scale', yLabel: 'mean test accuracy', yFromZero: false },
  ], { panelWidth: 460, panelHeight: 280 });
}
