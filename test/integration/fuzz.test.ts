import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, aHousehold, demoHousehold } from '../helpers/builders.js';
import { aUser, PASSWORD } from '../helpers/staff.js';
import { png } from '../helpers/images.js';
import { BOUNDARY, badPartHeader, multipartBody, multipartType, truncated, type Part } from '../helpers/multipart.js';
import { cookieHeader, rawClient, setCookies, type RawResponse } from '../helpers/raw-http.js';
import { routesOf } from '../helpers/routes.js';

/**
 * Thousands of malformed requests to every route of the app, anonymous and signed in as an admin
 * (with a valid CSRF token, so handlers are reached past the check): none may answer 5xx.
 * Deterministic: one seeded pseudo-random sequence, requests sent one after another. The first 40
 * failures show in the assertion; FUZZ_OUT=file writes them all.
 */

const SEED = 20261130;
const PER_ROUTE = 40;

/** mulberry32: a small seeded generator, so every run sends the same requests. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (p: number) => next() < p,
    int: (n: number) => Math.floor(next() * n),
    pick<T>(xs: readonly T[]): T {
      return xs[Math.floor(next() * xs.length)]!;
    },
  };
}

const FIELDS = [
  '_csrf',
  'name',
  'phone',
  'content',
  'category',
  'item',
  'callbackTime',
  'anonymous',
  'idempotencyKey',
  'website',
  'photos',
  'username',
  'password',
  'next',
  'action',
  'version',
  'text',
  'days',
  'userId',
  'trackingNo',
  'last4',
  'rating',
  'comment',
  'reason',
  'date',
  'kind',
  'note',
  'title',
  'body',
  'address',
  'contactName',
  'contactPhone',
  'notes',
  'role',
  'dutyHours',
  'code',
  'village',
  'town',
  'households',
  'since',
  'size',
  'q',
  'page',
  'state',
  'flag',
  'mine',
  'tpl',
  'edit',
  'year',
  'public',
  'elder',
  'back',
  'scale',
  'only',
  'publish',
  'active',
  'encoding',
  'uploadId',
  'visitedOn',
  'current',
  'confirm',
  'displayName',
  'towns',
  'villages',
  'district',
  'cadrePhone',
  'new',
  'theme',
  'online',
  'hf',
  '基本编码',
  '事项名称',
  '是否发布',
  '__proto__',
  'constructor',
  'toString',
];

const JUNK = [
  '',
  'x',
  '0',
  '-1',
  '1.5',
  '1e309',
  'NaN',
  'Infinity',
  '99999999999999999999',
  'true',
  'null',
  'undefined',
  '[]',
  '{}',
  '%',
  '%zz',
  '%E0%A4%A',
  '%C0%AF',
  '%FF%FE%FD',
  '%00',
  '%0d%0aSet-Cookie:%20x=1',
  '..%2F..%2Fetc%2Fpasswd',
  '__proto__',
  'constructor',
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  '%E4%BD%A0%E5%A5%BD',
  '2026-02-30',
  '2026-13-45',
  '0000-00-00',
  'AAAAAAAAAAAA',
  'AAAAAAAAAAAAAAAAAAAAAA',
  '20261128-0001',
  '13912345678',
  'accept',
  'resolve',
  'merge',
  'extend',
  'admin',
  'sticker',
  'plate',
  '370812',
  '370812103',
  '370812103201',
  '=%3D%26',
  '+++',
  '%2B',
  'a'.repeat(300),
  '长'.repeat(200),
  '%F0%9F%98%80',
  '\u00ff\u00fe',
  '\u0080',
];

const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=koi8-r',
  'application/x-www-form-urlencoded; charset=utf-16',
  'application/x-www-form-urlencoded; charset=',
  'application/json',
  'text/plain',
  'text/html; charset=gbk',
  'application/octet-stream',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'multipart/mixed; boundary=abc',
  'image/jpeg',
  '',
  ';;;',
];

const ACCEPTS = ['text/html', 'application/json', '*/*', 'image/*', 'x/y;q=abc', ''];

const JUNK_COOKIES = [
  'mashang.sid=s%3Ajunk.junk',
  'mashang.sid=%E0%A4%A',
  'mashang.sid=j:{"a":1}',
  'mashang_cases=AAAAAAAAAAAAAAAAAAAAAA.%%.x',
  'mashang_cases=j:[1,2]',
  'mashang_home=/p/%00',
  'mashang_home=//evil.example',
  'mashang_elder=1',
  'mashang_elder=j:true',
  'mashang_bid=短',
  'mashang_bid=j:{"toString":1}',
  'mashang_csrf=x',
  'mashang_csrf=j:null',
  '=;;; ;=',
  'a=%E0%A4%A',
  `big=${'b'.repeat(3000)}`,
  '__proto__=1',
  'constructor=x',
];

/**
 * A string as the bytes that go on the wire: characters past U+00FF as their UTF-8 bytes, those up
 * to U+00FF as one byte each, so '\u00ff\u00fe' stays the invalid UTF-8 it stands for.
 */
