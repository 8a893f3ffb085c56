import { openZip, type ZipLimits } from './zip-limits.js';

/**
 * Reads the first worksheet of an .xlsx as rows of cell texts, within limits: the zip is opened
 * with bounded inflation (zip-limits.ts) and rows are taken one at a time from the sheet's XML,
 * stopping at the row cap, so a small file that inflates to millions of rows is refused before it
 * is held as cells. Only what an import needs of SpreadsheetML is read: shared and inline strings,
 * numbers, booleans, errors, dates (by their number format), and a formula's cached result.
 *
 * (exceljs's streaming reader would do this, but it decodes each inflated chunk on its own and so
 * garbles a Chinese character split between two chunks; its full reader holds every cell as an
 * object, ~1 KB a cell.)
 */
export function readFirstSheet(
  bytes: Buffer,
  limits: ZipLimits & { maxRows: number; maxColumns: number },
): { rows: string[][] } | { problem: 'unreadable' | 'noSheet' | 'tooManyRows' } {
  const zip = openZip(bytes, limits);
  const text = (name: string) => (zip.has(name) ? new TextDecoder('utf-8').decode(zip.read(name)) : undefined);
  const workbook = text('xl/workbook.xml');
  if (workbook === undefined) return { problem: 'unreadable' };
  const sheetPath = firstSheetPath(workbook, text('xl/_rels/workbook.xml.rels') ?? '');
  if (!sheetPath) return { problem: 'noSheet' };
  const sheet = text(sheetPath);
  if (sheet === undefined) return { problem: 'unreadable' };
  const shared = sharedStrings(text('xl/sharedStrings.xml') ?? '');
  const dates = dateStyles(text('xl/styles.xml') ?? '');
  const date1904 = /\bdate1904="(?:1|true)"/.test(first(workbook, 'workbookPr')?.[0] ?? '');

  const rows: string[][] = [];
  let rowNumber = 0;
  for (const [rowAttrs, rowBody] of elements(sheet, 'row')) {
    const r = rowAttrs.match(/\br="(\d+)"/);
    rowNumber = r ? Number(r[1]) : rowNumber + 1;
    // Row 1 is the header: more than maxRows rows after it and the file is refused here.
    if (rowNumber - 1 > limits.maxRows) return { problem: 'tooManyRows' };
    while (rows.length < rowNumber - 1) rows.push([]);
    const cells: string[] = [];
    let column = 0;
    for (const [attrs, body] of elements(rowBody, 'c')) {
      const ref = attrs.match(/\br="([A-Z]+)\d*"/);
      column = ref ? columnIndex(ref[1]!) : column + 1;
      if (column > limits.maxColumns) break;
      while (cells.length < column - 1) cells.push('');
      cells.push(cellValue(attrs, body, shared, dates, date1904));
    }
    rows.push(cells);
  }
  return { rows };
}

/**
 * The `<name …/>` and `<name …>…</name>` elements of `xml` in order (any namespace prefix), as
 * [attributes, body, start, end]. One pass from left to right, each search starting where the last
 * ended, so a hostile sheet (opened elements that never close) costs linear time, never quadratic.
 * Elements of the same name are not nested in SpreadsheetML.
 */
function* elements(xml: string, name: string): Generator<[string, string, number, number]> {
  const open = new RegExp(`<(?:\\w+:)?${name}\\b([^<>]*?)(/?)>`, 'g');
  const close = new RegExp(`</(?:\\w+:)?${name}>`, 'g');
  for (let m = open.exec(xml); m; m = open.exec(xml)) {
    if (m[2] === '/') {
      yield [m[1] ?? '', '', m.index, open.lastIndex];
      continue;
    }
    close.lastIndex = open.lastIndex;
    const c = close.exec(xml);
    if (!c) return;
    yield [m[1] ?? '', xml.slice(open.lastIndex, c.index), m.index, close.lastIndex];
    open.lastIndex = close.lastIndex;
  }
}

const first = (xml: string, name: string) => elements(xml, name).next().value as [string, string, number, number] | undefined;

