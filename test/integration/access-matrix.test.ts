import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp, type TestApp } from '../helpers/app.js';
import { aCadre, aHousehold, demoHousehold } from '../helpers/builders.js';
import { aCase } from '../helpers/cases.js';
import { aUser, signIn } from '../helpers/staff.js';
import type { Agent } from '../helpers/forms.js';
import { NOT_IDS, ROWS, routesWithIds, sendRow, type Objects, type Row } from '../helpers/id-routes.js';

/**
 * The access matrix: every back-office route that takes an id, for an admin, staff of the object's
 * township (A), staff of another township (B), a cadre of the object's village and a cadre of a
 * village in B. Everything out of scope is not there (404); a role that may never use a page gets
 * 403; everyone entitled gets past the scope check (any answer but 403, 404 or a 5xx).
 */

type Who = 'admin' | 'staffA' | 'staffB' | 'cadreA' | 'cadreB';
const EVERYONE: Who[] = ['admin', 'staffA', 'staffB', 'cadreA', 'cadreB'];

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

/** What a user should get: 403 for a role that may not use the page, 404 out of scope, else through. */
function expected(row: Row, who: Who, role: 'admin' | 'staff' | 'cadre'): 'through' | 403 | 404 {
  if (!row.roles.includes(role)) return 403;
  if (!row.scoped || who === 'admin') return 'through';
  return who.endsWith('A') ? 'through' : 404;
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
        const status = await sendRow(agent, row, row.url(w.objects));
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
