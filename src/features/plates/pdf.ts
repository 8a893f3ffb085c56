import type { Writable } from 'node:stream';
import PDFDocument from 'pdfkit';
import { t } from '../../i18n/index.js';
import type { CadreCard } from '../cadres/service.js';
import { plateFont } from './font.js';
import { qrRuns } from './qr.js';
import type { PrintablePlate } from './repo.js';
import { A4, MM, VILLAGE_PLATE, plateCode, type PlateSize } from './sizes.js';

const NAVY = '#0b3f75';
type Doc = PDFKit.PDFDocument;

function newDoc(out: Writable, title: string): Doc {
  // No layout cache: pdfkit would keep every distinct string (each address, each plate code) until the
  // end; without it memory stays flat however many plates (10,000: ~215 MB; 20,000: ~227 MB).
  const doc = new PDFDocument({ size: 'A4', margin: 0, autoFirstPage: false, fontLayoutCache: false, info: { Title: title, Creator: '码上服务' } });
  doc.registerFont('sc', plateFont());
  doc.pipe(out);
  return doc;
}

/** Draws a QR code with its quiet zone as filled runs: a few hundred operations per code. */
function drawQr(doc: Doc, url: string, x: number, y: number, side: number): void {
  const { size, runs } = qrRuns(url);
  const cell = side / (size + 8);
  doc.save().rect(x, y, side, side).fill('#ffffff');
  for (const [row, col, len] of runs) doc.rect(x + (col + 4) * cell, y + (row + 4) * cell, len * cell + 0.01, cell + 0.01);
  doc.fill('#000000').restore();
}

/** Text width scales with the font size, so one measurement at 1 pt gives the size that fits. */
function widthAt1(doc: Doc, text: string): number {
  return doc.font('sc').fontSize(1).widthOfString(text);
}

/** Fits text on one line by shrinking the font (not below 6 pt); returns the size used. */
function fitText(doc: Doc, text: string, x: number, y: number, width: number, size: number, color: string): number {
  const s = Math.max(6, Math.min(size, Math.floor((width / widthAt1(doc, text)) * 2) / 2));
  doc.fontSize(s).fillColor(color).text(text, x, y, { width, lineBreak: false });
  return s;
}

/**
 * Fits text in at most two lines: first shrinks it on one line down to `min`, then wraps it to two
 * lines at the largest size that fits, so a long address is never cut nor shrunk out of sight.
 * Returns the height used.
 */
function fitLines(doc: Doc, text: string, x: number, y: number, width: number, max: number, min: number, color: string): number {
  const oneLine = Math.min(max, Math.floor((width / widthAt1(doc, text)) * 2) / 2);
  doc.fillColor(color);
  if (oneLine >= min) {
    doc.fontSize(oneLine).text(text, x, y, { width, lineBreak: false });
    return doc.currentLineHeight(true);
  }
  const opts = (s: number) => ({ width, lineGap: s * 0.1 });
  let s = min;
  for (; s > 5; s -= 0.5) {
    doc.fontSize(s);
    const line = doc.heightOfString('门', opts(s));
    if (doc.heightOfString(text, opts(s)) <= 2 * line + 0.5) break;
  }
  doc.fontSize(s).text(text, x, y, opts(s));
  return doc.heightOfString(text, opts(s));
}

function drawHouseholdPlate(doc: Doc, p: PrintablePlate, url: string, x: number, y: number, size: PlateSize): void {
  const W = size.width * MM;
  const H = size.height * MM;
  const k = size.width / 200; // everything scales with the plate
  const pad = 6 * MM * k;
  const band = H * 0.2;
  doc.save();
  const radius = 4 * MM * k;
  // The band follows the plate's rounded corners.
  doc
    .save()
    .roundedRect(x + 1, y + 1, W - 2, H - 2, radius)
    .clip()
    .rect(x + 1, y + 1, W - 2, band)
    .fill(NAVY)
    .restore();
  doc
    .roundedRect(x + 1, y + 1, W - 2, H - 2, radius)
    .lineWidth(1.2 * k + 0.3)
    .strokeColor(NAVY)
    .stroke();
  fitText(doc, `${p.townName} · ${p.villageName}`, x + pad, y + band * 0.22, W - 2 * pad, 20 * k, '#ffffff');
  const qrSide = H - band - 2 * pad;
  drawQr(doc, url, x + pad, y + band + pad, qrSide);
  const tx = x + 2 * pad + qrSide;
  const tw = W - (tx - x) - pad;
  let ty = y + band + pad;
  // The door address is what the plate is for: large, whole, on at most two lines.
  ty += fitLines(doc, p.address, tx, ty, tw, 34 * k, 24 * k, '#000000') + 4 * k;
  const caption = fitText(doc, t('plates.caption'), tx, ty, tw, 15 * k, NAVY);
  ty += caption * 1.6;
  // Small print keeps a floor that stays legible on a 100 mm sticker.
  fitText(doc, t('plates.flows'), tx, ty, tw, Math.max(11 * k, 7), '#222222');
  const codeSize = Math.max(10 * k, 7.5);
  fitText(doc, `${t('plates.code')} ${plateCode(p.plateId)}`, tx, y + H - pad - codeSize * 1.1, tw, codeSize, '#333333');
  doc.restore();
}

