import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { toCsv } from '../../http/csv.js';

export type Encoding = 'auto' | 'utf8' | 'gbk';

export interface Table {
  headers: string[];
  /** data rows; row numbers in messages count the header as row 1 */
  rows: string[][];
  /** what the file turned out to be */
  format: 'csv' | 'xlsx';
  encoding?: 'utf8' | 'gbk';
}

export class TableError extends Error {}

/**
 * Decodes CSV bytes: a UTF-8 BOM means UTF-8; otherwise bytes that are valid UTF-8 are read as
 * UTF-8, and anything else as GBK (what Excel on a Chinese Windows saves).
 */
export function decodeCsv(bytes: Buffer, encoding: Encoding = 'auto'): { text: string; encoding: 'utf8' | 'gbk' } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { text: bytes.subarray(3).toString('utf8'), encoding: 'utf8' };
  if (encoding === 'gbk') return { text: iconv.decode(bytes, 'gbk'), encoding: 'gbk' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf8' };
  } catch {
    if (encoding === 'utf8') throw new TableError('文件不是 UTF-8 编码，请选择 GBK 或另存为 UTF-8');
    return { text: iconv.decode(bytes, 'gbk'), encoding: 'gbk' };
  }
}

const isXlsx = (bytes: Buffer) => bytes[0] === 0x50 && bytes[1] === 0x4b; // a zip: PK

/** Reads a CSV or .xlsx file (told apart by its bytes, not its name) into trimmed strings. */
export async function readTable(bytes: Buffer, encoding: Encoding = 'auto', maxRows = 200_000): Promise<Table> {
  let matrix: string[][];
  let format: Table['format'];
  let enc: Table['encoding'];
  if (isXlsx(bytes)) {
    format = 'xlsx';
    const wb = new ExcelJS.Workbook();
    try {
      await wb.xlsx.load(bytes as unknown as ArrayBuffer);
    } catch {
      throw new TableError('无法读取这个 Excel 文件，请另存为 .xlsx 或 CSV 后再试');
    }
    const sheet = wb.worksheets[0];
    if (!sheet) throw new TableError('Excel 文件里没有工作表');
    matrix = [];
    sheet.eachRow({ includeEmpty: true }, (row) => {
      const values = (row.values as unknown[]).slice(1);
      matrix.push(values.map(cellText));
    });
  } else {
    format = 'csv';
    const decoded = decodeCsv(bytes, encoding);
    enc = decoded.encoding;
    try {
      matrix = parse(decoded.text, { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
    } catch (err) {
      throw new TableError(`CSV 格式有误：${(err as Error).message}`);
    }
  }
  const [head, ...rest] = matrix;
  if (!head) throw new TableError('文件是空的');
  if (rest.length > maxRows) throw new TableError(`一次最多导入 ${maxRows} 行`);
  const width = head.length;
  return {
    headers: head.map((h) => String(h ?? '').trim()),
    rows: rest.map((r) => Array.from({ length: width }, (_, i) => String(r[i] ?? '').trim())).filter((r) => r.some((c) => c !== '')),
    format,
    encoding: enc,
  };
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    const o = v as { text?: unknown; result?: unknown; richText?: Array<{ text: string }> };
    if (o.richText) return o.richText.map((r) => r.text).join('');
    if (o.text !== undefined) return String(o.text);
    if (o.result !== undefined) return String(o.result);
  }
  return String(v);
}

/** Writes rows as CSV for Excel (UTF-8 with BOM, formula-like cells neutralised). */
export function writeCsv(headers: string[], rows: string[][]): Buffer {
  return Buffer.from(toCsv([headers, ...rows]), 'utf8');
}

/** Writes rows as .xlsx, every cell as text (so codes like 370812103201 keep their digits). */
export async function writeXlsx(sheetName: string, headers: string[], rows: string[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(sheetName);
  ws.addRow(headers).font = { bold: true };
  for (const r of rows) ws.addRow(r.map((c) => (/^[=+\-@]/.test(c) ? `'${c}` : c)));
  ws.columns.forEach((c) => {
    c.numFmt = '@';
    c.width = 18;
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}
