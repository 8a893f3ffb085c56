import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { buildApp, type TestApp } from '../helpers/app.js';
import { aCadre, aHousehold, demoHousehold } from '../helpers/builders.js';
import { aCase } from '../helpers/cases.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';
import type { Agent } from '../helpers/forms.js';
import { routesOf } from '../helpers/routes.js';

/**
 * The access matrix: every back-office route that takes an id, for an admin, staff of the object's
 * township (A), staff of another township (B), a cadre of the object's village and a cadre of a
 * village in B. Everything out of scope is not there (404); a role that may never use a page gets
 * 403; everyone entitled gets past the scope check (any answer but 403, 404 or a 5xx).
 */

type Who = 'admin' | 'staffA' | 'staffB' | 'cadreA' | 'cadreB';
const EVERYONE: Who[] = ['admin', 'staffA', 'staffB', 'cadreA', 'cadreB'];

interface Objects {
  caseId: number;
  photoId: number;
  catalogCode: string;
  villageCode: string;
  householdId: number;
  plateToken: string;
  cadreId: number;
  templateId: number;
  apiKeyId: number;
  notificationId: number;
  channelId: number;
}

interface Row {
  method: 'GET' | 'POST';
  /** the route as Express registered it, to prove every such route is here */
  route: string;
  url: (o: Objects) => string;
  body?: Record<string, string>;
  /** sent as multipart (upload forms read their CSRF token from the multipart body) */
  multipart?: boolean;
  /** roles that may use the page at all (others: 403) */
  roles: Array<'admin' | 'staff' | 'cadre'>;
  /** admin-only pages answer 403 to staff whatever the scope */
  scoped: boolean;
}

const STAFF: Row['roles'] = ['admin', 'staff'];
const ALL: Row['roles'] = ['admin', 'staff', 'cadre'];

