import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, aHousehold, aVillage } from '../helpers/builders.js';
import { embeddedFontOutlines } from '../helpers/pdf.js';
import { decodeQrPng } from '../helpers/qr.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';
import type { Agent } from 'supertest';

// http, so the test client sends its cookies back (https would mark them Secure).
const BASE = 'http://mashang.example.gov.cn';

async function setup() {
  const stack = buildApp({ config: { publicBaseUrl: BASE } });
  const v = await aVillage(stack.sql, { name: '门牌村', townCode: '370812103' });
  const h1 = await aHousehold(stack.sql, { villageId: v.id, address: '1胡同1号' });
  const h2 = await aHousehold(stack.sql, { villageId: v.id, address: '1胡同2号' });
  const h3 = await aHousehold(stack.sql, { villageId: v.id, address: '2胡同5号' });
  await stack.sql.run("UPDATE plates SET issued_at = '2026-01-05T00:00:00.000Z' WHERE village_id = ?", v.id);
  const staff = await aUser(stack.services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
  const otherStaff = await aUser(stack.services, { role: 'staff', scopes: [{ level: 'town', code: '370812107' }] });
  const cadre = await aUser(stack.services, { role: 'cadre', cadreId: (await aCadre(stack.sql, { villageId: v.id })).id });
  return { ...stack, v, h1, h2, h3, staff, otherStaff, cadre };
}

async function getPdf(agent: Agent, url: string): Promise<Buffer> {
  const res = await agent
    .get(url)
    .buffer(true)
    .parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    })
    .expect(200);
  expect(res.headers['content-type']).toBe('application/pdf');
  return res.body as Buffer;
}

describe('QR images /qr/:token.svg|.png', () => {
  it('the PNG decodes to the plate URL built from PUBLIC_BASE_URL, whatever Host the request came with', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.staff.username);
    const png = await agent
      .get(`/qr/${s.h1.token}.png`)
      .set('Host', 'evil.example')
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(decodeQrPng(png.body as Buffer)).toBe(`${BASE}/p/${s.h1.token}`);
  });

  it('the SVG is drawn with a path, not thousands of rectangles', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.staff.username);
    const svg = await agent.get(`/qr/${s.h1.token}.svg`).expect(200);
    expect(svg.headers['content-type']).toMatch(/image\/svg\+xml/);
    const text = svg.body instanceof Buffer ? svg.body.toString() : svg.text;
    expect(text).toContain('<path');
    expect((text.match(/<rect/g) ?? []).length).toBeLessThanOrEqual(1);
  });

  it('anonymous visitors, cadres and staff of another township cannot fetch QR images', async () => {
    const s = await setup();
    await request(s.app).get(`/qr/${s.h1.token}.png`).expect(303);
    await (await signIn(s.app, s.cadre.username)).get(`/qr/${s.h1.token}.png`).expect(403);
    await (await signIn(s.app, s.otherStaff.username)).get(`/qr/${s.h1.token}.png`).expect(404);
  });
});

describe('print sheets and PDFs', () => {
  it('the HTML print view shows each household with its QR, caption and plate code, tiled for A4', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.staff.username);
    const res = await agent.get(`/admin/plates/print?village=${s.v.code}&size=sticker`).expect(200);
    for (const a of ['1胡同1号', '1胡同2号', '2胡同5号']) expect(res.text).toContain(a);
    expect(res.text).toContain('扫码办事 · 码上服务');
    expect(res.text).toContain('码上帮 · 码上查 · 码上办 · 码上说');
    expect(res.text).toMatch(/门牌编号 MP\d{6}/);
    expect((res.text.match(/<article class="plate">/g) ?? []).length).toBe(3);
    expect(res.text).toContain('class="size-sticker"');
    expect(res.text).not.toMatch(/style="/);
  });

  it('the PDF has one A4 page per two 200×120 plates, and a village PDF exists', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.staff.username);
    const pdf = await getPdf(agent, `/admin/plates.pdf?village=${s.v.code}&size=plate`);
    const text = pdf.toString('latin1');
    expect(text.startsWith('%PDF-')).toBe(true);
    expect((text.match(/\/Type \/Page\b/g) ?? []).length).toBe(2);
    expect(text).toMatch(/FontFile2|NotoSans/);
    const village = await agent.get(`/admin/plates/village/${s.v.code}/village.pdf`).expect(200);
    expect(village.headers['content-type']).toBe('application/pdf');
  });

  it('every PDF embeds a font subset whose glyphs have outlines, so its words are drawn and not only searchable', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.staff.username);
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    for (const url of [
      `/admin/plates.pdf?village=${s.v.code}&size=plate`,
      `/admin/plates.pdf?village=${s.v.code}&size=sticker`,
      `/admin/plates.pdf?households=${s.h1.id},${s.h3.id}`,
      `/admin/plates.pdf?village=${s.v.code}&since=2026-01-01`,
      `/admin/plates.pdf?village=${s.v.code}&since=${today}`,
      `/admin/plates/village/${s.v.code}/village.pdf`,
    ]) {
      const pdf = await getPdf(agent, url);
      const fonts = embeddedFontOutlines(pdf);
      expect(fonts, url).toHaveLength(1);
      // Only the space (and .notdef) may be blank.
      expect(fonts[0]!.glyphs, url).toBeGreaterThan(10);
      expect(fonts[0]!.drawn, url).toBeGreaterThanOrEqual(fonts[0]!.glyphs - 2);
    }
  });

  it('a one-village PDF stays small: the font is a subset, not the whole CJK set', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.staff.username);
    const pdf = await getPdf(agent, `/admin/plates.pdf?village=${s.v.code}&size=plate`);
    expect(pdf.length).toBeLessThan(100_000);
    const village = await getPdf(agent, `/admin/plates/village/${s.v.code}/village.pdf`);
    expect(village.length).toBeLessThan(100_000);
  });

  it('staff of another township cannot print this township’s plates; cadres cannot print at all', async () => {
    const s = await setup();
    const other = await signIn(s.app, s.otherStaff.username);
    await other.get(`/admin/plates.pdf?village=${s.v.code}`).expect(404);
    await other.get(`/admin/plates/print?village=${s.v.code}`).expect(404);
    await other.get(`/admin/plates/village/${s.v.code}`).expect(404);
    await other.get(`/admin/plates.pdf?town=370812103`).expect(404);
    const cadre = await signIn(s.app, s.cadre.username);
    await cadre.get(`/admin/plates.pdf?village=${s.v.code}`).expect(403);
    await request(s.app).get(`/admin/plates.pdf?village=${s.v.code}`).expect(303);
  });
});

