import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { migrationsDir, openDb } from '../../src/db/index.js';
import { postgresDatabase, postgresPool, sqliteDatabase, type Database } from '../../src/db/database.js';
import { createHealth } from '../../src/db/health.js';
import { buildApp } from '../helpers/app.js';
import { demoHousehold } from '../helpers/builders.js';
import { seededDb } from '../helpers/db.js';
import { freshPostgresDatabase, onPostgres, urlWithDatabase } from '../helpers/engine.js';
import { damagePage, seededFile, tempDirs } from '../helpers/files.js';
import { agentFor, openForm, postMultipart } from '../helpers/forms.js';
import { testSql } from '../helpers/sql.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanUp());

/** The last migration of this run's engine (PostgreSQL's schema has its own, in db/migrations/postgres). */
const latestMigration = () =>
  fs
    .readdirSync(onPostgres ? path.join(migrationsDir, 'postgres') : migrationsDir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .at(-1);

/**
 * How much a health check asks of the database: on SQLite, the statements and pragmas run on its
 * handle; on PostgreSQL, the connections taken from the pool (every query, Kysely's or a raw one).
 */
function databaseUse(database: Database): () => number {
  let n = 0;
  if (database.pool) {
    database.pool.on('acquire', () => n++);
  } else {
    const handle = database.sqlite!;
    const pragma = handle.pragma.bind(handle);
    const prepare = handle.prepare.bind(handle);
    handle.pragma = ((source: string, options?: { simple?: boolean }) => (n++, pragma(source, options))) as typeof handle.pragma;
    handle.prepare = ((source: string) => (n++, prepare(source))) as typeof handle.prepare;
  }
  return () => n;
}

describe('GET /healthz checks that the database can be used, not only that it answers', () => {
  it('when the database takes writes and has every migration, then 200 with the schema version', async () => {
    // on SQLite a database file, as a running installation has it
    const { app } = onPostgres ? buildApp() : buildApp({ db: seededFile(path.join(dirs.make(), 'm.sqlite')) });
    const res = await request(app).get('/healthz').expect(200);
    expect(res.body).toEqual({ status: 'ok', schema: latestMigration() });
  });

  it('when a migration is missing from the database, then 503 schema', async () => {
    const { app, sql } = buildApp();
    expect(await sql.run('DELETE FROM schema_migrations WHERE name = ?', latestMigration())).toBe(1);
    const res = await request(app).get('/healthz').expect(503);
    expect(res.body).toMatchObject({ status: 'unavailable', problem: 'schema' });
  });

  it('probes the database at most once in its cache period, so a busy monitor adds no load', async () => {
    // a database of its own, with no app beside it also using it
    const database = onPostgres ? freshPostgresDatabase() : sqliteDatabase(seededDb());
    try {
      let t = 0;
      const used = databaseUse(database);
      const health = createHealth(database, { ttlMs: 5000, now: () => t });
      expect((await health.check()).ok).toBe(true);
      const oneProbe = used();
      expect(oneProbe).toBeGreaterThan(0);
      for (let i = 0; i < 9; i++) expect((await health.check()).ok).toBe(true);
      expect(used()).toBe(oneProbe);
      t = 5000;
      expect((await health.check()).ok).toBe(true);
      expect(used()).toBe(2 * oneProbe);
    } finally {
      await database.close();
    }
  });

  it("when a request ends in the engine's storage error (a damaged page), then /healthz turns 503 storage_error", async () => {
    const damaged = Object.assign(new Error('could not read block 7 in file "base/16384/16385"'), { code: onPostgres ? 'XX001' : 'SQLITE_CORRUPT' });
    const { app, sql } = buildApp({
      override: (s) => ({
        ...s,
        cases: {
          ...s.cases,
          fileCase: () => Promise.reject(damaged),
        },
      }),
    });
    await request(app).get('/healthz').expect(200);
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    await postMultipart(agent, `/p/${h.token}/speak`, {
      category: 'complaint',
      content: '村东头路灯坏了半个月了',
      name: '王建国',
      phone: '13812345678',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(500);
    const res = await request(app).get('/healthz').expect(503);
    expect(res.body).toMatchObject({ status: 'unavailable', problem: 'storage_error' });
  });
});

// SQLite's own file: opened read-only when the file is, and a page of it damaged on disk.
describe.runIf(!onPostgres)('GET /healthz on SQLite, about its file', () => {
  it('when the database file is read-only (SQLite then opens it read-only), then 503 not_writable', async () => {
    const dir = dirs.make();
    const file = path.join(dir, 'm.sqlite');
    seededFile(file).close();
    // (a running installation has its secret stored already)
    const { app } = buildApp({ db: openDb(file, { readonly: true }), config: { secret: 's'.repeat(32) } });
    // pages still read fine, which is why a read-only check alone said ok
    const h = await demoHousehold(testSql(sqliteDatabase(openDb(file, { readonly: true }))));
    await request(app).get(`/p/${h.token}`).expect(200);
    const res = await request(app).get('/healthz').expect(503);
    expect(res.body).toMatchObject({ status: 'unavailable', problem: 'not_writable' });
  });

  it('when a submission meets a damaged page of the database, then the submission fails and /healthz turns 503', async () => {
    const dir = dirs.make();
    const file = path.join(dir, 'm.sqlite');
    const seeded = seededFile(file);
    const casesRoot = seeded.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'cases'").pluck().get() as number;
    seeded.close();
    damagePage(file, casesRoot);
    const db = openDb(file);
    const { app } = buildApp({ db, config: { dataDir: dirs.make() } });
    await request(app).get('/healthz').expect(200);
    const h = await demoHousehold(testSql(sqliteDatabase(db)));
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    await postMultipart(agent, `/p/${h.token}/speak`, {
      category: 'complaint',
      content: '村东头路灯坏了半个月了',
      name: '王建国',
      phone: '13812345678',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(500);
    const res = await request(app).get('/healthz').expect(503);
    expect(res.body).toMatchObject({ status: 'unavailable', problem: 'storage_error' });
  });
});

// PostgreSQL refuses writes on a standby or when the server or database is set read-only: the
// reads of the pages go on, the health check must say so.
describe.runIf(onPostgres)('GET /healthz on PostgreSQL, about the server', () => {
  it('when the database only takes read-only transactions, then pages still read but 503 not_writable', async () => {
    const { sql } = buildApp();
    const name = (await sql.value<string>('SELECT current_database()'))!;
    await sql.run(`ALTER DATABASE "${name}" SET default_transaction_read_only = on`);
    // the setting holds for connections opened after it: a pool of its own, as a restarted server has
    const readOnly = postgresDatabase(postgresPool(urlWithDatabase(process.env.MASHANG_TEST_DATABASE_URL!, name), { max: 2 }));
    try {
      await expect(testSql(readOnly).run('UPDATE towns SET name = name')).rejects.toMatchObject({ code: '25006' });
      // (a running installation has its secret stored already)
      const { app } = buildApp({ db: readOnly, config: { secret: 's'.repeat(32) } });
      const h = await demoHousehold(testSql(readOnly));
      await request(app).get(`/p/${h.token}`).expect(200);
      const res = await request(app).get('/healthz').expect(503);
      expect(res.body).toMatchObject({ status: 'unavailable', problem: 'not_writable' });
    } finally {
      await readOnly.close();
    }
  });

  it('when the app connects as a role that may read but not write, then 503 not_writable (no setting says read-only)', async () => {
    const { sql } = buildApp();
    const name = (await sql.value<string>('SELECT current_database()'))!;
    const role = `mashang_reader_${process.pid}_${Date.now().toString(36)}`;
    await sql.run(`CREATE ROLE ${role} LOGIN`);
    await sql.run(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    const url = new URL(urlWithDatabase(process.env.MASHANG_TEST_DATABASE_URL!, name));
    url.username = role;
    const reader = postgresDatabase(postgresPool(url.toString(), { max: 2 }));
    try {
      await expect(testSql(reader).run('UPDATE towns SET name = name')).rejects.toMatchObject({ code: '42501' });
      const { app } = buildApp({ db: reader, config: { secret: 's'.repeat(32) } });
      const h = await demoHousehold(testSql(reader));
      await request(app).get(`/p/${h.token}`).expect(200);
      const res = await request(app).get('/healthz').expect(503);
      expect(res.body).toMatchObject({ status: 'unavailable', problem: 'not_writable' });
    } finally {
      await reader.close();
      await sql.run(`DROP OWNED BY ${role}`);
      await sql.run(`DROP ROLE ${role}`);
    }
  });

  it('each probe commits its write: the health row carries the time of the last one', async () => {
    const database = freshPostgresDatabase();
    try {
      let t = 0;
      const health = createHealth(database, { ttlMs: 5000, now: () => t });
      const before = Date.now();
      expect((await health.check()).ok).toBe(true);
      const first = (await testSql(database).value<string>('SELECT checked_at FROM health_checks WHERE id = 1'))!;
      expect(Date.parse(first)).toBeGreaterThanOrEqual(before - 1000);
      await new Promise((r) => setTimeout(r, 5));
      t = 5000;
      expect((await health.check()).ok).toBe(true);
      expect(await testSql(database).value<string>('SELECT checked_at FROM health_checks WHERE id = 1')).not.toBe(first);
    } finally {
      await database.close();
    }
  });
});
