import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postgresDatabase, postgresPool, sqliteDatabase } from '../../src/db/database.js';
import { copyToPostgres, CopyProblem } from '../../src/db/copy-to-postgres.js';
import { openDb, projectRoot, type Db } from '../../src/db/index.js';
import { buildApp, type TestApp } from '../helpers/app.js';
import { aCase } from '../helpers/cases.js';
import { demoHousehold } from '../helpers/builders.js';
import { cliJs } from '../helpers/built.js';
import { urlWithDatabase } from '../helpers/engine.js';
import { seededFile, tempDirs } from '../helpers/files.js';
import { agentFor, openForm, postMultipart } from '../helpers/forms.js';
import { jpegWithGps, png } from '../helpers/images.js';
import { aUser, signIn } from '../helpers/staff.js';

const url = process.env.MASHANG_TEST_DATABASE_URL;
if (!url) console.warn('PostgreSQL tests not run: MASHANG_TEST_DATABASE_URL is not set');

const dirs = tempDirs();
const pools: pg.Pool[] = [];
const made: string[] = [];
const handles: Db[] = [];
let admin: pg.Pool;

/** A new, empty database on the test server; dropped after the test. */
async function freshTarget(): Promise<string> {
  const name = `mashang_mig_${crypto.randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  made.push(name);
  return urlWithDatabase(url!, name);
}
const poolOn = (u: string) => {
  const p = postgresPool(u, { max: 4 });
  pools.push(p);
  return p;
};
/** The SQLite file opened as the command opens it: read-only, beside the server's own connection. */
const readOnly = (file: string) => {
  const h = openDb(file, { readonly: true });
  handles.push(h);
  return h;
};

/** The names of the target's tables, and how many functions and collations its schema holds. */
async function whatIsIn(pool: pg.Pool) {
  const tables = (await pool.query<{ n: string }>("SELECT table_name AS n FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")).rows.map(
    (r) => r.n,
  );
  const { rows } = await pool.query<{ fns: number; colls: number }>(
    `SELECT (SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'public'::regnamespace) AS fns,
            (SELECT count(*)::int FROM pg_collation WHERE collnamespace = 'public'::regnamespace) AS colls`,
  );
  return { tables, ...rows[0]! };
}

/** A villager's case with photos, filed through the plate's form; its token and tracking number. */
async function fileWithPhotos(t: TestApp, token: string, content: string) {
  const agent = agentFor(t.app);
  const form = await openForm(agent, `/p/${token}/speak`);
  const res = await postMultipart(
    agent,
    `/p/${token}/speak`,
    { category: 'request', content, anonymous: '1', _csrf: form.csrf, idempotencyKey: form.idempotencyKey },
    [
      { name: 'IMG_0001.jpg', data: await jpegWithGps() },
      { name: 'shot.png', data: await png() },
    ],
  ).expect(303);
  const caseToken = /\/track\/([^?/]+)/.exec(res.headers.location!)![1]!;
  const row = (await t.sql.get<{ id: number; trackingNo: string }>('SELECT id, tracking_no AS "trackingNo" FROM cases WHERE token = ?', caseToken))!;
  return { token: caseToken, ...row };
}

/** A page's text without what changes on every request (CSRF tokens, nonces, idempotency keys). */
const stable = (html: string) =>
  html
    .replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf"')
    .replace(/name="idempotencyKey" value="[^"]*"/g, 'name="idempotencyKey"')
    .replace(/nonce="[^"]*"/g, 'nonce');

/** Every row of every table, sorted, one digest per table: compared independently of the copy's own checksum. */
function sqliteContents(db: Db, tables: string[]): Record<string, { rows: number; digest: string }> {
  const out: Record<string, { rows: number; digest: string }> = {};
  for (const t of tables) {
    const rows = (db.prepare(`SELECT * FROM "${t}"`).all() as Array<Record<string, unknown>>).map((r) => canonical(r));
    out[t] = { rows: rows.length, digest: digestOf(rows) };
  }
  return out;
}
async function postgresContents(pool: pg.Pool, tables: string[]): Promise<Record<string, { rows: number; digest: string }>> {
  const out: Record<string, { rows: number; digest: string }> = {};
  for (const t of tables) {
    const rows = (await pool.query<Record<string, unknown>>(`SELECT * FROM "${t}"`)).rows.map((r) => canonical(r));
    out[t] = { rows: rows.length, digest: digestOf(rows) };
  }
  return out;
}
const canonical = (r: Record<string, unknown>) =>
  JSON.stringify(
    Object.keys(r)
      .sort()
      .map((k) => [k, Buffer.isBuffer(r[k]) ? (r[k] as Buffer).toString('hex') : r[k]]),
  );
const digestOf = (rows: string[]) => crypto.createHash('sha256').update(rows.sort().join('\n')).digest('hex');

const userTables = (db: Db) =>
  db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name")
    .pluck()
    .all() as string[];

describe.skipIf(!url)('migrate-to-postgres: a SQLite installation copied into PostgreSQL', () => {
  beforeAll(() => {
    admin = new pg.Pool({ connectionString: url, max: 1 });
  });
  afterEach(async () => {
    for (const h of handles.splice(0)) h.close();
    for (const p of pools.splice(0)) if (!p.ended) await p.end();
    for (const name of made.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    dirs.cleanUp();
  }, 60_000);
  afterAll(async () => {
    await admin?.end();
  });

  it(
    'copies the demo and filed cases with photos: every table equal, and the app on the copy serves the same pages, photos and inbox',
    { timeout: 60_000 },
    async () => {
      const dir = dirs.make('mashang-mig-');
      const file = path.join(dir, 'mashang.sqlite');
      const dataDir = path.join(dir, 'data');
      const live = seededFile(file);
      const before = buildApp({ db: live, config: { dataDir } });
      const h = await demoHousehold(before.sql);
      const filed = await fileWithPhotos(before, h.token, '门前排水沟堵了，照片在这里');
      await fileWithPhotos(before, h.token, '村口路灯坏了两晚');
      // an earlier case merged into a later one: the copy must not trip over the forward reference
      const staff = await aUser(before.services, { role: 'admin' });
      const user = (await before.services.staff.sessionUser(staff.id))!;
      const earlier = await aCase(before.sql, before.services, { content: '垃圾桶满了好几天没有人来清运' });
      const later = await aCase(before.sql, before.services, { content: '垃圾桶满了好几天没有人来清运，还有异味' });
      const version = async (id: number) => Number(await before.sql.value('SELECT version FROM cases WHERE id = ?', id));
      await before.services.caseOffice.merge({ user, ip: '127.0.0.1', caseId: earlier.id, version: await version(earlier.id), trackingNo: later.trackingNo });
      expect(await before.sql.value('SELECT merged_into_id FROM cases WHERE id = ?', earlier.id)).toBe(later.id);

      const target = await freshTarget();
      const pool = poolOn(target);
      const lines: string[] = [];
      // one row per INSERT, as a large table's rows span many: the merged case comes before the case it points to
      const report = await copyToPostgres(readOnly(file), pool, { dataDir, log: (l) => lines.push(l), batchRows: 1 });

      const tables = userTables(live);
      expect(lines).toContain('copying cases…');
      expect(report.tables.map((t) => t.table).sort()).toEqual(tables);
      expect(report.photos).toEqual({ checked: 4, copied: 0 });
      for (const t of report.tables) expect(t.checksum).toMatch(/^[0-9a-f]{16}$/);
      expect(report.tables.find((t) => t.table === 'cases')!.rows).toBe(4);
      expect(report.tables.find((t) => t.table === 'case_photos')!.rows).toBe(4);
      // checked again here, by other means: every row of every table is on both sides
      const from = sqliteContents(live, tables);
      expect(await postgresContents(pool, tables)).toEqual(from);
      expect(Object.fromEntries(report.tables.map((t) => [t.table, t.rows]))).toEqual(Object.fromEntries(tables.map((t) => [t, from[t]!.rows])));

      const after = buildApp({ db: postgresDatabase(poolOn(target)), config: { dataDir } });
      expect(after.database.engine).toBe('postgres');
      // a villager's pages: the household page of a demo plate and the case's tracking page
      for (const page of [`/p/${h.token}`, `/track/${filed.token}`]) {
        const a = await request(before.app).get(page).expect(200);
        const b = await request(after.app).get(page).expect(200);
        expect(stable(b.text)).toBe(stable(a.text));
      }
      const photo = (await before.sql.get<{ id: number; fileName: string }>(
        'SELECT id, file_name AS "fileName" FROM case_photos WHERE case_id = ? ORDER BY id',
        filed.id,
      ))!;
      const onFile = fs.readFileSync(path.join(dataDir, 'photos', photo.fileName));
      for (const app of [before.app, after.app]) {
        const img = await request(app).get(`/track/${filed.token}/photos/${photo.id}`).buffer(true).expect(200);
        expect(Buffer.compare(img.body as Buffer, onFile)).toBe(0);
      }
      // the back office: the same admin signs in on the copy, sees the same inbox, and opens the same photo
      const trackingNos = async (t: TestApp) => {
        const agent = await signIn(t.app, staff.username);
        const inbox = await agent.get('/admin/cases?state=all').expect(200);
        const img = await agent.get(`/admin/cases/${filed.id}/photos/${photo.id}`).buffer(true).expect(200);
        expect(Buffer.compare(img.body as Buffer, onFile)).toBe(0);
        return [...new Set(inbox.text.match(/\b\d{8}-\d{4,}\b/g) ?? [])].sort();
      };
      const listed = await trackingNos(before);
      expect(listed).toContain(filed.trackingNo);
      expect(listed).toContain(later.trackingNo);
      expect(await trackingNos(after)).toEqual(listed);

      // a case filed on the copy takes the next ids, past the copied ones
      const maxIds = async (t: TestApp) => ({
        cases: Number(await t.sql.value('SELECT max(id) FROM cases')),
        events: Number(await t.sql.value('SELECT max(id) FROM case_events')),
        photos: Number(await t.sql.value('SELECT max(id) FROM case_photos')),
      });
      const copied = await maxIds(before);
      const fresh = await fileWithPhotos(after, h.token, '复制之后报的第一件事');
      expect(fresh.id).toBe(copied.cases + 1);
      const now = await maxIds(after);
      expect(now.events).toBeGreaterThan(copied.events);
      expect(now.photos).toBe(copied.photos + 2);
      expect(fresh.trackingNo).not.toBe(filed.trackingNo);
      await request(after.app).get(`/track/${fresh.token}`).expect(200);
      await after.database.close();
    },
  );

  it('refuses a target that holds tables and leaves it as it was; a missing photo or a row PostgreSQL refuses leaves the target empty', async () => {
    const dir = dirs.make('mashang-mig-');
    const file = path.join(dir, 'mashang.sqlite');
    const dataDir = path.join(dir, 'data');
    const live = seededFile(file);
    const t = buildApp({ db: live, config: { dataDir } });
    const h = await demoHousehold(t.sql);
    await fileWithPhotos(t, h.token, '门前排水沟堵了');

    // a database already in use
    const used = poolOn(await freshTarget());
    await used.query('CREATE TABLE keep_me (x int); INSERT INTO keep_me VALUES (7)');
    await expect(copyToPostgres(readOnly(file), used, { dataDir })).rejects.toThrow(/already holds 1 tables/);
    expect(await whatIsIn(used)).toEqual({ tables: ['keep_me'], fns: 0, colls: 0 });
    expect((await used.query('SELECT x FROM keep_me')).rows).toEqual([{ x: 7 }]);

    // a photo the database names that is not in the data folder
    const target = poolOn(await freshTarget());
    const photo = (await t.sql.value<string>('SELECT file_name FROM case_photos ORDER BY id LIMIT 1'))!;
    const photoFile = path.join(dataDir, 'photos', photo);
    const kept = fs.readFileSync(photoFile);
    fs.rmSync(photoFile);
    const err = await copyToPostgres(readOnly(file), target, { dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CopyProblem);
    expect((err as Error).message).toContain(`photos/${photo}: no file`);
    expect(await whatIsIn(target)).toEqual({ tables: [], fns: 0, colls: 0 });
    // a photo cut short is refused too
    fs.writeFileSync(photoFile, kept.subarray(0, 100));
    await expect(copyToPostgres(readOnly(file), target, { dataDir })).rejects.toThrow(`photos/${photo}: 100 bytes, the database says ${kept.length}`);
    fs.writeFileSync(photoFile, kept);

    // a row PostgreSQL cannot hold (text with a NUL character) fails the copy after the migrations
    // ran: what they made is dropped, so the same target takes the copy once the row is fixed
    live.prepare("UPDATE households SET notes = 'a' || char(0) || 'b' WHERE id = ?").run(h.householdId);
    await expect(copyToPostgres(readOnly(file), target, { dataDir })).rejects.toThrow();
    expect(await whatIsIn(target)).toEqual({ tables: [], fns: 0, colls: 0 });
    live.prepare("UPDATE households SET notes = '' WHERE id = ?").run(h.householdId);
    const report = await copyToPostgres(readOnly(file), target, { dataDir });
    expect(report.tables.find((x) => x.table === 'households')!.rows).toBe(Number(await t.sql.value('SELECT count(*) FROM households')));
  });

  it('the command: copies with --data-to and prints each table, never the password; refuses a used target and an unreachable one', async () => {
    const cli = cliJs;
    const dir = dirs.make('mashang-mig-');
    const file = path.join(dir, 'mashang.sqlite');
    const dataDir = path.join(dir, 'data');
    const dataTo = path.join(dir, 'shared');
    const live = seededFile(file);
    const t = buildApp({ db: sqliteDatabase(live), config: { dataDir } });
    const h = await demoHousehold(t.sql);
    await fileWithPhotos(t, h.token, '门前排水沟堵了');
    const photos = fs.readdirSync(path.join(dataDir, 'photos')).sort();
    live.close();

    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, [cli, ...args], {
          cwd: projectRoot,
          env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', MASHANG_DB: file, MASHANG_DATA_DIR: dataDir },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => resolve({ code, out, err }));
      });
    const target = new URL(await freshTarget());
    target.password = 'never-printed-9';
    const ok = await run(['migrate-to-postgres', '--to', target.toString(), '--data-to', dataTo]);
    expect(ok.err + ok.out).not.toContain('never-printed-9');
    expect(ok.code, ok.err).toBe(0);
    const check = openDb(file, { readonly: true });
    handles.push(check);
    for (const table of userTables(check)) {
      const n = check.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number;
      expect(ok.out).toMatch(new RegExp(`^${table}: ${n} rows, checksum [0-9a-f]{16}$`, 'm'));
    }
    expect(ok.out).toMatch(/^photos: 2 present with their recorded size under .*, 2 copied to /m);
    expect(fs.readdirSync(path.join(dataTo, 'photos')).sort()).toEqual(photos);
    const copy = poolOn(target.toString());
    expect(Number((await copy.query('SELECT count(*) FROM case_photos')).rows[0].count)).toBe(2);

    const again = await run(['migrate-to-postgres', '--to', target.toString()]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/refused: the target database already holds \d+ tables/);
    expect(again.err + again.out).not.toContain('never-printed-9');

    const nowhere = await run(['migrate-to-postgres', '--to', 'postgres://postgres:never-printed-9@127.0.0.1:1/nothing']);
    expect(nowhere.code).toBe(1);
    expect(nowhere.err).toContain('cannot reach the PostgreSQL database postgres://postgres@127.0.0.1:1/nothing');
    expect(nowhere.err + nowhere.out).not.toContain('never-printed-9');

    expect((await run(['migrate-to-postgres'])).code).toBe(2);
  }, 180_000);
});
