/**
 * Column layout as kubectl prints tables (Go's tabwriter with minimum width 6 and padding 3):
 * every column but the last is padded to its widest cell plus three spaces.
 */

/** Column widths for a header and rows (the last column is never padded). */
export function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 6, cell.length + 3);
    });
  }
  return widths;
}

/** One line of a table, padded to `widths`; trailing spaces are trimmed. */
export function formatRow(row: readonly string[], widths: readonly number[]): string {
  return row
    .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(Math.max(widths[i] ?? 0, cell.length + 3))))
    .join('')
    .trimEnd();
}

/** Renders a header and rows as aligned lines, kubectl style. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = columnWidths([header, ...rows]);
  return [header, ...rows].map((row) => formatRow(row, widths));
}
