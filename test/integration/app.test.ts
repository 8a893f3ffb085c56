import { yanzhouVillager } from '../helpers/resident.js';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { demoHousehold } from '../helpers/builders.js';

describe('GET /healthz', () => {
  it('answers 200 ok when the database answers', async () => {
    const { app } = buildApp();
    const res = await request(app).get('/healthz').expect(200);
    expect(res.body).toMatchObject({ status: 'ok' });
  });

  it('answers 503 when the database is gone', async () => {
    const { app, database } = buildApp();
    await database.close();
    const res = await request(app).get('/healthz').expect(503);
    expect(res.body).toMatchObject({ status: 'unavailable' });
  });
});

describe('security headers', () => {
  it('sends a CSP with a fresh nonce that the inline stylesheet carries, and no unsafe-inline', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const a = await request(app).get(`/p/${h.token}`).expect(200);
    const b = await request(app).get(`/p/${h.token}`).expect(200);
    const csp = String(a.headers['content-security-policy']);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(a.text).toContain(`<style nonce="${nonce}">`);
    expect(String(b.headers['content-security-policy'])).not.toContain(nonce!);
    expect(a.headers['x-content-type-options']).toBe('nosniff');
    expect(a.headers['x-powered-by']).toBeUndefined();
  });

  it('resident pages need no script and no web font', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    for (const url of [`/p/${h.token}`, `/p/${h.token}/help`, '/services', '/services?q=低保']) {
      const res = await request(app).get(url).expect(200);
      expect(res.text).not.toMatch(/<script/i);
      expect(res.text).not.toMatch(/@font-face|\.woff/i);
      expect(res.text).not.toMatch(/<link[^>]+stylesheet/i);
    }
  });
});

describe('长辈版 (elder mode)', () => {
  it('switches on with a link, is remembered in a cookie, and enlarges the page', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const plain = await request(app).get(`/p/${h.token}`).expect(200);
    expect(plain.text).toContain('<html lang="zh-CN">');
    expect(plain.text).toContain(`/mode?elder=1&amp;back=${encodeURIComponent(`/p/${h.token}`)}`);

    const on = await request(app)
      .get(`/mode?elder=1&back=${encodeURIComponent(`/p/${h.token}`)}`)
      .expect(303);
    expect(on.headers.location).toBe(`/p/${h.token}`);
    const cookie = String(on.headers['set-cookie']);
    expect(cookie).toMatch(/mashang_elder=1/);
    expect(cookie).toMatch(/Max-Age=\d{7,}/);
    expect(cookie).toMatch(/HttpOnly/i);

    const elder = await request(app).get(`/p/${h.token}`).set('Cookie', 'mashang_elder=1').expect(200);
    expect(elder.text).toContain('<html lang="zh-CN" class="elder">');
    expect(elder.text).toContain('html.elder{--fs:24px;--tap:60px}');
    expect(elder.text).toContain('/mode?elder=0');
    expect(elder.text).toContain('标准版');
  });

  it('switches off again', async () => {
    const { app } = buildApp();
    const off = await request(app).get('/mode?elder=0&back=/services').set('Cookie', 'mashang_elder=1').expect(303);
    expect(String(off.headers['set-cookie'])).toMatch(/mashang_elder=;/);
  });

  it('never redirects to another site', async () => {
    const { app } = buildApp();
    for (const back of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const res = await request(app)
        .get(`/mode?elder=1&back=${encodeURIComponent(back)}`)
        .expect(303);
      expect(res.headers.location).toBe('/services');
    }
  });

  it('the toggle is on every resident page', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const code = await sql.value<string>('SELECT code FROM catalog_items WHERE district_id = 1 ORDER BY id LIMIT 1');
    for (const url of [`/p/${h.token}`, `/p/${h.token}/help`, '/services', `/services/${code}`, '/p/AAAAAAAAAAAA', '/nowhere']) {
      const res = await request(app).get(url);
      expect(res.text, url).toContain('/mode?elder=1');
    }
  });
});

describe('errors', () => {
  it('an unknown URL gets a 404 page in Chinese', async () => {
    const { app } = buildApp();
    const res = await request(app).get('/no/such/page').expect(404);
    expect(res.text).toContain('页面不存在');
  });

  const failing = (env: 'production' | 'development') =>
    buildApp({
      config: { env },
      override: (s) => ({
        ...s,
        catalog: {
          ...s.catalog,
          // what the list page reads
          listing: () => {
            throw new Error('disk on fire');
          },
        },
      }),
    });

  it('in production a failure shows a friendly 500 page without the stack', async () => {
    const res = await request(failing('production').app).get('/services?d=370812').expect(500);
    expect(res.text).toContain('系统开小差了');
    expect(res.text).not.toContain('disk on fire');
  });

  it('in development the stack is shown to the developer', async () => {
    const res = await request(failing('development').app).get('/services?d=370812').expect(500);
    expect(res.text).toContain('disk on fire');
  });

  it('JSON clients get JSON errors', async () => {
    const { app } = buildApp();
    const res = await request(app).get('/nowhere').set('Accept', 'application/json').expect(404);
    expect(res.body).toEqual({ error: '页面不存在', status: 404 });
  });

  it('/ leads to the catalogue, or to the plate this phone last scanned', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    expect((await request(app).get('/').expect(303)).headers.location).toBe('/services');
    const back = await request(app).get('/').set('Cookie', `mashang_home=/p/${h.token}`).expect(303);
    expect(back.headers.location).toBe(`/p/${h.token}`);
    const forged = await request(app).get('/').set('Cookie', 'mashang_home=https://evil.example').expect(303);
    expect(forged.headers.location).toBe('/services');
  });
});

describe('cookies', () => {
  it('a plate page sets no CSRF cookie; a page with a form does', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const landing = await request(app).get(`/p/${h.token}`).expect(200);
    expect(String(landing.headers['set-cookie'] ?? '')).not.toMatch(/csrf|mashang_bid/);
    const form = await request(app).get(`/p/${h.token}/speak`).expect(200);
    expect(String(form.headers['set-cookie'])).toMatch(/mashang_csrf=/);
    expect(String(form.headers['set-cookie'])).toMatch(/mashang_bid=/);
  });
});

describe('logs', () => {
  it('keep plate and case tokens out, also inside back= and next=', async () => {
    const { redactTokens } = await import('../../src/app.js');
    expect(redactTokens('/p/AbCdEfGhIjKl/help')).toBe('/p/…/help');
    expect(redactTokens('/track/AbCdEfGhIjKlMnOpQrStUv?new=1')).toBe('/track/…?new=1');
    expect(redactTokens('/mode?elder=1&back=%2Ftrack%2FAbCdEfGhIjKlMnOpQrStUv')).toBe('/mode?elder=1&back=%2Ftrack%2F…');
    expect(redactTokens('/qr/AbCdEfGhIjKl.svg')).toBe('/qr/….svg');
  });

  it('a search for a word like constructor is answered, not an error', async () => {
    const { app } = buildApp();
    await yanzhouVillager(app).get('/services').query({ q: 'constructor' }).expect(200);
  });
});

describe('small things on every resident page', () => {
  it('/favicon.ico is an empty answer, not an error page', async () => {
    const { app } = buildApp();
    const res = await request(app).get('/favicon.ico').expect(204);
    expect(res.text ?? '').toBe('');
  });

  it('the 12345 hotline in the footer is a tel: link', async () => {
    const { app } = buildApp();
    const res = await yanzhouVillager(app).get('/services').expect(200);
    expect(res.text).toContain('<a href="tel:12345">12345</a>');
  });
});