const ROWS: Row[] = [
  { method: 'GET', route: '/admin/cases/:id', url: (o) => `/admin/cases/${o.caseId}`, roles: ALL, scoped: true },
  { method: 'GET', route: '/admin/cases/:id/photos/:photoId', url: (o) => `/admin/cases/${o.caseId}/photos/${o.photoId}`, roles: ALL, scoped: true },
  {
    method: 'POST',
    route: '/admin/cases/:id/action',
    url: (o) => `/admin/cases/${o.caseId}/action`,
    body: { action: 'note', version: '1', text: '已电话联系住户' },
    roles: ALL,
    scoped: true,
  },
  {
    method: 'POST',
    route: '/admin/households/:id/visits',
    url: (o) => `/admin/households/${o.householdId}/visits`,
    body: { note: '入户走访，了解用水情况' },
    roles: ALL,
    scoped: true,
  },
  { method: 'POST', route: '/admin/templates/:id/delete', url: (o) => `/admin/templates/${o.templateId}/delete`, roles: STAFF, scoped: true },
  { method: 'GET', route: '/qr/:file', url: (o) => `/qr/${o.plateToken}.svg`, roles: STAFF, scoped: true },
  { method: 'GET', route: '/admin/plates/village/:code', url: (o) => `/admin/plates/village/${o.villageCode}`, roles: STAFF, scoped: true },
  {
    method: 'GET',
    route: '/admin/plates/village/:code/village.pdf',
    url: (o) => `/admin/plates/village/${o.villageCode}/village.pdf`,
    roles: STAFF,
    scoped: true,
  },
  { method: 'GET', route: '/admin/plates/households/:id/reissue', url: (o) => `/admin/plates/households/${o.householdId}/reissue`, roles: STAFF, scoped: true },
  {
    method: 'POST',
    route: '/admin/plates/households/:id/reissue',
    url: (o) => `/admin/plates/households/${o.householdId}/reissue`,
    roles: STAFF,
    scoped: true,
  },
  { method: 'GET', route: '/admin/villages/:code/households', url: (o) => `/admin/villages/${o.villageCode}/households`, roles: STAFF, scoped: true },
  {
    method: 'POST',
    route: '/admin/villages/:code/households',
    url: (o) => `/admin/villages/${o.villageCode}/households`,
    body: { address: '矩阵路1号' },
    roles: STAFF,
    scoped: true,
  },
  {
    method: 'POST',
    route: '/admin/villages/:code/households/:id',
    url: (o) => `/admin/villages/${o.villageCode}/households/${o.householdId}`,
    body: { address: '矩阵路2号' },
    roles: STAFF,
    scoped: true,
  },
  { method: 'GET', route: '/admin/villages/:code/cadres', url: (o) => `/admin/villages/${o.villageCode}/cadres`, roles: STAFF, scoped: true },
  {
    method: 'POST',
    route: '/admin/villages/:code/cadres',
    url: (o) => `/admin/villages/${o.villageCode}/cadres`,
    body: { name: '矩阵', role: 'grid_worker', phone: '19900006601', dutyHours: '' },
    roles: STAFF,
    scoped: true,
  },
  {
    method: 'POST',
    route: '/admin/villages/:code/cadres/:id',
    url: (o) => `/admin/villages/${o.villageCode}/cadres/${o.cadreId}`,
    body: { name: '矩阵', role: 'grid_worker', phone: '19900006602', dutyHours: '' },
    roles: STAFF,
    scoped: true,
  },
  {
    method: 'GET',
    route: '/admin/villages/:code/cadres/:id/remove',
    url: (o) => `/admin/villages/${o.villageCode}/cadres/${o.cadreId}/remove`,
    roles: STAFF,
    scoped: true,
  },
  {
    method: 'POST',
    route: '/admin/villages/:code/cadres/:id/remove',
    url: (o) => `/admin/villages/${o.villageCode}/cadres/${o.cadreId}/remove`,
    roles: STAFF,
    scoped: true,
  },
  {
    method: 'POST',
    route: '/admin/villages/:code/cadres/:id/photo',
    url: (o) => `/admin/villages/${o.villageCode}/cadres/${o.cadreId}/photo`,
    multipart: true,
    roles: STAFF,
    scoped: true,
  },
  {
    method: 'POST',
    route: '/admin/places/villages/:code',
    url: (o) => `/admin/places/villages/${o.villageCode}`,
    body: { name: '矩阵村' },
    roles: STAFF,
    scoped: true,
  },
  { method: 'GET', route: '/admin/notifications/:id', url: (o) => `/admin/notifications/${o.notificationId}`, roles: ALL, scoped: true },
  { method: 'POST', route: '/admin/notifications/:id/retry', url: (o) => `/admin/notifications/${o.notificationId}/retry`, roles: ALL, scoped: true },
  // A township's channel: its staff manage it, other townships' staff do not see it.
  { method: 'POST', route: '/admin/channels/:id/remove', url: (o) => `/admin/channels/${o.channelId}/remove`, roles: STAFF, scoped: true },
  // Admin-only pages: district-wide data with no township to scope by.
  { method: 'POST', route: '/admin/users/:id/active', url: () => `/admin/users/1/active`, body: { active: '0' }, roles: ['admin'], scoped: false },
  { method: 'POST', route: '/admin/calendar/:date/delete', url: () => `/admin/calendar/2026-10-01/delete`, roles: ['admin'], scoped: false },
  {
    method: 'POST',
    route: '/admin/places/towns/:code',
    url: (o) => `/admin/places/towns/${o.villageCode.slice(0, 9)}`,
    body: { name: '矩阵镇' },
    roles: ['admin'],
    scoped: false,
  },
  {
    method: 'POST',
    route: '/admin/places/towns/:code/centre',
    url: (o) => `/admin/places/towns/${o.villageCode.slice(0, 9)}/centre`,
    body: { address: '矩阵路1号', hours: '工作日 9:00-17:00', phone: '0537-1000000' },
    roles: ['admin'],
    scoped: false,
  },
  { method: 'POST', route: '/admin/apikeys/:id/revoke', url: (o) => `/admin/apikeys/${o.apiKeyId}/revoke`, roles: ['admin'], scoped: false },
  { method: 'GET', route: '/admin/catalog/:code', url: (o) => `/admin/catalog/${o.catalogCode}`, roles: ['admin'], scoped: false },
  { method: 'POST', route: '/admin/catalog/:code', url: (o) => `/admin/catalog/${o.catalogCode}`, body: { name: '' }, roles: ['admin'], scoped: false },
];

// Routes whose parameter is not an object that lives in a township: a dataset's name and file kind.
const NOT_IDS = ['/admin/data/:name/:kind', '/admin/data/:name/preview', '/admin/data/:name/commit'];

interface World extends TestApp {
  objects: Objects;
  townA: string;
  townB: string;
  villageA: number;
  villageB: number;
}

