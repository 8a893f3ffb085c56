import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Response } from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { buildApp } from '../helpers/app.js';
import { aCase } from '../helpers/cases.js';
import { agentFor, openForm, type Agent } from '../helpers/forms.js';
import { BOUNDARY, multipartBody, multipartType } from '../helpers/multipart.js';
import { routesOf, type Route } from '../helpers/routes.js';
import { aUser, signIn } from '../helpers/staff.js';

/**
 * Every route of the real app that changes something (any method but GET/HEAD), found by walking
 * the router stack, so a new one is checked without being listed: without a session the back
 * office sends to sign-in (only the sign-in form itself is open); without a CSRF token everything
 * is refused with 403, signed in or not, urlencoded or multipart. Nothing changes in the database.
 */

/** Counts every write to any table but the sessions' (a session's expiry moves on each request). */
function countWrites(db: Db): () => number {
  db.exec('CREATE TEMP TABLE IF NOT EXISTS writes (n INTEGER NOT NULL)');
  db.exec('DELETE FROM temp.writes; INSERT INTO temp.writes VALUES (0)');
  const tables = db
    .prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'sessions'")
    .pluck()
    .all() as string[];
  for (const table of tables) {
    for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
      db.exec(`CREATE TEMP TRIGGER IF NOT EXISTS "w_${table}_${op}" AFTER ${op} ON main."${table}" BEGIN UPDATE temp.writes SET n = n + 1; END`);
    }
  }
  const read = db.prepare('SELECT n FROM temp.writes').pluck();
  return () => read.get() as number;
}

const isOffice = (r: Route) => r.path === '/admin' || r.path.startsWith('/admin/');
const SIGN_IN = 'POST /admin/login';
const key = (r: Route) => `${r.method} ${r.path}`;

/** Sent to the sign-in page, or refused outright. */
const sentToSignIn = (res: Response) => (res.status === 303 && res.headers.location === '/admin/login') || res.status === 401 || res.status === 403;

