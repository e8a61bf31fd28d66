/** Plain-text tables for the terminal: right-aligned numbers, left-aligned text. */
export function formatTable(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const numeric = headers.map((_, j) => rows.length > 0 && rows.every((r) => typeof r[j] === 'number'));
  const widths = headers.map((_, j) => Math.max(...cells.map((r) => String(r[j] ?? '').length)));
  const line = (r: (string | number)[]) =>
    r.map((c, j) => (numeric[j] ? String(c).padStart(widths[j]) : String(c).padEnd(widths[j]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** Integers with thousands separators; other numbers with 4 significant digits. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  if (!Number.isFinite(n)) return String(n);
  return n.toPrecision(4);
}
