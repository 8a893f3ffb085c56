import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import sharp from 'sharp';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, demoHousehold } from '../helpers/builders.js';
import { agentFor, openForm, type Agent } from '../helpers/forms.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';
import { badPartHeader, multipartBody, multipartType, truncated, type Part } from '../helpers/multipart.js';
import type { TestSql } from '../helpers/sql.js';

const dirs: string[] = [];
const dataDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-faults-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const villageCodeOf = async (sql: TestSql, id: number) => (await sql.value<string>('SELECT code FROM villages WHERE id = ?', id))!;
const villagePlate = async (sql: TestSql, id: number) =>
  (await sql.value<string>("SELECT token FROM plates WHERE kind = 'village' AND village_id = ? AND status = 'active'", id))!;
const applicableCode = async (sql: TestSql) => (await sql.value<string>("SELECT code FROM catalog_items WHERE name = '最低生活保障'"))!;
const photo = (size = 64) =>
  sharp({ create: { width: size, height: size, channels: 3, background: '#884422' } })
    .jpeg()
    .toBuffer();

async function asAdmin(app: Parameters<typeof signIn>[0], services: Parameters<typeof aUser>[0]): Promise<Agent> {
  const u = await aUser(services, { role: 'admin' });
  return signIn(app, u.username);
}

describe('impossible dates in the plate filters', () => {
  it('when since= is not a real calendar date, then the print sheet and the PDF answer 400 with a Chinese page', async () => {
    const { app, services, sql } = buildApp();
    const code = await villageCodeOf(sql, (await demoHousehold(sql)).villageId);
    const agent = await asAdmin(app, services);
    for (const url of [
      `/admin/plates/print?village=${code}&since=2026-13-45`,
      `/admin/plates.pdf?village=${code}&since=2026-02-30`,
      `/admin/plates/print?village=${code}&since=2025-02-29`,
      `/admin/plates.pdf?village=${code}&since=2026-04-31`,
    ]) {
      const res = await agent.get(url);
      expect(res.status, url).toBe(400);
      expect(res.type, url).toBe('text/html');
      expect(res.text, url).toContain('日期');
    }
    // A real date still prints; a leap day in a leap year is real.
    await agent.get(`/admin/plates/print?village=${code}&since=2028-02-29`).expect(200);
    await agent.get(`/admin/plates.pdf?village=${code}&since=2026-02-28`).expect(200);
  });
});

describe('a multipart body that is cut short or malformed, on every resident upload form', () => {
  const forms = async (sql: TestSql) => {
    const h = await demoHousehold(sql);
    const v = await villagePlate(sql, h.villageId);
    const item = await applicableCode(sql);
    const fields = { name: '张秀兰', phone: '13912345678', content: '门前排水沟堵了好几天', callbackTime: 'any', category: 'request', item };
    return [
      `/p/${h.token}/speak`,
      `/p/${h.token}/apply?item=${item}`,
      `/p/${h.token}/help/request`,
      `/v/${v}/speak`,
      `/v/${v}/apply?item=${item}`,
      `/v/${v}/help/request`,
    ].map((url) => ({
      url,
      action: url.replace(/\?.*$/, ''),
      fields,
    }));
  };

  it('when the photo is cut off mid-upload, then 400 and the form again with what was typed and a clear message beside the photos', async () => {
    const { app, sql } = buildApp({ config: { dataDir: dataDir() } });
    const jpeg = await photo();
    for (const f of await forms(sql)) {
      const agent = agentFor(app);
      const form = await openForm(agent, f.url);
      const parts: Part[] = [
        { name: '_csrf', value: form.csrf },
        ...Object.entries(f.fields).map(([name, value]) => ({ name, value })),
        { name: 'photos', filename: 'IMG_1.jpg', data: jpeg },
      ];
      const res = await agent
        .post(f.action)
        .set('Content-Type', multipartType())
        .send(truncated(multipartBody(parts)));
      expect(res.status, f.url).toBe(400);
      expect(res.text, f.url).toContain('门前排水沟堵了好几天');
      expect(res.text, f.url).toContain('照片没有传完');
      expect(res.text, f.url).toContain('photos-error');
    }
    expect(Number(await sql.value('SELECT count(*) FROM cases'))).toBe(0);
  });

  it('when the body has no boundary, a bad part header, too many fields or too many files, then 400 with a Chinese page, never 500', async () => {
    const { app, sql } = buildApp({ config: { dataDir: dataDir() } });
    const jpeg = await photo();
    for (const f of await forms(sql)) {
      const agent = agentFor(app);
      const form = await openForm(agent, f.url);
      const base: Part[] = [{ name: '_csrf', value: form.csrf }, ...Object.entries(f.fields).map(([name, value]) => ({ name, value }))];
      const cases: Array<[string, string, Buffer]> = [
        ['no boundary', 'multipart/form-data', multipartBody(base)],
        ['bad part header', multipartType(), badPartHeader({ _csrf: form.csrf, content: '门前排水沟堵了好几天' })],
        ['too many fields', multipartType(), multipartBody([...base, ...Array.from({ length: 40 }, (_, i) => ({ name: `x${i}`, value: 'x' }))])],
        ['too many files', multipartType(), multipartBody([...base, ...[1, 2, 3, 4, 5].map((i) => ({ name: 'photos', filename: `${i}.jpg`, data: jpeg }))])],
        ['a file under another name', multipartType(), multipartBody([...base, { name: 'avatar', filename: 'a.jpg', data: jpeg }])],
        ['a huge field', multipartType(), multipartBody([...base, { name: 'content', value: '长'.repeat(20_000) }])],
      ];
      for (const [what, type, body] of cases) {
        const res = await agent.post(f.action).set('Content-Type', type).send(body);
        expect(res.status, `${f.url}: ${what}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${f.url}: ${what}`).toBeLessThan(500);
        expect(res.text, `${f.url}: ${what}`).toMatch(/[\u4e00-\u9fff]/);
      }
    }
    expect(Number(await sql.value('SELECT count(*) FROM cases'))).toBe(0);
  });
});

