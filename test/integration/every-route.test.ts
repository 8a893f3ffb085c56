import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Response } from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, type TestApp } from '../helpers/app.js';
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

/**
 * Records every write to any table but the sessions' (a session's expiry moves on each request) and
 * the rate limits' (on PostgreSQL the limiters count each request there; SQLite's count in memory), with
 * a row trigger on each table: SQLite's temporary ones on its one connection; on PostgreSQL, where
 * the app's pool has several connections, ordinary ones in the app's own database. Reads back
 * "operation table" for each row written.
 */
async function recordWrites({ database, sql, db }: TestApp): Promise<() => Promise<string[]>> {
  if (database.engine === 'postgres') {
    await sql.run('CREATE TABLE IF NOT EXISTS test_writes (id bigint GENERATED ALWAYS AS IDENTITY, what text NOT NULL)');
    await sql.run('DELETE FROM test_writes');
    await sql.run(
      "CREATE OR REPLACE FUNCTION test_record_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO test_writes (what) VALUES (TG_OP || ' ' || TG_TABLE_NAME); RETURN NULL; END $$",
    );
    const tables = await sql.column<string>(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name NOT IN ('sessions', 'rate_limits', 'test_writes') ORDER BY table_name`,
    );
    expect(tables.length).toBeGreaterThan(10);
    for (const table of tables) {
      await sql.run(`CREATE OR REPLACE TRIGGER "w_${table}" AFTER INSERT OR UPDATE OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION test_record_write()`);
    }
    return async () => (await sql.column<string>('SELECT what FROM test_writes ORDER BY id')) as string[];
  }
  db.exec('CREATE TEMP TABLE IF NOT EXISTS writes (id INTEGER PRIMARY KEY, what TEXT NOT NULL)');
  db.exec('DELETE FROM temp.writes');
  const tables = db
    .prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('sessions', 'rate_limits')")
    .pluck()
    .all() as string[];
  for (const table of tables) {
    for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
      db.exec(
        `CREATE TEMP TRIGGER IF NOT EXISTS "w_${table}_${op}" AFTER ${op} ON main."${table}" BEGIN INSERT INTO temp.writes (what) VALUES ('${op} ${table}'); END`,
      );
    }
  }
  const read = db.prepare('SELECT what FROM temp.writes ORDER BY id').pluck();
  return () => Promise.resolve(read.all() as string[]);
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
    const stack = buildApp({ config: { dataDir: dir }, rateLimits });
    const { app, services, sql } = stack;
    const admin = await aUser(services, { role: 'admin' });
    const other = await aUser(services, { role: 'admin' });
    const c = await aCase(sql, services);
    const one = async <T>(text: string, ...params: unknown[]) => (await sql.value<T>(text, ...params)) as T;
    const village = await one<string>('SELECT v.code FROM villages v WHERE v.id = ?', c.household.villageId);
    const values: Record<string, string> = {
      caseId: String(c.id),
      caseToken: c.token,
      householdId: String(c.household.householdId),
      householdToken: c.household.token,
      villageToken: await one<string>("SELECT token FROM plates WHERE kind = 'village' AND status = 'active' ORDER BY id LIMIT 1"),
      village,
      town: village.slice(0, 9),
      cadreId: String(await one<number>('SELECT id FROM cadres ORDER BY id LIMIT 1')),
      userId: String(other.id),
      templateId: String((await one<number>('SELECT id FROM reply_templates ORDER BY id LIMIT 1')) ?? 1),
      itemCode: await one<string>('SELECT code FROM catalog_items ORDER BY id LIMIT 1'),
      date: (await one<string>('SELECT date FROM calendar_days ORDER BY date LIMIT 1')) ?? '2026-10-01',
    };
    const routes = routesOf(app).filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
    return { stack, app, admin, routes, url: (r: Route) => urlFor(r.path, values) };
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
    const { stack, routes } = await setUp();
    // nor would a write recorder that saw no write
    const writes = await recordWrites(stack);
    await stack.sql.run("UPDATE towns SET name = name WHERE code = '370812103'");
    expect(await writes()).toContain('UPDATE towns');
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
    const { stack, app, routes, url } = await setUp();
    const anonymous = agentFor(app);
    const { csrf } = await openForm(anonymous, '/track');
    // counted from here: the first page may store the installation's signing secret
    const writes = await recordWrites(stack);
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
    expect(await writes()).toEqual([]);
  });

  it('without a session and without a token, every route is refused and nothing changes', { timeout: 60_000 }, async () => {
    const { stack, app, routes, url } = await setUp();
    const anonymous = agentFor(app);
    await openForm(anonymous, '/track'); // the browser's cookies, but no token in the form
    // counted from here: the first page may store the installation's signing secret
    const writes = await recordWrites(stack);
    const wrong: string[] = [];
    for (const r of routes) {
      const res = await anonymous.post(url(r)).type('form').send(BODY);
      const ok = isOffice(r) && key(r) !== SIGN_IN ? sentToSignIn(res) : res.status === 403;
      if (!ok) wrong.push(`${key(r)}: ${res.status} ${res.headers.location ?? ''}`);
    }
    expect(wrong).toEqual([]);
    expect(await writes()).toEqual([]);
  });

  it('signed in but without a token, every route answers 403, urlencoded or multipart, and nothing changes', { timeout: 90_000 }, async () => {
    const { stack, app, admin, routes, url } = await setUp();
    const agent: Agent = await signIn(app, admin.username);
    const writes = await recordWrites(stack);
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
    expect(await writes()).toEqual([]);
    // Signing out without a token was refused too.
    await agent.get('/admin').expect(200);
  });
});