function firstSheetPath(workbook: string, rels: string): string | undefined {
  const sheet = first(workbook, 'sheet');
  const id = sheet && sheet[0].match(/\br:id="([^"]+)"/)?.[1];
  if (!id) return undefined;
  for (const [attrs] of elements(rels, 'Relationship')) {
    if (attrs.match(/\bId="([^"]+)"/)?.[1] !== id) continue;
    const target = unescapeXml(attrs.match(/\bTarget="([^"]+)"/)?.[1] ?? '');
    return target.startsWith('/') ? target.slice(1) : `xl/${target}`;
  }
  return undefined;
}

/** The visible text of an `<si>` or `<is>`: its `<t>` runs, without phonetic guides (`<rPh>`). */
function runsText(body: string): string {
  const guides = Array.from(elements(body, 'rPh'), ([, , start, end]) => [start, end] as const);
  let out = '';
  let g = 0;
  for (const [, text, start] of elements(body, 't')) {
    while (g < guides.length && guides[g]![1] <= start) g++;
    if (g < guides.length && guides[g]![0] < start) continue; // inside a guide
    out += unescapeXml(text);
  }
  return out;
}

function sharedStrings(xml: string): string[] {
  return Array.from(elements(xml, 'si'), ([, body]) => runsText(body));
}

/** Style indexes (cellXfs order) whose number format shows a date. */
function dateStyles(xml: string): Set<number> {
  const custom = new Map<string, string>();
  for (const [attrs] of elements(xml, 'numFmt')) {
    const id = attrs.match(/\bnumFmtId="(\d+)"/)?.[1];
    if (id) custom.set(id, unescapeXml(attrs.match(/\bformatCode="([^"]*)"/)?.[1] ?? ''));
  }
  const isDate = (id: string) => {
    const n = Number(id);
    if ((n >= 14 && n <= 22) || (n >= 27 && n <= 36) || (n >= 45 && n <= 47) || (n >= 50 && n <= 58)) return true;
    const code = custom
      .get(id)
      ?.replace(/\[[^\]]*]/g, '')
      .replace(/"[^"]*"/g, '');
    return code !== undefined && /[ymdhsb]/i.test(code) && !/^General$/i.test(code);
  };
  const found = new Set<number>();
  let i = 0;
  for (const [attrs] of elements(first(xml, 'cellXfs')?.[1] ?? '', 'xf')) {
    if (isDate(attrs.match(/\bnumFmtId="(\d+)"/)?.[1] ?? '0')) found.add(i);
    i++;
  }
  return found;
}

function cellValue(attrs: string, body: string, shared: string[], dates: Set<number>, date1904: boolean): string {
  const type = attrs.match(/\bt="(\w+)"/)?.[1] ?? 'n';
  if (type === 'inlineStr') return runsText(first(body, 'is')?.[1] ?? '');
  // A formula cell holds its last result in <v>, like any other cell; without one it reads empty.
  const v = first(body, 'v')?.[1];
  if (v === undefined || v.trim() === '') return '';
  switch (type) {
    case 's':
      return shared[Number(v)] ?? '';
    case 'b':
      return v.trim() === '1' ? 'true' : 'false';
    case 'str':
    case 'e':
      return unescapeXml(v);
    case 'd':
      return unescapeXml(v).slice(0, 10);
    default: {
      const n = Number(v);
      if (Number.isNaN(n)) return unescapeXml(v);
      const style = Number(attrs.match(/\bs="(\d+)"/)?.[1] ?? '0');
      if (dates.has(style)) {
        const date = new Date(Math.round((n - 25569 + (date1904 ? 1462 : 0)) * 86_400_000));
        return Number.isNaN(date.getTime()) ? String(n) : date.toISOString().slice(0, 10);
      }
      return String(n);
    }
  }
}

function columnIndex(letters: string): number {
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(?:(lt|gt|amp|quot|apos)|#(\d+)|#x([0-9a-fA-F]+));/g, (m, name: string | undefined, dec: string | undefined, hex: string | undefined) => {
    if (name) return ENTITIES[name]!;
    const code = dec ? Number(dec) : parseInt(hex!, 16);
    return code <= 0x10ffff ? String.fromCodePoint(code) : m;
  });
}