describe('a multipart body that is cut short or malformed, on the back-office upload forms', () => {
  it('when a cadre photo or an import file arrives broken, then 400 with the page and a Chinese message, never 500', async () => {
    const dir = dataDir();
    const { app, services, sql } = buildApp({ config: { dataDir: dir } });
    const h = await demoHousehold(sql);
    const code = await villageCodeOf(sql, h.villageId);
    const cadre = await aCadre(sql, { villageId: h.villageId, phone: '19900007300' });
    const agent = await asAdmin(app, services);
    const csrf = await csrfFor(agent);
    const jpeg = await photo();
    const csv = Buffer.from('\uFEFF村居代码,门牌地址\r\n', 'utf8');
    for (const [url, field, data] of [
      [`/admin/villages/${code}/cadres/${cadre.id}/photo`, 'photo', jpeg],
      ['/admin/data/households/preview', 'file', csv],
    ] as const) {
      const base: Part[] = [
        { name: '_csrf', value: csrf },
        { name: 'encoding', value: 'auto' },
      ];
      const cases: Array<[string, string, Buffer]> = [
        ['cut short', multipartType(), truncated(multipartBody([...base, { name: field, filename: 'a.bin', data }]))],
        ['no boundary', 'multipart/form-data', multipartBody([...base, { name: field, filename: 'a.bin', data }])],
        ['bad part header', multipartType(), badPartHeader({ _csrf: csrf })],
        ['too many fields', multipartType(), multipartBody([...base, ...Array.from({ length: 20 }, (_, i) => ({ name: `x${i}`, value: 'x' }))])],
        ['too many files', multipartType(), multipartBody([...base, { name: field, filename: 'a.bin', data }, { name: field, filename: 'b.bin', data }])],
      ];
      for (const [what, type, body] of cases) {
        const res = await agent.post(url).set('Content-Type', type).send(body);
        expect(res.status, `${url}: ${what}`).toBe(400);
        expect(res.text, `${url}: ${what}`).toMatch(/[\u4e00-\u9fff]/);
        expect(res.text, `${url}: ${what}`).not.toContain('系统开小差了');
      }
    }
  });

  it("when a cadre photo is an ordinary 6 MB phone photo, then it is accepted and shrunk like the villagers' photos", async () => {
    const dir = dataDir();
    const { app, services, sql } = buildApp({ config: { dataDir: dir } });
    const h = await demoHousehold(sql);
    const code = await villageCodeOf(sql, h.villageId);
    const cadre = await aCadre(sql, { villageId: h.villageId, phone: '19900007301' });
    const agent = await asAdmin(app, services);
    const csrf = await csrfFor(agent);
    // Noise does not compress: a 1500×1500 PNG of it is about 6.8 MB.
    const big = await sharp(crypto.randomBytes(1500 * 1500 * 3), { raw: { width: 1500, height: 1500, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(big.length).toBeGreaterThan(5 * 1024 * 1024);
    expect(big.length).toBeLessThan(8 * 1024 * 1024);
    await agent.post(`/admin/villages/${code}/cadres/${cadre.id}/photo`).field('_csrf', csrf).attach('photo', big, 'IMG_2041.png').expect(303);
    const stored = await request(app).get(`/cadres/${cadre.id}/photo.jpg`).expect(200);
    const meta = await sharp(stored.body as Buffer).metadata();
    expect(meta.format).toBe('jpeg');
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(320);
  });
});

describe('tokens in error logs', () => {
  it('when a page with a plate or case token in its URL fails, then the error log line carries no token', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const { app, sql } = buildApp({
      logger: pino({ level: 'info' }, sink),
      override: (s) => ({
        ...s,
        places: {
          ...s.places,
          plateByToken: () => {
            throw new Error('disk on fire');
          },
        },
      }),
    });
    const h = await demoHousehold(sql);
    const caseToken = 'AbCdEfGhIjKlMnOpQrStUv';
    await request(app).get(`/p/${h.token}/help?back=%2Ftrack%2F${caseToken}`).expect(500);
    await request(app).get(`/admin/login?next=%2Fp%2F${h.token}`).expect(200);
    const errors = lines.filter((l) => l.includes('"level":50'));
    expect(errors.length).toBeGreaterThan(0);
    // Still logged as the error it is, with its message.
    expect(errors[0]).toContain('"type":"Error"');
    expect(errors[0]).toContain('disk on fire');
    for (const l of lines) {
      expect(l).not.toContain(h.token);
      expect(l).not.toContain(caseToken);
    }
  });
});

describe('crafted cookies', () => {
  it('when a cookie holds a JSON value (j:{…}) where a session id or token belongs, then the page answers as if it were absent', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    for (const cookie of ['mashang.sid=j:{"a":1}', 'mashang_bid=j:{"toString":1}', 'mashang_cases=j:[1,2]', 'mashang_csrf=j:null', 'mashang_home=j:"/p/x"']) {
      for (const url of ['/services', `/p/${h.token}`, '/admin/login', `/p/${h.token}/speak`]) {
        const res = await request(app).get(url).set('Cookie', cookie);
        expect(res.status, `${cookie} ${url}`).toBe(200);
      }
    }
  });
});