async function world(): Promise<World> {
  const stack = buildApp();
  const { sql } = stack;
  const h = await demoHousehold(sql);
  const villageCode = (await sql.value<string>('SELECT code FROM villages WHERE id = ?', h.villageId))!;
  const townA = villageCode.slice(0, 9);
  const other = (await sql.get<{ id: number; code: string }>('SELECT id, code FROM villages WHERE substr(code, 1, 9) != ? ORDER BY id LIMIT 1', townA))!;
  const c = await aCase(sql, stack.services);
  const extra = await aHousehold(sql, { villageId: h.villageId, address: '矩阵村3号' });
  const cadreId = (await aCadre(sql, { villageId: h.villageId, name: '矩阵干部', phone: '19900006600' })).id;
  // A photo on the case, as a villager's upload leaves it.
  const fileName = `matrix-${c.id}-${Date.now()}.jpg`;
  fs.mkdirSync(path.dirname(stack.services.cases.photoPath(fileName)), { recursive: true });
  fs.writeFileSync(stack.services.cases.photoPath(fileName), Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
  const photoId = (await sql.value<number>(
    "INSERT INTO case_photos (case_id, file_name, mime, bytes, width, height, created_at) VALUES (?, ?, 'image/jpeg', 4, 1, 1, '2026-01-01') RETURNING id",
    c.id,
    fileName,
  ))!;
  const catalogCode = (await sql.value<string>('SELECT code FROM catalog_items ORDER BY id LIMIT 1'))!;
  const templateId = (await sql.value<number>(
    "INSERT INTO reply_templates (kind, title, body, town_code, created_at) VALUES ('help', '矩阵', '矩阵回复内容', ?, '2026-01-01') RETURNING id",
    townA,
  ))!;
  // A failed SMS about the case, as the delivery log shows it, and a group robot of the township.
  const eventId = (await sql.value<number>('SELECT min(id) FROM case_events WHERE case_id = ?', c.id))!;
  const notificationId = (await sql.value<number>(
    `INSERT INTO notification_deliveries (event_id, case_id, village_id, channel, recipient, message, body, state, attempts, next_at, created_at, updated_at)
    VALUES (?, ?, ?, 'sms', '13912345678', 'received', '已收到', 'dead', 8, '2026-01-01', '2026-01-01', '2026-01-01') RETURNING id`,
    eventId,
    c.id,
    h.villageId,
  ))!;
  const channelId = await stack.services.notifications.addChannel({
    kind: 'wecom',
    url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=matrix',
    scopeCode: townA,
  });
  const apiKeyId = (await stack.services.open311.createKey('矩阵', null)).row.id;
  return {
    ...stack,
    townA,
    townB: other.code.slice(0, 9),
    villageA: h.villageId,
    villageB: other.id,
    objects: {
      caseId: c.id,
      photoId,
      catalogCode,
      villageCode,
      householdId: extra.id,
      plateToken: extra.token,
      cadreId,
      templateId,
      apiKeyId,
      notificationId,
      channelId,
    },
  };
}

async function userFor(w: World, who: Who): Promise<{ agent: Agent; role: 'admin' | 'staff' | 'cadre' }> {
  const { services, sql } = w;
  let u;
  if (who === 'admin') u = await aUser(services, { role: 'admin' });
  else if (who === 'staffA' || who === 'staffB')
    u = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: who === 'staffA' ? w.townA : w.townB }] });
  else {
    const villageId = who === 'cadreA' ? w.villageA : w.villageB;
    u = await aUser(services, {
      role: 'cadre',
      cadreId: (await aCadre(sql, { villageId, name: `${who}干部`, phone: who === 'cadreA' ? '19900006610' : '19900006611' })).id,
    });
  }
  return { agent: await signIn(w.app, u.username), role: who === 'admin' ? 'admin' : who.startsWith('staff') ? 'staff' : 'cadre' };
}

async function send(agent: Agent, row: Row, url: string): Promise<number> {
  if (row.method === 'GET') return (await agent.get(url)).status;
  const csrf = await csrfFor(agent);
  if (row.multipart) return (await agent.post(url).field('_csrf', csrf)).status;
  return (
    await agent
      .post(url)
      .type('form')
      .send({ _csrf: csrf, ...row.body })
  ).status;
}

/** What a user should get: 403 for a role that may not use the page, 404 out of scope, else through. */
function expected(row: Row, who: Who, role: 'admin' | 'staff' | 'cadre'): 'through' | 403 | 404 {
  if (!row.roles.includes(role)) return 403;
  if (!row.scoped || who === 'admin') return 'through';
  return who.endsWith('A') ? 'through' : 404;
}

function routesWithIds(app: Express): string[] {
  return routesOf(app)
    .map((r) => `${r.method} ${r.path}`)
    .filter((r) => /^(GET|POST) \/(admin|qr)\//.test(r) && r.includes(':'));
}

describe('access matrix: every back-office route taking an id, for an admin, two townships’ staff and two villages’ cadres', () => {
  it('lists every such route the app has (a new one must be added here)', () => {
    const { app } = buildApp();
    const covered = new Set(ROWS.map((r) => `${r.method} ${r.route}`));
    const missing = routesWithIds(app).filter((r) => !covered.has(r) && !NOT_IDS.some((n) => r.endsWith(` ${n}`)));
    expect(missing).toEqual([]);
  });

  for (const row of ROWS) {
    it(`${row.method} ${row.route}`, async () => {
      // Out-of-scope and wrong-role users first, on one installation; each entitled user on a fresh
      // one, so that a delete by one does not hide the object from the next.
      const denied = await world();
      const results: string[] = [];
      const want: string[] = [];
      for (const who of EVERYONE) {
        const w = expected(row, who, who === 'admin' ? 'admin' : who.startsWith('staff') ? 'staff' : 'cadre') === 'through' ? await world() : denied;
        const { agent, role } = await userFor(w, who);
        const status = await send(agent, row, row.url(w.objects));
        const e = expected(row, who, role);
        results.push(`${who}: ${e === 'through' ? (status === 403 || status === 404 || status >= 500 ? `blocked ${status}` : 'through') : status}`);
        want.push(`${who}: ${e}`);
      }
      expect(results).toEqual(want);
      // Nobody signed in: sent to sign in.
      const anon = await request(denied.app)[row.method === 'GET' ? 'get' : 'post'](row.url(denied.objects));
      expect([303, 403]).toContain(anon.status);
    });
  }
});