// eslint-disable-next-line no-control-regex -- the range of one-byte characters starts at U+0000
const rawBytes = (s: string) => s.replace(/[^\u0000-\u00ff]/g, (c) => Buffer.from(c, 'utf8').toString('latin1'));

describe('fuzz: malformed requests to every route', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-fuzz-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('never answer 5xx, anonymous or signed in', { timeout: 120_000 }, async () => {
    const rateLimits = { submitPerIp: 1e6, submitPerPlate: 1e6, lookupPerIp: 1e6, loginPerIp: 1e6 };
    const { app, sql, services } = buildApp({ config: { dataDir: dir }, rateLimits });
    const client = await rawClient(app);
    const started = Date.now();
    try {
      // The demo, plus one of each thing a path may name.
      const h = await demoHousehold(sql);
      const other = await aHousehold(sql, { villageId: h.villageId });
      const villageCode = (await sql.value<string>('SELECT code FROM villages WHERE id = ?', h.villageId))!;
      const villageToken = (await sql.value<string>("SELECT token FROM plates WHERE kind = 'village' AND village_id = ? ORDER BY id LIMIT 1", h.villageId))!;
      const item = (await sql.value<string>("SELECT code FROM catalog_items WHERE name = '最低生活保障'"))!;
      const cadre = await aCadre(sql, { villageId: h.villageId, phone: '19900007600' });
      const admin = await aUser(services, { role: 'admin' });
      const someone = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: villageCode.slice(0, 9) }] });

      // A villager's CSRF cookies and token, and a case with a photo filed through the form.
      const villagerForm = await client.send({ method: 'GET', path: `/p/${h.token}/speak` });
      const villagerJar = setCookies(villagerForm);
      const villagerCsrf = /name="_csrf" value="([^"]+)"/.exec(villagerForm.body)![1]!;
      const photo = await png();
      const filed = await client.send({
        method: 'POST',
        path: `/p/${h.token}/speak`,
        headers: { 'Content-Type': multipartType(), Cookie: cookieHeader(villagerJar) },
        body: multipartBody([
          { name: '_csrf', value: villagerCsrf },
          { name: 'category', value: 'request' },
          { name: 'content', value: '门前排水沟堵了好几天' },
          { name: 'name', value: '李桂芳' },
          { name: 'phone', value: '13912345678' },
          { name: 'photos', filename: 'a.png', data: photo, type: 'image/png' },
        ]),
      });
      expect(filed.status).toBe(303);
      const caseToken = /\/track\/([^?]+)/.exec(String(filed.headers.location))![1]!;
      const caseId = (await sql.value<number>('SELECT id FROM cases WHERE token = ?', caseToken))!;
      const photoId = (await sql.value<number>('SELECT id FROM case_photos WHERE case_id = ? ORDER BY id LIMIT 1', caseId))!;
      const templateId = (await sql.value<number | null>('SELECT min(id) FROM reply_templates')) ?? 1;

      // The admin signs in through the form; the session cookie and a CSRF token for posts.
      const loginPage = await client.send({ method: 'GET', path: '/admin/login' });
      const adminJar = setCookies(loginPage);
      const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(loginPage.body)![1]!;
      const signedIn = await client.send({
        method: 'POST',
        path: '/admin/login',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookieHeader(adminJar) },
        body: Buffer.from(new URLSearchParams({ _csrf: loginCsrf, username: admin.username, password: PASSWORD }).toString()),
      });
      expect(signedIn.status).toBe(303);
      Object.assign(adminJar, setCookies(signedIn));
      const passwordPage = await client.send({ method: 'GET', path: '/admin/password', headers: { Cookie: cookieHeader(adminJar) } });
      expect(passwordPage.status).toBe(200);
      Object.assign(adminJar, setCookies(passwordPage));
      const adminCsrf = /name="_csrf" value="([^"]+)"/.exec(passwordPage.body)![1]!;

      const VALID: Record<string, string[]> = {
        token: [h.token, villageToken],
        caseToken: [caseToken],
        photoId: [String(photoId)],
        id: [String(caseId), String(cadre.id), String(other.id), String(templateId), String(someone.id)],
        code: [villageCode, villageCode.slice(0, 9), item],
        name: ['households', 'cadres', 'catalog', 'calendar'],
        kind: ['export.csv', 'template.xlsx', 'template.csv'],
        date: ['2026-10-01'],
        file: [`${h.token}.svg`, `${h.token}.png`],
      };

      // Query values that take a handler further (a selection to print, an item to apply for), mixed with the junk.
      const VALID_QUERY = [
        `households=${other.id}`,
        `item=${item}`,
        'size=sticker',
        'q=低保',
        'state=submitted',
        'page=2',
        'year=2026',
        `edit=${cadre.id}`,
        `tpl=${templateId}`,
        'public=1',
        'new=1',
        'elder=1',
        'back=/services',
        'theme=085',
        'online=1',
      ];

      const routes = routesOf(app);
      expect(routes.length).toBeGreaterThan(60);
      const rnd = prng(SEED);
      const failures: string[] = [];
      let sent = 0;

      const junkValue = (): string => (rnd.chance(0.05) ? 'x'.repeat(4000 + rnd.int(4000)) : rnd.pick(JUNK));
      const fillPath = (template: string, valid: boolean) =>
        template.replace(/:(\w+)/g, (_m, name: string) => (valid && VALID[name] ? rnd.pick(VALID[name]!) : junkValue()));

      /** A query or urlencoded body: repeated keys, arrays for scalars, nested keys, bad escapes, invalid UTF-8. */
      const pairs = (csrf?: string): string => {
        const parts: string[] = [];
        if (csrf) parts.push(`_csrf=${encodeURIComponent(csrf)}`);
        const n = rnd.int(6);
        for (let i = 0; i < n; i++) {
          const f = rnd.pick(FIELDS);
          const key = encodeURIComponent(f);
          switch (rnd.int(7)) {
            case 0:
              parts.push(`${key}[]=${junkValue()}`, `${key}[]=${junkValue()}`);
              break;
            case 1:
              parts.push(`${key}=${junkValue()}`, `${key}=${junkValue()}`);
              break;
            case 2:
              parts.push(`${key}[a][b]=${junkValue()}`, `${key}[__proto__][x]=1`);
              break;
            case 3:
              parts.push(`${key}=${rnd.pick(['%', '%zz', '%E0%A4%A', '%FF%FE', '%C0%80'])}`, `${rnd.pick(['%', '%G1', '%FF'])}=1`);
              break;
            default:
              parts.push(`${key}=${junkValue()}`);
          }
        }
        return parts.join(rnd.chance(0.1) ? ';' : '&');
      };

      const multipart = (csrf?: string): { type: string; body: Buffer } => {
        const fields: Part[] = [];
        if (csrf) fields.push({ name: '_csrf', value: csrf });
        for (let i = 0, n = rnd.int(8); i < n; i++) {
          const f = rnd.pick(FIELDS);
          const name = rnd.pick([f, `${f}[]`, `${f}[a][b]`, `${f}[99999999]`, `${f}[__proto__]`]);
          fields.push({ name, value: junkValue() });
        }
        for (let i = 0, n = rnd.int(5); i < n; i++) {
          const data = rnd.pick([
            photo,
            Buffer.from('%PDF-1.4 not a photo'),
            Buffer.alloc(0),
            Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]),
            Buffer.from('村居代码,门牌地址\n1,2\n'),
          ]);
          fields.push({
            name: rnd.pick(['photos', 'photo', 'file', 'avatar']),
            filename: rnd.pick(['a.jpg', '照片.png', '../../x.jpg', '', 'a.csv']),
            data,
            type: rnd.pick(['image/jpeg', 'text/csv', 'application/x-msdownload']),
          });
        }
        const shape = rnd.int(6);
        if (shape === 0) return { type: multipartType(), body: truncated(multipartBody(fields)) };
        if (shape === 1) return { type: 'multipart/form-data', body: multipartBody(fields) };
        if (shape === 2) return { type: multipartType(), body: badPartHeader({ _csrf: csrf ?? '' }) };
        if (shape === 3)
          return { type: multipartType(), body: multipartBody([...fields, ...Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, value: 'x' }))]) };
        if (shape === 4) return { type: multipartType('other'), body: multipartBody(fields, BOUNDARY) };
        return { type: multipartType(), body: multipartBody(fields) };
      };

      const body = (csrf?: string): { type: string; body: Buffer; encoding?: string } => {
        switch (rnd.int(9)) {
          case 0:
          case 1:
            return multipart(csrf);
          case 2:
            return { type: rnd.pick(CONTENT_TYPES), body: Buffer.from(pairs(csrf)) };
          case 3:
            // invalid UTF-8 bytes, raw
            return {
              type: 'application/x-www-form-urlencoded',
              body: Buffer.concat([
                Buffer.from(`_csrf=${csrf ?? ''}&content=`),
                Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80]),
                Buffer.from('&name=\u0000'),
              ]),
            };
          case 4:
            // over every form's size limit
            return { type: 'application/x-www-form-urlencoded', body: Buffer.from(`_csrf=${csrf ?? ''}&content=${'长'.repeat(30_000 + rnd.int(200_000))}`) };
          case 5:
            return { type: 'application/json', body: Buffer.from(rnd.pick(['{"_csrf":', '{"a":[1,2,{"__proto__":{"x":1}}]}', 'null', '[]', '"x"'])) };
          case 6:
            return {
              type: 'application/x-www-form-urlencoded',
              body: gzipSync(Buffer.from(pairs(csrf))).subarray(0, 20 + rnd.int(10)),
              encoding: rnd.pick(['gzip', 'deflate', 'br', 'x-unknown']),
            };
          default:
            return { type: 'application/x-www-form-urlencoded', body: Buffer.from(pairs(csrf)) };
        }
      };

      const cookiesFor = (asAdmin: boolean): string => {
        const jar = asAdmin ? cookieHeader(adminJar) : rnd.chance(0.5) ? cookieHeader(villagerJar) : '';
        const extra = rnd.chance(0.4) ? Array.from({ length: 1 + rnd.int(3) }, () => rnd.pick(JUNK_COOKIES)) : [];
        // Junk first would shadow the real session: cookie-parser keeps the first of a name.
        return [jar, ...extra].filter(Boolean).join('; ');
      };

      for (const route of routes) {
        for (let i = 0; i < PER_ROUTE; i++) {
          const asAdmin = rnd.chance(0.55);
          const validParams = rnd.chance(0.5);
          let method = route.method;
          if (rnd.chance(0.05)) method = rnd.pick(['HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'POST', 'GET']);
          let p = fillPath(route.path, validParams);
          const query = [...(rnd.chance(0.5) ? [rnd.pick(VALID_QUERY), rnd.pick(VALID_QUERY)] : []), ...(rnd.chance(0.6) ? [pairs()] : [])];
          if (query.length) p += `?${query.join('&')}`;
          if (rnd.chance(0.03)) p += `&pad=${'p'.repeat(8000)}`;
          if (rnd.chance(0.05)) p = p.replace(/\/([^/]*)$/, `/${rnd.pick(['%', '%E0%A4%A', '\u00ff\u00fe', '..', '%2e%2e', '%2F'])}$1`);
          const headers: Record<string, string> = {};
          const cookie = cookiesFor(asAdmin);
          // Header values go out as the raw UTF-8 bytes a phone would send.
          if (cookie) headers.Cookie = rawBytes(cookie);
          const accept = rnd.pick(ACCEPTS);
          if (accept) headers.Accept = accept;
          let payload: Buffer | undefined;
          const carriesBody = method === 'POST' || method === 'PUT' || method === 'PATCH' || rnd.chance(0.05);
          if (carriesBody) {
            // A real CSRF token most of the time (except for sign-out, which would end the session).
            const csrf =
              route.path === '/admin/logout' ? undefined : rnd.chance(0.8) ? (asAdmin ? adminCsrf : villagerCsrf) : rnd.chance(0.5) ? junkValue() : undefined;
            const b = body(csrf);
            if (b.type) headers['Content-Type'] = b.type;
            if (b.encoding) headers['Content-Encoding'] = b.encoding;
            payload = b.body;
          }
          let res: RawResponse | undefined;
          let error = '';
          try {
            res = await client.send({ method, path: rawBytes(p), headers, body: payload });
          } catch (err) {
            error = (err as Error).message;
          }
          sent++;
          if (!res || res.status >= 500) {
            failures.push(
              `${res?.status ?? error} ${method} ${route.path} ← ${p.slice(0, 160)} ${headers['Content-Type'] ?? ''} ${asAdmin ? 'admin' : 'anonymous'}`,
            );
          }
        }
      }

      const seconds = (Date.now() - started) / 1000;
      console.log(`fuzz: ${sent} requests to ${routes.length} routes in ${seconds.toFixed(1)} s, ${failures.length} answered 5xx`);
      if (process.env.FUZZ_OUT) fs.writeFileSync(process.env.FUZZ_OUT, failures.join('\n'));
      expect(sent).toBeGreaterThan(2500);
      expect(failures.slice(0, 40)).toEqual([]);
      // The admin is still signed in at the end: the run reached past sign-in and CSRF throughout.
      const still = await client.send({ method: 'GET', path: '/admin', headers: { Cookie: cookieHeader(adminJar) } });
      expect(still.status).toBe(200);
    } finally {
      await client.close();
    }
  });
});
