/**
 * Rows under a header, each column as wide as its widest cell, two spaces apart; a row with fewer
 * cells ends with its last cell unpadded (a note that runs past the columns).
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.filter((r) => r.length === header.length).map((r) => r[i]?.length ?? 0)),
  )
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [header, ...rows].map(line).join('\n')
}
