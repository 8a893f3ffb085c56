import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { t } from '../../i18n/index.js';
import { ZipLimitError } from './zip-limits.js';
import { readFirstSheet } from './xlsx-reader.js';

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
    if (encoding === 'utf8') throw new TableError(t('data.errors.notUtf8'));
    return { text: iconv.decode(bytes, 'gbk'), encoding: 'gbk' };
  }
}

/**
 * Cells a spreadsheet could take for a formula, and cells that already start with the quotes that
 * protect one: the export puts one more ' before each (writeCsv, writeXlsx), the import takes
 * exactly that one away again, so export → import gives back what was stored, whatever it was.
 */
export const FORMULA_LIKE = /^'*[=+\-@\t\r]/;
const unprotect = (cell: string) => (cell.startsWith("'") && FORMULA_LIKE.test(cell.slice(1)) ? cell.slice(1) : cell);

const isXlsx = (bytes: Buffer) => bytes[0] === 0x50 && bytes[1] === 0x4b; // a zip: PK

/** What an import file may hold. An .xlsx is checked against these before any of it is parsed. */
export const TABLE_LIMITS = {
  maxRows: 200_000,
  /** columns kept per row (the widest dataset, the catalogue, has 38) */
  maxColumns: 64,
  /** an .xlsx's entries together, inflated: 200,000 exported households come to 67 MB */
  maxInflatedBytes: 160 * 1024 * 1024,
  maxEntries: 1000,
  /** the worker that reads a file: its heap, and how long it may take */
  maxHeapMb: 768,
  timeoutMs: 120_000,
};

export interface TableJob {
  bytes: Uint8Array;
  encoding: Encoding;
  maxRows: number;
}
export type TableAnswer = { table: Table } | { problem: string };

/** Reads a file (in table-worker.ts, for readTable): any problem is a TableError. */
export async function parseTable(bytes: Buffer, encoding: Encoding = 'auto', maxRows = TABLE_LIMITS.maxRows): Promise<Table> {
  return parseTableNow(bytes, encoding, maxRows);
}

/** The same, on the calling thread: for files that ship with the product (the demo seed), never for uploads. */
export function parseTableNow(bytes: Buffer, encoding: Encoding = 'auto', maxRows = TABLE_LIMITS.maxRows): Table {
  let matrix: string[][];
  let format: Table['format'];
  let enc: Table['encoding'];
  if (isXlsx(bytes)) {
    format = 'xlsx';
    matrix = readXlsx(bytes, maxRows);
  } else {
    format = 'csv';
    const decoded = decodeCsv(bytes, encoding);
    enc = decoded.encoding;
    try {
      matrix = parse(decoded.text, { relax_column_count: true, skip_empty_lines: true, bom: true, to: maxRows + 2 }) as string[][];
    } catch (err) {
      throw new TableError(t('data.errors.csv', { detail: (err as Error).message }));
    }
  }
  const [head, ...rest] = matrix;
  if (!head) throw new TableError(t('data.errors.empty'));
  if (rest.length > maxRows) throw new TableError(t('data.errors.tooManyRows', { max: maxRows }));
  const width = Math.min(head.length, TABLE_LIMITS.maxColumns);
  return {
    headers: head.slice(0, width).map((h) => String(h ?? '').trim()),
    rows: rest.map((r) => Array.from({ length: width }, (_, i) => unprotect(String(r[i] ?? '')).trim())).filter((r) => r.some((c) => c !== '')),
    format,
    encoding: enc,
  };
}

function readXlsx(bytes: Buffer, maxRows: number): string[][] {
  let read;
  try {
    read = readFirstSheet(bytes, { ...TABLE_LIMITS, maxRows });
  } catch (err) {
    if (err instanceof ZipLimitError) throw new TableError(t(err.problem === 'tooLarge' ? 'data.errors.tooLarge' : 'data.errors.unreadable'));
    throw new TableError(t('data.errors.unreadable'));
  }
  if ('problem' in read)
    throw new TableError(read.problem === 'tooManyRows' ? t('data.errors.tooManyRows', { max: maxRows }) : t(`data.errors.${read.problem}`));
  return read.rows;
}
