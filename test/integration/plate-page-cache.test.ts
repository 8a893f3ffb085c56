import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import helmet from 'helmet';
import pino from 'pino';
import request, { type Response as TestResponse } from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, aHousehold, aVillage, demoHousehold } from '../helpers/builders.js';
import { aCase } from '../helpers/cases.js';
import { aUser, signIn } from '../helpers/staff.js';
import { MINE_COOKIE } from '../../src/features/places/routes.js';
import { helmetOptions, securityHeaders } from '../../src/http/security.js';
import { ELDER_COOKIE, HOME_COOKIE, cookieOptions, setHomeCookie } from '../../src/http/locals.js';
import { pageCache } from '../../src/http/page-cache.js';
import type { Config } from '../../src/config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** The nonce of a response's CSP, and the same page with its nonces blanked. */
const nonceOf = (res: TestResponse) => /'nonce-([0-9a-f]{32})'/.exec(String(res.headers['content-security-policy']))![1]!;
const blanked = (html: string) => html.replaceAll(/nonce="[0-9a-f]{32}"/g, 'nonce=""');

describe('plate pages kept from an earlier scan', () => {
  it('a plate page is rendered once; every scan gets it with its own nonce, in its CSP and its page', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const render = vi.spyOn(app, 'render');
    const scans = [];
    for (let i = 0; i < 3; i++) scans.push(await request(app).get(`/p/${h.token}`).expect(200));
    expect(render).toHaveBeenCalledTimes(1);
    const nonces = scans.map(nonceOf);
    expect(new Set(nonces).size).toBe(3);
    for (const [i, res] of scans.entries()) {
      expect(res.text).toContain(`<style nonce="${nonces[i]}">`);
      expect(res.text).toContain(h.address);
      expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['vary']).toBe('Cookie');
      expect(res.headers['cache-control']).toBeUndefined();
      expect(String(res.headers['set-cookie'])).toContain(`${HOME_COOKIE}=${encodeURIComponent(`/p/${h.token}`)}`);
      expect(blanked(res.text)).toBe(blanked(scans[0]!.text));
    }
    // HEAD: the same headers, no body
    const head = await request(app).head(`/p/${h.token}`).expect(200);
    expect(head.headers['content-length']).toBe(scans[0]!.headers['content-length']);
    expect(head.text).toBeUndefined();
    expect(render).toHaveBeenCalledTimes(1);
  });

  it('a change to the places (a village renamed, a plate replaced) shows on the very next scan', async () => {
    const { app, sql } = buildApp();
    const v = await aVillage(sql, { name: '旧名村' });
    const h = await aHousehold(sql, { villageId: v.id, address: '3胡同1号' });
    await aCadre(sql, { villageId: v.id, name: '钱守业', phone: '19900007770' });
    const render = vi.spyOn(app, 'render');
    expect((await request(app).get(`/p/${h.token}`).expect(200)).text).toContain('旧名村');
    expect((await request(app).get(`/p/${h.token}`).expect(200)).text).toContain('旧名村');
    expect(render).toHaveBeenCalledTimes(1);
    await sql.run('UPDATE villages SET name = ? WHERE id = ?', '新名村', v.id);
    const renamed = await request(app).get(`/p/${h.token}`).expect(200);
    expect(renamed.text).toContain('新名村');
    expect(renamed.text).not.toContain('旧名村');
    expect(render).toHaveBeenCalledTimes(2);
    await sql.run("UPDATE plates SET status = 'replaced' WHERE token = ?", h.token);
    const replaced = await request(app).get(`/p/${h.token}`).expect(410);
    expect(replaced.text).toContain('此门牌已更换');
    expect(replaced.text).toContain('钱守业');
  });

  it('elder mode, another plate, a query string: each its own page; a village plate under /p is still 404', async () => {
    const { app, sql } = buildApp();
    const v = await aVillage(sql, { name: '东风村' });
    const a = await aHousehold(sql, { villageId: v.id, address: '1胡同1号' });
    const b = await aHousehold(sql, { villageId: v.id, address: '2胡同2号' });
    const render = vi.spyOn(app, 'render');
    for (let i = 0; i < 2; i++) {
      const plain = await request(app).get(`/p/${a.token}`).expect(200);
      expect(plain.text).not.toContain('class="elder"');
      const elder = await request(app).get(`/p/${a.token}`).set('Cookie', `${ELDER_COOKIE}=1`).expect(200);
      expect(elder.text).toContain('<html lang="zh-CN" class="elder">');
      const other = await request(app).get(`/p/${b.token}`).expect(200);
      expect(other.text).toContain('2胡同2号');
      expect(other.text).not.toContain('1胡同1号');
      // the mode switch leads back to the URL as asked
      const asked = await request(app).get(`/p/${a.token}?from=poster`).expect(200);
      expect(asked.text).toContain(`back=${encodeURIComponent(`/p/${a.token}?from=poster`)}`);
    }
    expect(render).toHaveBeenCalledTimes(4);
    await request(app).get(`/p/${v.token}`).expect(404);
    await request(app).get(`/v/${v.token}`).expect(200);
    await request(app).get(`/v/${v.token}`).expect(200);
    await request(app).get(`/v/${a.token}`).expect(404);
    // U+0000 in the query is still refused before any page
    await request(app).get(`/p/${a.token}?x=%00`).expect(400);
  });

  it('a phone with cases of its own gets its list, not kept; a signed-in cadre of the household gets its file', async () => {
    const { app, sql, services } = buildApp();
    const filed = await aCase(sql, services);
    const h = filed.household;
    await request(app).get(`/p/${h.token}`).expect(200);
    await request(app).get(`/p/${h.token}`).expect(200);
    const mine = await request(app).get(`/p/${h.token}`).set('Cookie', `${MINE_COOKIE}=${filed.token}`).expect(200);
    expect(mine.text).toContain(`/track/${filed.token}`);
    expect(mine.headers['cache-control']).toBe('no-store');
    const after = await request(app).get(`/p/${h.token}`).expect(200);
    expect(after.text).not.toContain(`/track/${filed.token}`);
    expect(after.headers['cache-control']).toBeUndefined();

    const cadre = await aCadre(sql, { villageId: h.villageId, phone: '19900007771' });
    const user = await aUser(services, { role: 'cadre', cadreId: cadre.id });
    const agent = await signIn(app, user.username);
    const file = await agent.get(`/p/${h.token}`).expect(200);
    expect(file.text).toContain('户档案');
    expect(file.text).toContain(h.contactName);
    expect(file.headers['cache-control']).toBe('no-store');
    const publicView = await agent.get(`/p/${h.token}?public=1`).expect(200);
    expect(publicView.text).not.toContain(h.contactName);
    const anonymous = await request(app).get(`/p/${h.token}`).expect(200);
    expect(anonymous.text).not.toContain('户档案');
    expect(anonymous.text).not.toContain(h.contactName);
  });

  it('with /metrics on, kept pages are still answered ahead of Express and count under their routes', async () => {
    const config: Partial<Config> = { metrics: { token: 'metrics-token-for-the-test', allow: [] } };
    const { app, sql } = buildApp({ config });
    const h = await demoHousehold(sql);
    const home = await request(app).get(`/p/${h.token}`).expect(200);
    const cookie = home.headers['set-cookie'] as unknown as string[];
    await request(app).get('/services').set('Cookie', cookie).expect(200);
    // the router sees no more of these requests: the kept pages are answered before it
    const router = vi.spyOn((app as unknown as { router: { handle: () => void } }).router, 'handle');
    for (let i = 0; i < 2; i++) await request(app).get(`/p/${h.token}`).expect(200);
    for (let i = 0; i < 4; i++) await request(app).get('/services').set('Cookie', cookie).expect(200);
    expect(router).not.toHaveBeenCalled();
    const metrics = await request(app).get('/metrics').set('Authorization', 'Bearer metrics-token-for-the-test').expect(200);
    expect(metrics.text).toMatch(/http_requests_total\{route="\/p\/:token",method="GET",status="200"\} 3/);
    expect(metrics.text).toMatch(/http_requests_total\{route="\/services",method="GET",status="200"\} 5/);
    expect(metrics.text).toMatch(/http_request_duration_seconds_count\{route="\/services",method="GET"\} 5/);
  });
});

