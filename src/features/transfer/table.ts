import type { Writable } from 'node:stream';
import { CSV_BOM, csvLine, toCsv } from '../../http/csv.js';
import { t } from '../../i18n/index.js';
import { workerQueue, WorkerFailure } from '../../workers/run.js';
import { FORMULA_LIKE, TABLE_LIMITS, TableError, type Encoding, type Table, type TableAnswer, type TableJob } from './parse-table.js';

export { TableError, TABLE_LIMITS, type Encoding, type Table } from './parse-table.js';

const readInWorker = workerQueue<TableJob, TableAnswer>(new URL('./table-worker.js', import.meta.url), TABLE_LIMITS);

/**
 * Reads a CSV or .xlsx file (told apart by its bytes, not its name) into trimmed strings, in a
 * worker thread: a big or hostile file costs the worker its heap and time, and requests keep being
 * answered meanwhile. Any problem with the file is a TableError with a message for staff.
 */
export async function readTable(bytes: Buffer, encoding: Encoding = 'auto', maxRows = TABLE_LIMITS.maxRows): Promise<Table> {
  let answer: TableAnswer;
  try {
    answer = await readInWorker({ bytes, encoding, maxRows });
  } catch (err) {
    if (err instanceof WorkerFailure) throw new TableError(t(err.reason === 'crashed' ? 'data.errors.unreadable' : 'data.errors.tooLarge'));
    throw err;
  }
  if ('problem' in answer) throw new TableError(answer.problem);
  return answer.table;
}

/** A cell as exported: one more ' before anything a spreadsheet could run (see FORMULA_LIKE). */
const protect = (cell: string) => (FORMULA_LIKE.test(cell) ? `'${cell}` : cell);

/** Writes rows as CSV for Excel (UTF-8 with BOM, formula-like cells neutralised). */
export function writeCsv(headers: string[], rows: string[][]): Buffer {
  return Buffer.from(toCsv([headers, ...rows.map((r) => r.map(protect))]), 'utf8');
}

/** Writes rows as .xlsx, every cell as text (so codes like 370812103201 keep their digits). */
export async function writeXlsx(sheetName: string, headers: string[], rows: string[][]): Promise<Buffer> {
  // Loaded on first use: exceljs is large, and only spreadsheet exports and templates need it.
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(sheetName);
  ws.addRow(headers).font = { bold: true };
  for (const r of rows) ws.addRow(r.map(protect));
  ws.columns.forEach((c) => {
    c.numFmt = '@';
    c.width = 18;
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** writeCsv's file, as chunks of at most 200 rows made as the slices are read. */
export async function* csvChunks(headers: string[], slices: AsyncIterable<string[][]> | Iterable<string[][]>): AsyncGenerator<string> {
  yield CSV_BOM + csvLine(headers);
  for await (const rows of slices) {
    if (rows.length === 0) yield '';
    for (let i = 0; i < rows.length; i += 200)
      yield rows
        .slice(i, i + 200)
        .map((r) => csvLine(r.map(protect)))
        .join('');
  }
}

/**
 * writeXlsx's workbook, written to `out` through exceljs's streaming writer: rows are turned into
 * sheet XML slice by slice (not kept as cell objects), other requests run between two slices, and
 * reading stops when `out` is destroyed (the client left). Ends `out` when whole; returns whether
 * it was. exceljs 4.4 still zips the file in memory (JSZip) when committing, so memory grows with
 * the sheet's size: at 200,000 households about 115 MB, where writeXlsx took about 1 GB.
 */
export async function streamXlsx(
  out: Writable,
  sheetName: string,
  headers: string[],
  slices: AsyncIterable<string[][]> | Iterable<string[][]>,
): Promise<boolean> {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const ws = wb.addWorksheet(sheetName);
  // Every cell as text, as writeXlsx does: the column's format is given to each new cell.
  ws.columns = headers.map(() => ({ width: 18, style: { numFmt: '@' } }));
  const head = ws.addRow(headers);
  head.font = { bold: true };
  head.commit();
  for await (const rows of slices) {
    if (out.destroyed) return false;
    for (const r of rows) ws.addRow(r.map(protect)).commit();
    if (out.writableNeedDrain) {
      await new Promise<void>((resolve) => {
        const done = () => {
          out.off('drain', done);
          out.off('close', done);
          resolve();
        };
        out.on('drain', done);
        out.on('close', done);
      });
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (out.destroyed) return false;
  ws.commit();
  await wb.commit();
  return true;
}
