import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIZES, plateCode } from '../../src/features/plates/sizes.js';
import { buildApp, type TestApp } from '../helpers/app.js';
import { aCadre, aHousehold, aVillage } from '../helpers/builders.js';
import { ocrScales, readPlates, renderPdfPage, squash } from '../helpers/pdf.js';
import { aUser, signIn } from '../helpers/staff.js';
import type { Agent } from 'supertest';
import sharp from 'sharp';
import fs from 'node:fs';

/**
 * What a person sees on printed plates: every PDF the product makes is rendered with pdftoppm and read
 * back with Tesseract, plate by plate. A text layer alone (pdftotext) is not enough: plates once
 * printed with searchable words and no visible glyphs.
 */

const DPI = 200;
// 30 characters, as long as a door address gets: it must wrap, not vanish or be cut.
const LONG = '道义社区幸福家园小区东区十二号楼三单元一五零二室东户西侧三间';

let stack: TestApp;
let agent: Agent;
let village: { id: number; code: string; token: string };
let households: { id: number; address: string; plateId: number }[];

async function pdf(url: string): Promise<Buffer> {
  const res = await agent
    .get(url)
    .buffer(true)
    .parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    })
    .expect(200);
  return res.body as Buffer;
}

function save(name: string, png: Buffer) {
  fs.mkdirSync('screenshots', { recursive: true });
  fs.writeFileSync(`screenshots/${name}.png`, png);
}

beforeAll(async () => {
  stack = buildApp();
  village = await aVillage(stack.sql, { name: '史家庄村', townCode: '370812103' });
  const longestDemo = stack.db.prepare('SELECT address FROM households ORDER BY length(address) DESC, id LIMIT 1').pluck().get() as string;
  // The two addresses the print sheet once cut to the same 「1号楼1单元1…」, the demo's longest, and a 30-character one.
  const addresses = [...new Set(['1号楼1单元101室', '1号楼1单元102室', longestDemo, LONG, '3胡同12号', '7号', '泗庄路南18号', '幸福路6号', '2胡同9号'])].slice(
    0,
    8,
  );
  households = [];
  for (const address of addresses) {
    const h = await aHousehold(stack.sql, { villageId: village.id, address });
    households.push({ ...h, plateId: Number(await stack.sql.value('SELECT id FROM plates WHERE token = ?', h.token)) });
  }
  await aCadre(stack.sql, { villageId: village.id, name: '周明远', role: 'party_secretary', phone: '19900008801' });
  const staff = await aUser(stack.services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
  agent = await signIn(stack.app, staff.username);
});

afterAll(() => stack?.db.close());

function expectPlate(read: { band: string; text: string }, h: { address: string; plateId: number }) {
  expect(read.band, `band of ${h.address}`).toContain('史家庄村');
  expect(read.text, `text of ${h.address}`).toContain(squash(h.address));
  expect(read.text, `code of ${h.address}`).toContain(plateCode(h.plateId));
  expect(read.text).toContain('扫码办事');
}

// Tesseract reads each plate at three scales: minutes of CPU on a busy two-core machine.
describe('printed plates can be read by a person: OCR of the rendered PDF', { timeout: 240_000 }, () => {
  it('household plates, 200×120 mm, two to a page: village, the whole door address and the plate code on each', async () => {
    const file = await pdf(`/admin/plates.pdf?village=${village.code}&size=plate`);
    for (let page = 1; page <= 4; page++) {
      const png = renderPdfPage(file, page, DPI);
      if (page === 2) save('plates-pdf-plate-long-address', png);
      const read = await readPlates(png, SIZES.plate, DPI);
      read.forEach((r, slot) => expectPlate(r, households[(page - 1) * 2 + slot]!));
    }
  });

  it('stickers, 100×60 mm, eight to a page: every sticker is readable, the 30-character address wrapped whole', async () => {
    const file = await pdf(`/admin/plates.pdf?village=${village.code}&size=sticker`);
    const png = renderPdfPage(file, 1, DPI);
    save('plates-pdf-sticker', png);
    const read = await readPlates(png, SIZES.sticker, DPI);
    expect(read).toHaveLength(8);
    read.forEach((r, slot) => expectPlate(r, households[slot]!));
  });

  it('reprints (changed since a date, or chosen households) draw their text too', async () => {
    stack.db.prepare("UPDATE plates SET issued_at = '2026-01-05T00:00:00.000Z' WHERE village_id = ? AND kind = 'household'").run(village.id);
    stack.db.prepare("UPDATE plates SET issued_at = '2026-03-01T00:00:00.000Z' WHERE id = ?").run(households[5]!.plateId);
    const since = await pdf(`/admin/plates.pdf?village=${village.code}&since=2026-02-01&size=plate`);
    const [one, none] = await readPlates(renderPdfPage(since, 1, DPI), SIZES.plate, DPI);
    expect(none!.text.replace(/[\s|]/g, '')).toBe('');
    expectPlate(one!, households[5]!);

    const chosen = await pdf(`/admin/plates.pdf?households=${households[3]!.id},${households[6]!.id}&size=sticker`);
    const read = await readPlates(renderPdfPage(chosen, 1, DPI), SIZES.sticker, DPI, 3);
    expectPlate(read[0]!, households[3]!);
    expectPlate(read[1]!, households[6]!);
    // Empty slots stay empty.
    expect(read[2]!.text.replace(/[\s|]/g, '')).toBe('');
  });

  it('the village board: the village name, the caption, the cadres and the plate code are drawn', async () => {
    const file = await pdf(`/admin/plates/village/${village.code}/village.pdf`);
    const png = renderPdfPage(file, 1, DPI);
    save('plates-pdf-village', png);
    const meta = await sharp(png).metadata();
    const band = await sharp(png)
      .extract({ left: 0, top: 0, width: meta.width!, height: Math.round(meta.height! * 0.17) })
      .greyscale()
      .negate()
      .png()
      .toBuffer();
    expect(await ocrScales(band, 'block')).toContain('史家庄村');
    const half = Math.round(meta.height! * 0.5);
    const body = await sharp(png)
      .extract({ left: 0, top: half, width: meta.width!, height: meta.height! - half })
      .greyscale()
      .png()
      .toBuffer();
    const text = await ocrScales(body, 'sparse');
    const plateId = stack.db.prepare("SELECT id FROM plates WHERE village_id = ? AND kind = 'village'").pluck().get(village.id) as number;
    for (const words of ['扫码办事', '为您服务的干部', '周明远', '19900008801', plateCode(plateId)]) expect(text, words).toContain(words);
  });

  it('a plate PDF reached without signing in is refused, so nothing here reads an error page by mistake', async () => {
    await request(stack.app).get(`/admin/plates.pdf?village=${village.code}`).expect(303);
  });
});