describe('kept pages answered ahead of Express', () => {
  /** A response's headers, without those that differ on every response (the date, the nonce). */
  const fixedHeaders = (res: TestResponse) => {
    const h = { ...res.headers } as Record<string, unknown>;
    delete h['date'];
    h['content-security-policy'] = String(h['content-security-policy']).replaceAll(/'nonce-[0-9a-f]{32}'/g, "'nonce-'");
    h['set-cookie'] = String(h['set-cookie']).replace(/Expires=[^;]+/, '');
    return h;
  };

  it('a kept page carries the same headers as the page rendered by the app (security, Vary, cookie), and its log line', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const { app, sql } = buildApp({ logger });
    const h = await demoHousehold(sql);
    const render = vi.spyOn(app, 'render');
    const rendered = await request(app).get(`/p/${h.token}`).expect(200);
    const kept = await request(app).get(`/p/${h.token}`).expect(200);
    expect(render).toHaveBeenCalledTimes(1);
    expect(fixedHeaders(kept)).toEqual(fixedHeaders(rendered));
    expect(kept.headers['x-powered-by']).toBeUndefined();
    const list = () => request(app).get('/services').query({ d: '370812', q: '医保' }).expect(200);
    const listRendered = await list();
    const listKept = await list();
    expect(render).toHaveBeenCalledTimes(2);
    expect(fixedHeaders(listKept)).toEqual(fixedHeaders(listRendered));
    const logged = lines.filter((l) => l.msg === 'request');
    expect(logged.map((l) => [l.url, l.status])).toEqual([
      [`/p/…`, 200],
      [`/p/…`, 200],
      [`/services?d=370812&q=${encodeURIComponent('医保')}`, 200],
      [`/services?d=370812&q=${encodeURIComponent('医保')}`, 200],
    ]);
  });

  it('behind a trusted proxy that says https, a kept scan’s home cookie is Secure; from an untrusted one, not', async () => {
    for (const trustProxy of ['loopback', false] as const) {
      const { app, sql } = buildApp({ config: { trustProxy } });
      const h = await demoHousehold(sql);
      const render = vi.spyOn(app, 'render');
      for (let i = 0; i < 2; i++) {
        const res = await request(app).get(`/p/${h.token}`).set('X-Forwarded-Proto', 'https').expect(200);
        expect(String(res.headers['set-cookie']).includes('; Secure')).toBe(trustProxy === 'loopback');
      }
      expect(render).toHaveBeenCalledTimes(1);
    }
  });
});

