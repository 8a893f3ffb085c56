import fs from 'node:fs';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';

const require = createRequire(import.meta.url);

/** Noto Sans SC (simplified Chinese subset, regular) from @fontsource, as published: WOFF 1.0. */
export const FONT_FILE = require.resolve('@fontsource/noto-sans-sc/files/noto-sans-sc-chinese-simplified-400-normal.woff');

/**
 * Why the font is unwrapped here rather than handed to pdfkit as it comes:
 *
 * - pdfkit embeds a subset of a TrueType font by copying each glyph's bytes out of the `glyf` table at
 *   the offsets in `loca` (fontkit's TTFSubset). A WOFF2 file stores `glyf` and `loca` transformed, so
 *   those copies are empty: the PDF gets a text layer (pdftotext finds the words) and no outlines.
 * - From a WOFF file fontkit reads correct glyphs, but it inflates the whole 2.4 MB `glyf` table again
 *   on every table access (once or more per glyph), about 20 ms a plate.
 *
 * A WOFF 1.0 file is a plain TrueType font with each table zlib-compressed, so it is rebuilt into an
 * ordinary sfnt once per process (~30 ms) and kept in memory (2.5 MB): every glyph is then read
 * straight from the buffer, and subsetting copies real outlines.
 */
let sfnt: Buffer | undefined;

export function plateFont(): Buffer {
  sfnt ??= woffToSfnt(fs.readFileSync(FONT_FILE));
  return sfnt;
}

/** Rebuilds the sfnt (TTF/OTF) inside a WOFF 1.0 file (W3C WOFF 1.0, sections 3–5). */
export function woffToSfnt(woff: Buffer): Buffer {
  if (woff.toString('latin1', 0, 4) !== 'wOFF') throw new Error('not a WOFF 1.0 font');
  const flavor = woff.readUInt32BE(4);
  const numTables = woff.readUInt16BE(12);
  const tables: { tag: string; checksum: number; data: Buffer }[] = [];
  for (let i = 0; i < numTables; i++) {
    const at = 44 + i * 20;
    const offset = woff.readUInt32BE(at + 4);
    const compLength = woff.readUInt32BE(at + 8);
    const origLength = woff.readUInt32BE(at + 12);
    const stored = woff.subarray(offset, offset + compLength);
    const data = compLength < origLength ? inflateSync(stored) : stored;
    if (data.length !== origLength) throw new Error(`WOFF table ${woff.toString('latin1', at, at + 4)} has the wrong length`);
    tables.push({ tag: woff.toString('latin1', at, at + 4), checksum: woff.readUInt32BE(at + 16), data });
  }
  const pad4 = (n: number) => (n + 3) & ~3;
  const headerLength = 12 + 16 * numTables;
  const out = Buffer.alloc(headerLength + tables.reduce((sum, t) => sum + pad4(t.data.length), 0));
  const entrySelector = Math.floor(Math.log2(numTables));
  const searchRange = 2 ** entrySelector * 16;
  out.writeUInt32BE(flavor, 0);
  out.writeUInt16BE(numTables, 4);
  out.writeUInt16BE(searchRange, 6);
  out.writeUInt16BE(entrySelector, 8);
  out.writeUInt16BE(numTables * 16 - searchRange, 10);
  let offset = headerLength;
  tables.forEach((t, i) => {
    const at = 12 + i * 16;
    out.write(t.tag, at, 'latin1');
    out.writeUInt32BE(t.checksum, at + 4);
    out.writeUInt32BE(offset, at + 8);
    out.writeUInt32BE(t.data.length, at + 12);
    t.data.copy(out, offset);
    offset += pad4(t.data.length);
  });
  return out;
}
