/**
 * CSV for Excel: UTF-8 with a BOM (so Excel reads Chinese right), CRLF line ends, every cell quoted,
 * and cells that start like a formula (= + - @, tab, carriage return) prefixed with ' so a
 * spreadsheet shows them as text instead of running them.
 */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string {
  return CSV_BOM + rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** The byte-order mark a CSV for Excel starts with. */
export const CSV_BOM = '\uFEFF';

/** One line of toCsv's CSV, with its CRLF: for files written a line at a time. */
export function csvLine(row: ReadonlyArray<string | number | null | undefined>): string {
  return row.map(cell).join(',') + '\r\n';
}

export function neutralise(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function cell(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : typeof v === 'number' ? String(v) : neutralise(v);
  return `"${s.replace(/"/g, '""')}"`;
}