describe('the pieces', () => {
  it('the security headers are the ones helmet sets per request, the policy with the nonce', async () => {
    for (const https of [false, true]) {
      const viaHelmet = express();
      viaHelmet.use((_req, res, next) => {
        res.locals.cspNonce = '0123456789abcdef0123456789abcdef';
        next();
      });
      viaHelmet.use(helmet(helmetOptions(https)));
      viaHelmet.get('/', (_req, res) => {
        res.end();
      });
      const expected = (await request(viaHelmet).get('/')).headers;
      const { fixed, policy } = securityHeaders(https);
      const built = Object.fromEntries(fixed.map(([k, v]) => [k.toLowerCase(), v]));
      built[policy.name.toLowerCase()] = policy.parts.join('0123456789abcdef0123456789abcdef');
      for (const [name, value] of Object.entries(built)) expect(expected[name], name).toBe(value);
      const helmetNames = Object.keys(expected).filter((k) => !['date', 'connection', 'content-length', 'keep-alive', 'x-powered-by'].includes(k));
      expect(helmetNames.sort()).toEqual(Object.keys(built).sort());
      expect(Boolean(built['strict-transport-security'])).toBe(https);
    }
  });

  it('the home cookie is written as res.cookie writes it, over http and https', async () => {
    const app = express();
    app.set('trust proxy', true);
    app.get('/theirs', (req, res) => {
      res.cookie(HOME_COOKIE, '/p/AbCdEfGhIj_-', cookieOptions(req)).end();
    });
    app.get('/ours', (req, res) => {
      setHomeCookie(res, '/p/AbCdEfGhIj_-', req.secure);
      res.end();
    });
    for (const proto of ['http', 'https']) {
      const theirs = String((await request(app).get('/theirs').set('X-Forwarded-Proto', proto)).headers['set-cookie']);
      const ours = String((await request(app).get('/ours').set('X-Forwarded-Proto', proto)).headers['set-cookie']);
      const expires = (c: string) => Date.parse(/Expires=([^;]+)/.exec(c)![1]!);
      expect(Math.abs(expires(ours) - expires(theirs))).toBeLessThanOrEqual(2000);
      expect(ours.replace(/Expires=[^;]+/, '')).toBe(theirs.replace(/Expires=[^;]+/, ''));
      expect(ours.includes('; Secure')).toBe(proto === 'https');
    }
  });

  it('a page that asked for a CSRF token (a form) is not kept: each response gets its own token', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-page-cache-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'form.ejs'), '<style nonce="<%= cspNonce %>"></style><form><input name="_csrf" value="<%= csrfToken() %>"></form>');
    fs.writeFileSync(path.join(dir, 'plain.ejs'), '<style nonce="<%= cspNonce %>"></style><p><%= word %></p>');
    const app = express();
    app.set('views', dir);
    app.set('view engine', 'ejs');
    let tokens = 0;
    app.use((_req, res, next) => {
      res.locals.cspNonce = [...Array(32)].map(() => Math.floor(Math.random() * 16).toString(16)).join('');
      res.locals.csrfToken = () => `token-${++tokens}`;
      next();
    });
    const cache = pageCache({ limit: 1 });
    const source = {};
    for (const view of ['form', 'plain']) {
      app.get(`/${view}`, (req, res) => {
        if (!cache.send(req, res, view, source)) cache.render(res, view, { word: '你好' }, view, source);
      });
    }
    const first = await request(app).get('/form').expect(200);
    const second = await request(app).get('/form').expect(200);
    expect(first.text).toContain('value="token-1"');
    expect(second.text).toContain('value="token-2"');
    expect(cache.size).toBe(0);
    const plain = await request(app).get('/plain').expect(200);
    expect(cache.has('plain', source)).toBe(true);
    expect(cache.has('plain', {})).toBe(false);
    const kept = await request(app).get('/plain').expect(200);
    expect(kept.text).toContain('<p>你好</p>');
    const nonce = (html: string) => /nonce="([0-9a-f]{32})"/.exec(html)![1];
    expect(nonce(kept.text)).not.toBe(nonce(plain.text));
    expect(tokens).toBe(2);
  });

  it('a page taken to be sent is sent whole even when other requests push it out or replace it before it goes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-page-cache-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'plain.ejs'), '<style nonce="<%= cspNonce %>"></style><p><%= word %></p>');
    const app = express();
    app.set('views', dir);
    app.set('view engine', 'ejs');
    app.use((_req, res, next) => {
      res.locals.cspNonce = [...Array(32)].map(() => Math.floor(Math.random() * 16).toString(16)).join('');
      next();
    });
    const cache = pageCache({ limit: 1 });
    const source = {};
    app.get('/render/:word', (req, res) => cache.render(res, 'plain', { word: req.params.word }, req.params.word, source));
    let taken: ReturnType<typeof cache.take>;
    app.get('/take/:word', (req, res) => {
      taken = cache.take(req.params.word, source);
      res.end(taken ? 'taken' : 'none');
    });
    app.get('/send', (req, res) => {
      if (!taken || !cache.sendKept(req, res, taken)) res.status(500).end();
    });
    await request(app).get('/render/甲').expect(200);
    expect((await request(app).get('/take/甲')).text).toBe('taken');
    // another page pushes 甲 out of a cache of one before the taken page is sent
    await request(app).get('/render/乙').expect(200);
    expect(cache.has('甲')).toBe(false);
    const sent = await request(app).get('/send').expect(200);
    expect(sent.text).toContain('<p>甲</p>');
    expect(sent.headers['content-length']).toBe(String(Buffer.byteLength(sent.text)));
    // a page of another source is dropped, not taken
    expect((await request(app).get('/take/乙')).text).toBe('taken');
    expect(cache.take('乙', {})).toBeUndefined();
    expect(cache.has('乙')).toBe(false);
    // keeping a key again replaces its own page without pushing out another
    const wide = pageCache({ limit: 2 });
    app.get('/wide/:word', (req, res) => wide.render(res, 'plain', { word: req.params.word }, req.params.word, source));
    await request(app).get('/wide/甲').expect(200);
    await request(app).get('/wide/乙').expect(200);
    await request(app).get('/wide/乙').expect(200);
    expect(wide.has('甲') && wide.has('乙')).toBe(true);
  });
});