describe('the plates pages warn about QR codes only this computer can open', () => {
  it('with the default 127.0.0.1 address the warning shows; with a real address it does not', async () => {
    const local = buildApp({ config: { publicBaseUrl: 'http://127.0.0.1:3000' } });
    const staff = await aUser(local.services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(local.app, staff.username);
    expect((await agent.get('/admin/plates').expect(200)).text).toContain('只有这台电脑能打开');
    const s = await setup();
    const real = await signIn(s.app, s.staff.username);
    expect((await real.get('/admin/plates').expect(200)).text).not.toContain('只有这台电脑能打开');
    expect((await real.get(`/admin/plates/village/${s.v.code}`).expect(200)).text).not.toContain('只有这台电脑能打开');
  });
});

describe('reissuing a plate', () => {
  it('is confirmed on a page of its own that names the household and says the old plate stops working', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.staff.username);
    const village = await agent.get(`/admin/plates/village/${s.v.code}`).expect(200);
    expect(village.text).toContain(`href="/admin/plates/households/${s.h2.id}/reissue"`);
    const confirm = await agent.get(`/admin/plates/households/${s.h2.id}/reissue`).expect(200);
    expect(confirm.text).toContain('确认补发新门牌');
    expect(confirm.text).toContain('1胡同2号');
    expect(confirm.text).toContain('旧门牌的二维码立即失效');
    expect(await s.sql.value<string>("SELECT token FROM plates WHERE household_id = ? AND status = 'active'", s.h2.id)).toBe(s.h2.token);
    await (await signIn(s.app, s.otherStaff.username)).get(`/admin/plates/households/${s.h2.id}/reissue`).expect(404);
  });

  it('gives a new token; the old URL says the plate was replaced, the new one works; it is audited and reprinted alone', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.staff.username);
    const csrf = await csrfFor(agent);
    await agent.post(`/admin/plates/households/${s.h2.id}/reissue`).type('form').send({ _csrf: csrf, village: s.v.code }).expect(303);
    const fresh = (await s.sql.value<string>("SELECT token FROM plates WHERE household_id = ? AND status = 'active'", s.h2.id))!;
    expect(fresh).not.toBe(s.h2.token);
    const old = await request(s.app).get(`/p/${s.h2.token}`).expect(410);
    expect(old.text).toContain('此门牌已更换');
    await request(s.app).get(`/p/${fresh}`).expect(200);
    expect(await s.sql.value("SELECT count(*) FROM audit_log WHERE action = 'plate_reissued'")).toBe(1);

    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const changed = await agent.get(`/admin/plates/print?village=${s.v.code}&since=${today}`).expect(200);
    expect((changed.text.match(/<article class="plate">/g) ?? []).length).toBe(1);
    expect(changed.text).toContain('1胡同2号');
    const chosen = await agent.get(`/admin/plates/print?households=${s.h1.id}&households=${s.h3.id}`).expect(200);
    expect((chosen.text.match(/<article class="plate">/g) ?? []).length).toBe(2);
  });

  it('refuses without a CSRF token and outside the scope', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.staff.username);
    await agent.post(`/admin/plates/households/${s.h1.id}/reissue`).type('form').send({}).expect(403);
    const other = await signIn(s.app, s.otherStaff.username);
    const csrf = await csrfFor(other);
    await other.post(`/admin/plates/households/${s.h1.id}/reissue`).type('form').send({ _csrf: csrf }).expect(404);
    expect(await s.sql.value<string>("SELECT token FROM plates WHERE household_id = ? AND status = 'active'", s.h1.id)).toBe(s.h1.token);
  });
});