/** Short cut marks in the page margins, in line with every plate edge. */
function drawCutMarks(doc: Doc, left: number, top: number, size: PlateSize): void {
  const W = size.width * MM;
  const H = size.height * MM;
  const len = 4 * MM;
  const gap = 1 * MM;
  doc.save().lineWidth(0.3).strokeColor('#000000');
  const bottom = top + size.rows * H;
  const right = left + size.columns * W;
  for (let c = 0; c <= size.columns; c++) {
    const x = left + c * W;
    doc
      .moveTo(x, top - gap - len)
      .lineTo(x, top - gap)
      .stroke();
    doc
      .moveTo(x, bottom + gap)
      .lineTo(x, bottom + gap + len)
      .stroke();
  }
  for (let r = 0; r <= size.rows; r++) {
    const yy = top + r * H;
    doc
      .moveTo(left - gap - len, yy)
      .lineTo(left - gap, yy)
      .stroke();
    doc
      .moveTo(right + gap, yy)
      .lineTo(right + gap + len, yy)
      .stroke();
  }
  doc.restore();
}

/**
 * Streams household plates into a PDF, `size.columns × size.rows` to an A4 page. After each page it
 * lets the event loop run and waits while the destination is full, so pages leave memory as they
 * are written however many plates there are. Resolves with the plate count once all is written.
 */
export async function writeHouseholdPlatesPdf(
  out: Writable,
  plates: AsyncIterable<PrintablePlate> | Iterable<PrintablePlate>,
  opts: { size: PlateSize; url: (token: string) => string; title: string },
): Promise<number> {
  const finished = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('close', resolve);
    out.on('error', reject);
  });
  const doc = newDoc(out, opts.title);
  const perPage = opts.size.columns * opts.size.rows;
  const left = ((A4.width - opts.size.columns * opts.size.width) / 2) * MM;
  const top = ((A4.height - opts.size.rows * opts.size.height) / 2) * MM;
  let n = 0;
  for await (const p of plates) {
    const slot = n % perPage;
    if (slot === 0) {
      if (n > 0) await drained(doc, out);
      doc.addPage();
      drawCutMarks(doc, left, top, opts.size);
    }
    const col = slot % opts.size.columns;
    const row = Math.floor(slot / opts.size.columns);
    drawHouseholdPlate(doc, p, opts.url(p.token), left + col * opts.size.width * MM, top + row * opts.size.height * MM, opts.size);
    n++;
  }
  if (n === 0) {
    doc.addPage();
    doc
      .font('sc')
      .fontSize(14)
      .fillColor('#000000')
      .text(t('plates.none'), 20 * MM, 20 * MM);
  }
  doc.end();
  await finished;
  return n;
}

/** Gives the stream a turn, and waits while the destination asks to slow down. */
async function drained(doc: Doc, out: Writable): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  while ((out.writableNeedDrain || doc.readableLength > 1 << 20) && !out.destroyed) {
    await new Promise((resolve) => out.once('drain', resolve));
  }
}

/** A village's plate for its notice board: one A4 page, the QR large, and the cadres who serve it. */
export function writeVillagePlatePdf(
  out: Writable,
  v: { plateId: number; villageName: string; townName: string; cadres: CadreCard[] },
  url: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const doc = newDoc(out, v.villageName);
    out.on('error', reject);
    out.on('finish', () => resolve());
    doc.addPage();
    const x = ((A4.width - VILLAGE_PLATE.width) / 2) * MM;
    const y = ((A4.height - VILLAGE_PLATE.height) / 2) * MM;
    const W = VILLAGE_PLATE.width * MM;
    const H = VILLAGE_PLATE.height * MM;
    doc
      .save()
      .roundedRect(x, y, W, H, 6 * MM)
      .clip()
      .rect(x, y, W, 40 * MM)
      .fill(NAVY)
      .restore();
    doc
      .roundedRect(x, y, W, H, 6 * MM)
      .lineWidth(2)
      .strokeColor(NAVY)
      .stroke();
    fitText(doc, v.villageName, x + 10 * MM, y + 8 * MM, W - 20 * MM, 40, '#ffffff');
    fitText(doc, v.townName, x + 10 * MM, y + 26 * MM, W - 20 * MM, 16, '#ffffff');
    const side = 110 * MM;
    drawQr(doc, url, x + (W - side) / 2, y + 48 * MM, side);
    fitText(doc, t('plates.caption'), x + 10 * MM, y + 162 * MM, W - 20 * MM, 24, NAVY);
    fitText(doc, t('plates.flows'), x + 10 * MM, y + 176 * MM, W - 20 * MM, 16, '#222222');
    let cy = y + 192 * MM;
    fitText(doc, t('plates.cadres'), x + 10 * MM, cy, W - 20 * MM, 16, NAVY);
    cy += 10 * MM;
    for (const c of v.cadres.slice(0, 6)) {
      fitText(doc, `${t(`help.roles.${c.role}`)}  ${c.name}  ${c.phone}`, x + 10 * MM, cy, W - 20 * MM, 14, '#000000');
      cy += 8 * MM;
    }
    fitText(doc, `${t('plates.code')} ${plateCode(v.plateId)}`, x + 10 * MM, y + H - 10 * MM, W - 20 * MM, 10, '#444444');
    doc.end();
  });
}
