import zlib from 'node:zlib';

/** One file in a hand-built zip; `declaredSize` lies about its inflated size when given. */
export interface ZipEntry {
  name: string;
  data: Buffer | Deflated;
  declaredSize?: number;
}

/** Content deflated ahead, for entries too big to hold inflated. */
export interface Deflated {
  packed: Buffer;
  size: number;
  crc: number;
}

/** Deflates the parts in turn (the same part may repeat) without joining them in memory. */
export async function deflateParts(parts: Iterable<Buffer>): Promise<Deflated> {
  const deflate = zlib.createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise((r) => deflate.on('end', r));
  let size = 0;
  let crc = 0;
  for (const part of parts) {
    size += part.length;
    crc = zlib.crc32(part, crc);
    if (!deflate.write(part)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await ended;
  return { packed: Buffer.concat(out), size, crc };
}

/** A zip with deflated entries, written byte by byte so a test can make it lie. */
export function zipOf(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const d = Buffer.isBuffer(e.data) ? { packed: zlib.deflateRawSync(e.data, { level: 9 }), size: e.data.length, crc: zlib.crc32(e.data) } : e.data;
    const { packed, crc } = d;
    const size = e.declaredSize ?? d.size;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // names in UTF-8
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
const rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const xml = (s: string) => Buffer.from(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n${s}`, 'utf8');
/** What comes before and after the rows of a sheet (for deflateParts). */
export const sheetStart = xml(`<worksheet ${ns} ${rel}><sheetData>`);
export const sheetEnd = Buffer.from('</sheetData></worksheet>');
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A minimal .xlsx with one sheet: `sheetData` is the inside of <sheetData> (or a whole sheet
 * deflated ahead). `declaredSize` makes the
 * sheet entry claim that many bytes inflated.
 */
export function xlsxOf(sheetData: string | Deflated, o: { declaredSize?: number; styles?: string } = {}): Buffer {
  const sheet = typeof sheetData === 'string' ? Buffer.concat([sheetStart, Buffer.from(sheetData, 'utf8'), sheetEnd]) : sheetData;
  return zipOf([
    {
      name: '[Content_Types].xml',
      data: xml(
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
      ),
    },
    {
      name: '_rels/.rels',
      data: xml(
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
      ),
    },
    { name: 'xl/workbook.xml', data: xml(`<workbook ${ns} ${rel}><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`) },
    {
      name: 'xl/_rels/workbook.xml.rels',
      data: xml(
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
      ),
    },
    {
      name: 'xl/styles.xml',
      data: xml(o.styles ?? `<styleSheet ${ns}><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>`),
    },
    { name: 'xl/worksheets/sheet1.xml', data: sheet, declaredSize: o.declaredSize },
  ]);
}

/** A row of inline-string cells, for xlsxOf. */
export const inlineRow = (n: number, cells: string[]) =>
  `<row r="${n}">${cells.map((c, i) => `<c r="${String.fromCharCode(65 + i)}${n}" t="inlineStr"><is><t>${esc(c)}</t></is></c>`).join('')}</row>`;

/** A decompression bomb: a header row, then `rows` rows of one cell, numbered as Excel writes them. */
export function bombXlsx(rows: number, o: { declaredSize?: number } = {}): Buffer {
  const parts: string[] = [inlineRow(1, ['村居代码', '门牌地址', '户联系人', '联系电话', '备注'])];
  for (let n = 2; n <= rows + 1; n++) parts.push(`<row r="${n}"><c r="A${n}" t="inlineStr"><is><t>x</t></is></c></row>`);
  return xlsxOf(parts.join(''), o);
}