describe('every route that changes something, walked from the router stack', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-every-route-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const setUp = async () => {
    const rateLimits = { submitPerIp: 1e6, invalidPerIp: 1e6, submitPerPlate: 1e6, lookupPerIp: 1e6, loginPerIp: 1e6 };
    const { app, services, db } = buildApp({ config: { dataDir: dir }, rateLimits });
    const admin = await aUser(services, { role: 'admin' });
    const other = await aUser(services, { role: 'admin' });
    const c = await aCase(db, services);
    const one = <T>(sql: string) => db.prepare(sql).pluck().get() as T;
    const village = one<string>(`SELECT v.code FROM villages v WHERE v.id = ${c.household.villageId}`);
    const values: Record<string, string> = {
      caseId: String(c.id),
      caseToken: c.token,
      householdId: String(c.household.householdId),
      householdToken: c.household.token,
      villageToken: one<string>("SELECT token FROM plates WHERE kind = 'village' AND status = 'active' ORDER BY id LIMIT 1"),
      village,
      town: village.slice(0, 9),
      cadreId: String(one<number>('SELECT id FROM cadres ORDER BY id LIMIT 1')),
      userId: String(other.id),
      templateId: String(one<number>('SELECT id FROM reply_templates ORDER BY id LIMIT 1') ?? 1),
      itemCode: one<string>('SELECT code FROM catalog_items ORDER BY id LIMIT 1'),
      date: one<string>('SELECT date FROM calendar_days ORDER BY date LIMIT 1') ?? '2026-10-01',
    };
    const routes = routesOf(app).filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
    return { app, db, admin, routes, url: (r: Route) => urlFor(r.path, values) };
  };

  /** The route's path with real ids, so that a request let through would reach a real object. */
  function urlFor(route: string, v: Record<string, string>): string {
    return route
      .replace(/^\/p\/:token/, `/p/${v.householdToken}`)
      .replace(/^\/v\/:token/, `/v/${v.villageToken}`)
      .replace(':caseToken', v.caseToken!)
      .replace(/\/cases\/:id/, `/cases/${v.caseId}`)
      .replace(/\/households\/:id/, `/households/${v.householdId}`)
      .replace(/\/cadres\/:id/, `/cadres/${v.cadreId}`)
      .replace(/\/users\/:id/, `/users/${v.userId}`)
      .replace(/\/templates\/:id/, `/templates/${v.templateId}`)
      .replace(/\/towns\/:code/, `/towns/${v.town}`)
      .replace(/\/catalog\/:code/, `/catalog/${v.itemCode}`)
      .replace(/:code/g, v.village!)
      .replace(':date', v.date!)
      .replace(':name', 'households')
      .replace(/:[A-Za-z]+/g, '1');
  }

  /** What a form would carry: enough for a handler to act if it were reached (within every form's field limit). */
  const BODY = {
    action: 'accept',
    version: '1',
    text: '已电话联系住户',
    title: '标题',
    body: '五个字以上的内容',
    date: '2027-01-05',
    kind: 'holiday',
    username: 'someone',
    displayName: '某',
    role: 'admin',
    password: 'long-enough-pw-1',
    active: '0',
    visitedOn: '2026-11-01',
    notes: '入户走访',
    name: '新名字',
    address: '新村路8号',
    phone: '13912345678',
    content: '家里的自来水管冻裂了，请帮忙联系维修',
    callbackTime: 'any',
  };
  /** A multipart form small enough for every upload's limits, so it is read whole and only its token is missing. */
  const MULTIPART = [
    { name: 'name', value: '新名字' },
    { name: 'content', value: '家里的自来水管冻裂了，请帮忙联系维修' },
  ];

  it('finds the routes: a walk that found none would prove nothing', async () => {
    const { routes } = await setUp();
    const office = routes.filter(isOffice).map(key);
    const resident = routes.filter((r) => !isOffice(r)).map(key);
    expect(office.length).toBeGreaterThan(20);
    expect(resident.length).toBeGreaterThan(6);
    expect(office).toContain(SIGN_IN);
    expect(office).toContain('POST /admin/cases/:id/action');
    expect(office).toContain('POST /admin/villages/:code/cadres/:id/photo');
    expect(resident).toContain('POST /p/:token/apply');
    expect(resident).toContain('POST /track');
    console.info(`checked routes (${routes.length}):\n${routes.map(key).join('\n')}`);
  });

  it('without a session, every back-office route but the sign-in form sends to sign-in, even with a valid token', { timeout: 60_000 }, async () => {
    const { app, db, routes, url } = await setUp();
    const anonymous = agentFor(app);
    const { csrf } = await openForm(anonymous, '/track');
    // counted from here: the first page may store the installation's signing secret
    const writes = countWrites(db);
    const checked: string[] = [];
    const wrong: string[] = [];
    for (const r of routes.filter((x) => isOffice(x) && key(x) !== SIGN_IN)) {
      const res = await anonymous
        .post(url(r))
        .type('form')
        .send({ ...BODY, _csrf: csrf });
      checked.push(key(r));
      if (!sentToSignIn(res)) wrong.push(`${key(r)}: ${res.status} ${res.headers.location ?? ''}`);
    }
    expect(wrong).toEqual([]);
    expect(checked.length).toBeGreaterThan(20);
    expect(writes()).toBe(0);
  });

  it('without a session and without a token, every route is refused and nothing changes', { timeout: 60_000 }, async () => {
    const { app, db, routes, url } = await setUp();
    const anonymous = agentFor(app);
    await openForm(anonymous, '/track'); // the browser's cookies, but no token in the form
    // counted from here: the first page may store the installation's signing secret
    const writes = countWrites(db);
    const wrong: string[] = [];
    for (const r of routes) {
      const res = await anonymous.post(url(r)).type('form').send(BODY);
      const ok = isOffice(r) && key(r) !== SIGN_IN ? sentToSignIn(res) : res.status === 403;
      if (!ok) wrong.push(`${key(r)}: ${res.status} ${res.headers.location ?? ''}`);
    }
    expect(wrong).toEqual([]);
    expect(writes()).toBe(0);
  });

  it('signed in but without a token, every route answers 403, urlencoded or multipart, and nothing changes', { timeout: 90_000 }, async () => {
    const { app, db, admin, routes, url } = await setUp();
    const agent: Agent = await signIn(app, admin.username);
    const writes = countWrites(db);
    const checked: string[] = [];
    const wrong: string[] = [];
    for (const r of routes) {
      const form = await agent.post(url(r)).type('form').send(BODY);
      const multipart = await agent.post(url(r)).set('Content-Type', multipartType()).send(multipartBody(MULTIPART, BOUNDARY));
      checked.push(key(r));
      if (form.status !== 403) wrong.push(`${key(r)} (form): ${form.status} ${form.headers.location ?? ''}`);
      if (multipart.status !== 403) wrong.push(`${key(r)} (multipart): ${multipart.status} ${multipart.headers.location ?? ''}`);
    }
    expect(wrong).toEqual([]);
    expect(checked).toEqual(routes.map(key));
    expect(checked.length).toBeGreaterThan(30);
    expect(writes()).toBe(0);
    // Signing out without a token was refused too.
    await agent.get('/admin').expect(200);
  });
});
