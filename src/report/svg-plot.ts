/**
 * Hand-drawn SVG line charts: no browser, no canvas, the same bytes for the same data. One panel
 * per series group; a grid of panels for per-layer curves.
 */

export interface PlotSeries {
  label: string;
  points: [number, number][];
  color?: string;
  dashed?: boolean;
  /** Points only, no line. */
  scatter?: boolean;
  /** Radius of the points (default 2); larger for a few points that must stand out. */
  pointRadius?: number;
}

export interface Panel {
  title: string;
  /** A short badge drawn at the top right (e.g. `IS`, `DS`), with its color. */
  badge?: { text: string; color: string };
  series: PlotSeries[];
  xLabel?: string;
  yLabel?: string;
  /** Start the y axis at zero (default) or at the data's minimum. */
  yFromZero?: boolean;
  /** Vertical marker lines (e.g. the peak epoch). */
  markers?: { x: number; label?: string; color?: string }[];
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function niceTicks(lo: number, hi: number, count = 4): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(10)));
  return ticks;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${(v / 1e3).toPrecision(3)}k`;
  if (a < 1e-2) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}

/** One panel as an SVG group at (x, y) of size w x h. */
function panelSvg(p: Panel, x0: number, y0: number, w: number, h: number): string {
  const left = 48, right = 10, top = 22, bottom = 34;
  const pw = w - left - right, ph = h - top - bottom;
  const all = p.series.flatMap((s) => s.points).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  const xs = all.map((q) => q[0]), ys = all.map((q) => q[1]);
  let xlo = Math.min(...xs, ...(p.markers ?? []).map((m) => m.x)), xhi = Math.max(...xs, ...(p.markers ?? []).map((m) => m.x));
  let ylo = p.yFromZero === false ? Math.min(...ys) : Math.min(0, ...ys), yhi = Math.max(...ys);
  if (p.yFromZero === false) ylo -= (yhi - ylo) * 0.1;
  if (!all.length) { xlo = 0; xhi = 1; ylo = 0; yhi = 1; }
  if (xhi === xlo) {
    // A single x value: centre it in a small range instead of pinning it to an edge.
    const half = Math.abs(xlo) * 0.05 || 1;
    xlo -= half;
    xhi += half;
  }
  if (yhi === ylo) yhi = ylo + 1;
  yhi += (yhi - ylo) * 0.05;
  const sx = (v: number) => x0 + left + ((v - xlo) / (xhi - xlo)) * pw;
  const sy = (v: number) => y0 + top + ph - ((v - ylo) / (yhi - ylo)) * ph;
  const out: string[] = [];
  out.push(`<rect x="${x0 + left}" y="${y0 + top}" width="${pw}" height="${ph}" fill="#fafafa" stroke="#bbb"/>`);
  out.push(`<text x="${x0 + left}" y="${y0 + 15}" font-size="12" font-weight="bold">${esc(p.title)}</text>`);
  if (p.badge) {
    out.push(`<rect x="${x0 + w - right - 34}" y="${y0 + 4}" width="34" height="15" rx="3" fill="${p.badge.color}"/>`);
    out.push(`<text x="${x0 + w - right - 17}" y="${y0 + 15}" font-size="11" fill="white" text-anchor="middle" font-weight="bold">${esc(p.badge.text)}</text>`);
  }
  for (const t of niceTicks(ylo, yhi)) {
    out.push(`<line x1="${x0 + left}" x2="${x0 + left + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${x0 + left - 4}" y="${sy(t) + 3}" font-size="9" text-anchor="end" fill="#444">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(xlo, xhi, 5)) {
    out.push(`<text x="${sx(t)}" y="${y0 + top + ph + 12}" font-size="9" text-anchor="middle" fill="#444">${fmt(t)}</text>`);
  }
  if (p.xLabel) out.push(`<text x="${x0 + left + pw / 2}" y="${y0 + h - 6}" font-size="10" text-anchor="middle" fill="#333">${esc(p.xLabel)}</text>`);
  if (p.yLabel) out.push(`<text transform="translate(${x0 + 11},${y0 + top + ph / 2}) rotate(-90)" font-size="10" text-anchor="middle" fill="#333">${esc(p.yLabel)}</text>`);
  for (const m of p.markers ?? []) {
    out.push(`<line x1="${sx(m.x)}" x2="${sx(m.x)}" y1="${y0 + top}" y2="${y0 + top + ph}" stroke="${m.color ?? '#999'}" stroke-dasharray="3,3"/>`);
    if (m.label) out.push(`<text x="${sx(m.x) + 3}" y="${y0 + top + 10}" font-size="9" fill="${m.color ?? '#666'}">${esc(m.label)}</text>`);
  }
  p.series.forEach((s, i) => {
    const pts = s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    if (!pts.length) return;
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const d = pts.map(([a, b], j) => `${j ? 'L' : 'M'}${sx(a).toFixed(1)},${sy(b).toFixed(1)}`).join('');
    if (!s.scatter) out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
    if (pts.length <= 40 || s.scatter) for (const [a, b] of pts) out.push(`<circle cx="${sx(a).toFixed(1)}" cy="${sy(b).toFixed(1)}" r="${s.pointRadius ?? 2}" fill="${color}"/>`);
  });
  if (p.series.length > 1) {
    p.series.forEach((s, i) => {
      const ly = y0 + top + 12 + i * 12;
      const color = s.color ?? PALETTE[i % PALETTE.length];
      out.push(`<line x1="${x0 + left + pw - 70}" x2="${x0 + left + pw - 58}" y1="${ly - 3}" y2="${ly - 3}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4,2"' : ''}/>`);
      out.push(`<text x="${x0 + left + pw - 55}" y="${ly}" font-size="9" fill="#333">${esc(s.label)}</text>`);
    });
  }
  return out.join('\n');
}

/** A grid of panels, `columns` wide, with an overall title. */
export function panelsSvg(title: string, panels: Panel[], options: { columns?: number; panelWidth?: number; panelHeight?: number } = {}): string {
  const columns = Math.max(1, Math.min(options.columns ?? 3, panels.length));
  const w = options.panelWidth ?? 300, h = options.panelHeight ?? 190;
  const rows = Math.ceil(panels.length / columns);
  const width = columns * w, height = rows * h + 30;
  const body = panels.map((p, i) => panelSvg(p, (i % columns) * w, 30 + Math.floor(i / columns) * h, w, h)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">
<rect width="${width}" height="${height}" fill="white"/>
<text x="8" y="20" font-size="14" font-weight="bold">${esc(title)}</text>
${body}
</svg>
`;
}

/** Renders an SVG to PNG with @resvg/resvg-js where it is installed; undefined otherwise. */
export async function svgToPng(svg: string): Promise<Buffer | undefined> {
  try {
    const { Resvg } = await import('@resvg/resvg-js');
    return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  } catch {
    return undefined;
  }
}
