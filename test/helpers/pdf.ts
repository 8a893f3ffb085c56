import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { A4, type PlateSize } from '../../src/features/plates/sizes.js';

const run = promisify(execFile);

/**
 * The TrueType fonts a PDF embeds (FontFile2), and for each how many of its glyphs carry outlines.
 * A font whose glyphs are all empty gives a PDF with a text layer and nothing visible, which is what
 * an embedded WOFF2 once did.
 */
export function embeddedFontOutlines(pdf: Buffer): { glyphs: number; drawn: number }[] {
  const text = pdf.toString('latin1');
  return [...text.matchAll(/\/FontFile2 (\d+) 0 R/g)].map(([, id]) => {
    const at = text.indexOf(`\n${id} 0 obj`);
    const head = /<<([\s\S]*?)>>\s*stream\r?\n/.exec(text.slice(at, at + 400))!;
    const length = Number(/\/Length (\d+)/.exec(head[1]!)![1]);
    const start = at + head.index + head[0].length;
    const raw = pdf.subarray(start, start + length);
    return glyphOutlines(/FlateDecode/.test(head[1]!) ? inflateSync(raw) : raw);
  });
}

function glyphOutlines(font: Buffer): { glyphs: number; drawn: number } {
  const tables = new Map<string, { offset: number; length: number }>();
  for (let i = 0; i < font.readUInt16BE(4); i++) {
    const at = 12 + i * 16;
    tables.set(font.toString('latin1', at, at + 4), { offset: font.readUInt32BE(at + 8), length: font.readUInt32BE(at + 12) });
  }
  const headT = tables.get('head')!;
  const loca = tables.get('loca')!;
  const glyf = tables.get('glyf')!;
  const longOffsets = font.readInt16BE(headT.offset + 50) === 1;
  const glyphs = font.readUInt16BE(tables.get('maxp')!.offset + 4);
  const offset = (i: number) => (longOffsets ? font.readUInt32BE(loca.offset + 4 * i) : 2 * font.readUInt16BE(loca.offset + 2 * i));
  let drawn = 0;
  for (let i = 0; i < glyphs; i++) {
    const from = offset(i);
    if (offset(i + 1) <= from || from + 10 > glyf.length) continue;
    const g = glyf.offset + from;
    const contours = font.readInt16BE(g);
    const [xMin, yMin, xMax, yMax] = [2, 4, 6, 8].map((o) => font.readInt16BE(g + o)) as [number, number, number, number];
    if (contours !== 0 && xMax > xMin && yMax > yMin) drawn++;
  }
  return { glyphs, drawn };
}

/** Renders one page of a PDF to PNG with pdftoppm (Debian's poppler-utils). */
export function renderPdfPage(pdf: Buffer, page: number, dpi: number): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-page-'));
  try {
    fs.writeFileSync(path.join(dir, 'in.pdf'), pdf);
    execFileSync('pdftoppm', [
      '-r',
      String(dpi),
      '-f',
      String(page),
      '-l',
      String(page),
      '-singlefile',
      '-png',
      path.join(dir, 'in.pdf'),
      path.join(dir, 'page'),
    ]);
    return fs.readFileSync(path.join(dir, 'page.png'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads the words in an image with Tesseract (Debian's tesseract-ocr, tesseract-ocr-chi-sim), all white space removed. */
export async function ocr(png: Buffer, mode: 'block' | 'sparse'): Promise<string> {
  const child = run('tesseract', ['stdin', 'stdout', '-l', 'chi_sim', '--psm', mode === 'block' ? '6' : '11'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  child.child.stdin!.end(png);
  try {
    return (await child).stdout.replace(/\s+/g, '');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('tesseract is missing: apt-get install tesseract-ocr tesseract-ocr-chi-sim (bash .ci/run does)', { cause: err });
    throw err;
  }
}

/**
 * Reads an image at full, half and a third of its size, as a person steps back from a sign: Tesseract
 * reads Chinese best when a glyph is 20–35 px high, and a plate rendered at 200 dpi holds 8 pt plate
 * codes (22 px), 15–20 pt captions and 34 pt addresses (94 px). The readings are joined with ' | ';
 * text that is not drawn is found in none of them.
 */
export async function ocrScales(png: Buffer, mode: 'block' | 'sparse'): Promise<string> {
  const { width } = await sharp(png).metadata();
  const scaled = await Promise.all(
    [2, 3].map((d) =>
      sharp(png)
        .resize({ width: Math.round(width! / d) })
        .png()
        .toBuffer(),
    ),
  );
  return (await Promise.all([png, ...scaled].map((img) => ocr(img, mode)))).join(' | ');
}

export interface PlateReading {
  /** the navy band at the top: township and village */
  band: string;
  /** the column beside the QR code: address, caption, flows and plate code */
  text: string;
}

const MM_PX = (dpi: number) => (mm: number) => Math.round((mm / 25.4) * dpi);

/**
 * Reads what a person sees on each household plate of a rendered A4 page: the band (white on navy,
 * so inverted for the reader) and the text beside the QR code, plate by plate in print order.
 */
export async function readPlates(page: Buffer, size: PlateSize, dpi: number, slots = size.columns * size.rows): Promise<PlateReading[]> {
  const px = MM_PX(dpi);
  const left = (A4.width - size.columns * size.width) / 2;
  const top = (A4.height - size.rows * size.height) / 2;
  const k = size.width / 200;
  const pad = 6 * k;
  const band = size.height * 0.2;
  const qr = size.height - band - 2 * pad;
  const crops = [];
  for (let slot = 0; slot < slots; slot++) {
    const x = left + (slot % size.columns) * size.width;
    const y = top + Math.floor(slot / size.columns) * size.height;
    crops.push({
      band: sharp(page)
        .extract({ left: px(x), top: px(y), width: px(size.width), height: px(band) })
        .greyscale()
        .negate()
        .png()
        .toBuffer(),
      // from just right of the QR code to the plate's edge
      text: sharp(page)
        .extract({ left: px(x + 1.5 * pad + qr), top: px(y + band), width: px(size.width - 1.5 * pad - qr), height: px(size.height - band) })
        .greyscale()
        .png()
        .toBuffer(),
    });
  }
  const out: PlateReading[] = [];
  for (const c of crops) out.push({ band: await ocrScales(await c.band, 'block'), text: await ocrScales(await c.text, 'sparse') });
  return out;
}

/** Removes white space, as the reader does, so expected words compare with what was read. */
export const squash = (s: string) => s.replace(/\s+/g, '');
