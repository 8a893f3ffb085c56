import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, demoHousehold } from '../helpers/builders.js';
import { agentFor, openForm, postMultipart } from '../helpers/forms.js';
import { jpegWithGps, png } from '../helpers/images.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';
import { MINE_COOKIE } from '../../src/features/places/routes.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** The demo with a case that has a photo, a cadre with a photo, and an admin's signed-in agent. */
async function world() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-cache-'));
  dirs.push(dir);
  const stack = buildApp({ config: { dataDir: dir } });
  const { app, sql, services } = stack;
  const h = await demoHousehold(sql);
  const village = (await sql.value<string>('SELECT code FROM villages WHERE id = ?', h.villageId))!;
  const villageToken = (await sql.value<string>("SELECT token FROM plates WHERE kind = 'village' AND village_id = ? ORDER BY id LIMIT 1", h.villageId))!;
  const villager = agentFor(app);
  const form = await openForm(villager, `/p/${h.token}/speak`);
  const filed = await postMultipart(
    villager,
    `/p/${h.token}/speak`,
    { category: 'request', content: '门前排水沟堵了', name: '李桂芳', phone: '13912345678', _csrf: form.csrf, idempotencyKey: form.idempotencyKey },
    [{ name: 'a.jpg', data: await jpegWithGps() }],
  ).expect(303);
  const caseToken = /\/track\/([^?]+)/.exec(filed.headers.location!)![1]!;
  const caseId = (await sql.value<number>('SELECT id FROM cases WHERE token = ?', caseToken))!;
  const photoId = (await sql.value<number>('SELECT id FROM case_photos WHERE case_id = ? ORDER BY id LIMIT 1', caseId))!;
  const cadre = await aCadre(sql, { villageId: h.villageId, phone: '19900007500' });
  const u = await aUser(services, { role: 'admin' });
  const admin = await signIn(app, u.username);
  await admin
    .post(`/admin/villages/${village}/cadres/${cadre.id}/photo`)
    .field('_csrf', await csrfFor(admin))
    .attach('photo', await png(), 'me.png')
    .expect(303);
  return { ...stack, h, village, villageToken, caseToken, caseId, photoId, cadre, admin };
}

describe('Cache-Control on personal pages', () => {
  // two PDFs and two spreadsheets among 30 pages: seconds of work, longer on a busy machine
  it('every back-office page, export, PDF, QR, case page and private photo says no-store, and varies by cookie', { timeout: 60_000 }, async () => {
    const w = await world();
    const signedIn = [
      '/admin',
      '/admin/cases',
      `/admin/cases/${w.caseId}`,
      '/admin/cases.csv',
      `/admin/cases/${w.caseId}/photos/${w.photoId}`,
      '/admin/plates',
      `/admin/plates/village/${w.village}`,
      `/admin/plates/print?village=${w.village}`,
      `/admin/plates.pdf?village=${w.village}`,
      `/admin/plates/village/${w.village}/village.pdf`,
      '/admin/data',
      '/admin/data/households/export.csv',
      '/admin/data/households/export.xlsx',
      '/admin/data/households/template.csv',
      '/admin/audit',
      '/admin/users',
      '/admin/templates',
      '/admin/calendar',
      '/admin/places',
      '/admin/catalog',
      `/admin/villages/${w.village}/households`,
      `/admin/villages/${w.village}/cadres`,
      '/admin/password',
      `/qr/${w.h.token}.svg`,
      `/qr/${w.h.token}.png`,
      // the household file a signed-in cadre sees when scanning a plate
      `/p/${w.h.token}`,
      // a page that is not there is no more cacheable
      '/admin/cases/999999',
    ];
    for (const url of signedIn) {
      const res = await w.admin.get(url);
      expect(res.status, url).toBeLessThan(500);
      expect(res.headers['cache-control'], url).toBe('no-store');
      expect(res.headers.vary ?? '', url).toMatch(/cookie/i);
    }
    const anonymous = ['/admin/login', '/admin', '/track', `/track/${w.caseToken}`, `/track/${w.caseToken}/photos/${w.photoId}`, `/track/${w.caseToken}?new=1`];
    for (const url of anonymous) {
      const res = await request(w.app).get(url);
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
  });

  it("a form sent back with the villager's typing, and the plate page listing this phone's cases, say no-store", async () => {
    const w = await world();
    const agent = agentFor(w.app);
    const form = await openForm(agent, `/p/${w.h.token}/help/request`);
    const bad = await postMultipart(agent, `/p/${w.h.token}/help/request`, {
      _csrf: form.csrf,
      name: '李桂芳',
      phone: '1391234',
      content: '水管冻裂了',
      callbackTime: 'any',
    }).expect(400);
    expect(bad.text).toContain('水管冻裂了');
    expect(bad.headers['cache-control']).toBe('no-store');
    const mine = await request(w.app).get(`/p/${w.h.token}`).set('Cookie', `${MINE_COOKIE}=${w.caseToken}`).expect(200);
    expect(mine.text).toContain(`/track/${w.caseToken}`);
    expect(mine.headers['cache-control']).toBe('no-store');
  });

  it('when the cadre signs out, then the case page they had open is neither served again nor stored', async () => {
    const w = await world();
    const page = await w.admin.get(`/admin/cases/${w.caseId}`).expect(200);
    expect(page.text).toContain('139');
    expect(page.headers['cache-control']).toBe('no-store');
    await w.admin
      .post('/admin/logout')
      .type('form')
      .send({ _csrf: await csrfFor(w.admin) })
      .expect(303);
    const after = await w.admin.get(`/admin/cases/${w.caseId}`).expect(303);
    expect(after.headers['cache-control']).toBe('no-store');
  });
});

describe('public resident pages keep their caching', () => {
  it('the plate pages, 码上帮, the catalogue and the forms send no no-store and vary by cookie (elder mode, the signed-in household file)', async () => {
    const w = await world();
    const item = (await w.sql.value<string>("SELECT code FROM catalog_items WHERE name = '最低生活保障'"))!;
    for (const url of [
      `/p/${w.h.token}`,
      `/p/${w.h.token}/help`,
      `/v/${w.villageToken}`,
      '/services',
      '/services?q=低保',
      `/services/${item}?d=370812`,
      `/p/${w.h.token}/speak`,
    ]) {
      const res = await request(w.app).get(url).expect(200);
      expect(res.headers['cache-control'], url).toBeUndefined();
      expect(res.headers.vary ?? '', url).toMatch(/cookie/i);
    }
  });

  it('static files and cadre portraits stay cacheable as before', async () => {
    const w = await world();
    const css = await request(w.app).get('/static/css/admin.css').expect(200);
    expect(css.headers['cache-control']).toBe('public, max-age=604800');
    const portrait = await request(w.app).get(`/cadres/${w.cadre.id}/photo.jpg`).expect(200);
    expect(portrait.headers['cache-control']).toBe('public, max-age=86400');
  });
});
