import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrationsDir, openDb, type Db } from '../../src/db/index.js';
import { migratePostgres, syncIdentities } from '../../src/db/migrate-postgres.js';

const url = process.env.MASHANG_TEST_DATABASE_URL;
if (!url) console.warn('PostgreSQL tests not run: MASHANG_TEST_DATABASE_URL is not set');

const PG_DIR = path.join(migrationsDir, 'postgres');
const SQLITE_FILES = fs
  .readdirSync(migrationsDir)
  .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
  .sort();

/** bigint (int8) read as a number, as better-sqlite3 gives integers: ids and ms since the epoch fit. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

describe.skipIf(!url)('the PostgreSQL schema (db/migrations/postgres) means what the SQLite one means', () => {
  let admin: pg.Pool;
  const schemas: string[] = [];
  const pools: pg.Pool[] = [];

  /** A new, empty schema of this run, and a pool whose connections work in it. */
  async function freshSchema(): Promise<{ schema: string; pool: () => pg.Pool }> {
    const schema = `t_${crypto.randomBytes(6).toString('hex')}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    schemas.push(schema);
    const pool = () => {
      const p = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 2, types });
      pools.push(p);
      return p;
    };
    return { schema, pool };
  }

  let schema: string;
  let pgdb: pg.Pool;
  let firstRun: string[];
  let secondRun: string[];

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: url, max: 1 });
    const s = await freshSchema();
    schema = s.schema;
    pgdb = s.pool();
    firstRun = await migratePostgres(pgdb);
    secondRun = await migratePostgres(pgdb);
  });

  afterAll(async () => {
    for (const p of pools) await p.end();
    for (const s of schemas) await admin?.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin?.end();
  });

  /** A new SQLite database with the app's settings (foreign keys on) and every migration. */
  function sqlite(): Db {
    const db = openDb(':memory:');
    migrate(db);
    return db;
  }

  /** Runs the same statement on both engines: what each did (ok, or the error's message). */
  async function both(db: Db, sql: string): Promise<{ sqlite: string; pg: string }> {
    let a = 'ok';
    let b = 'ok';
    try {
      db.exec(sql);
    } catch (err) {
      a = (err as Error).message;
    }
    try {
      await pgdb.query(sql);
    } catch (err) {
      b = (err as Error).message;
    }
    return { sqlite: a, pg: b };
  }

  async function bothOk(db: Db, sql: string) {
    expect(await both(db, sql), sql).toEqual({ sqlite: 'ok', pg: 'ok' });
  }

  async function bothRefuse(db: Db, sql: string) {
    const r = await both(db, sql);
    expect(r.sqlite, `SQLite accepted: ${sql}`).not.toBe('ok');
    expect(r.pg, `PostgreSQL accepted: ${sql}`).not.toBe('ok');
    return r;
  }

  it('every file of db/migrations has its translation, applied in order from empty; a second run applies nothing', async () => {
    expect(fs.readdirSync(PG_DIR).sort()).toEqual(SQLITE_FILES);
    expect(firstRun).toEqual(SQLITE_FILES);
    expect(secondRun).toEqual([]);
    const { rows } = await pgdb.query<{ name: string; applied_at: string }>('SELECT name, applied_at FROM schema_migrations ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(SQLITE_FILES);
    const db = sqlite();
    const sqliteAt = db.prepare('SELECT applied_at FROM schema_migrations LIMIT 1').pluck().get() as string;
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    expect(sqliteAt).toMatch(iso);
    for (const r of rows) {
      expect(r.applied_at).toMatch(iso);
      expect(Math.abs(Date.parse(r.applied_at) - Date.now())).toBeLessThan(60_000);
    }
  });

  it('two instances migrating the same empty schema at once apply each file once', async () => {
    const s = await freshSchema();
    const [one, two] = [s.pool(), s.pool()];
    const [a, b] = await Promise.all([migratePostgres(one), migratePostgres(two)]);
    expect([...a, ...b].sort()).toEqual(SQLITE_FILES);
    const { rows } = await one.query<{ name: string; n: number }>('SELECT name, count(*) AS n FROM schema_migrations GROUP BY name ORDER BY name');
    expect(rows).toEqual(SQLITE_FILES.map((name) => ({ name, n: 1 })));
    // the seed rows of the migrations are there once
    expect((await one.query('SELECT count(*)::int AS n FROM reply_templates')).rows[0].n).toBe(6);
  });

  it('has the same tables, columns (names, NOT NULL), indexes and triggers as SQLite', async () => {
    const db = sqlite();
    const sqliteTables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
    const sqliteColumns: Record<string, Array<{ name: string; notnull: boolean }>> = {};
    for (const t of sqliteTables) {
      const cols = db.pragma(`table_info(${t})`) as Array<{ name: string; notnull: number; pk: number; type: string }>;
      // SQLite lets NULL into a PRIMARY KEY that is not an INTEGER one (a known quirk it keeps);
      // PostgreSQL's keys are NOT NULL: compared as NOT NULL on both sides.
      sqliteColumns[t] = cols.map((c) => ({ name: c.name, notnull: c.notnull === 1 || c.pk > 0 }));
    }
    const { rows: pgCols } = await pgdb.query<{ table_name: string; column_name: string; is_nullable: string }>(
      `SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
      [schema],
    );
    const pgColumns: Record<string, Array<{ name: string; notnull: boolean }>> = {};
    for (const c of pgCols) (pgColumns[c.table_name] ??= []).push({ name: c.column_name, notnull: c.is_nullable === 'NO' });
    expect(Object.keys(pgColumns).sort()).toEqual(sqliteTables);
    expect(pgColumns).toEqual(sqliteColumns);

    const sqliteIndexes = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY name")
      .pluck()
      .all() as string[];
    const { rows: pgIndexes } = await pgdb.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes i WHERE schemaname = $1
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = $1::regnamespace) ORDER BY indexname`,
      [schema],
    );
    expect(pgIndexes.map((r) => r.indexname)).toEqual(sqliteIndexes);

    const sqliteTriggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").pluck().all() as string[];
    const { rows: pgTriggers } = await pgdb.query<{ tgname: string }>(
      `SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = $1::regnamespace AND NOT t.tgisinternal ORDER BY tgname`,
      [schema],
    );
    // TRUNCATE (which SQLite lacks) is refused on case_events too
    expect(pgTriggers.map((r) => r.tgname)).toEqual([...sqliteTriggers, 'case_events_no_truncate'].sort());
  });

  /** A district, a town, three villages with a household each, a user: the same ids in both. */
  async function places(db: Db, n: number) {
    const d = `11${n}`.padEnd(6, '0');
    await bothOk(db, `INSERT INTO districts (id, code, name) VALUES (${n}, '${d}', '区${n}')`);
    await bothOk(db, `INSERT INTO towns (id, district_id, code, name) VALUES (${n}, ${n}, '${d}001', '镇${n}')`);
    for (const v of [1, 2, 3]) {
      const id = n * 10 + v;
      await bothOk(db, `INSERT INTO villages (id, town_id, code, name) VALUES (${id}, ${n}, '${d}001${String(v).padStart(3, '0')}', '村${id}')`);
      await bothOk(db, `INSERT INTO households (id, village_id, address) VALUES (${id}, ${id}, '${v}号')`);
    }
  }

  it('the same unique keys, CHECKs and foreign keys refuse the same rows', async () => {
    const db = sqlite();
    await places(db, 1);
    await bothOk(db, "INSERT INTO plates (id, token, kind, household_id, village_id) VALUES (1, 'tok-a', 'household', 11, 11)");
    await bothOk(db, "INSERT INTO plates (id, token, kind, village_id) VALUES (2, 'tok-v', 'village', 11)");
    await bothOk(db, "INSERT INTO users (id, username, display_name, password_hash, role) VALUES (1, 'admin', 'A', 'x', 'admin')");
    await bothOk(db, "INSERT INTO calendar_days (date, kind) VALUES ('2026-10-01', 'holiday')");
    await bothOk(db, "INSERT INTO notification_channels (kind, url, scope_code, created_at) VALUES ('wecom', 'https://x', '110000001', 't')");
    const good =
      "INSERT INTO cases (id, token, tracking_no, kind, village_id, content, first_response_due, resolution_due, created_at, updated_at) VALUES (1, 'c1', 'n1', 'help', 11, '修路', 'a', 'b', 'c', 'c')";
    await bothOk(db, good);

    const refused = [
      // unique keys
      "INSERT INTO households (village_id, address) VALUES (11, '1号')",
      "INSERT INTO plates (token, kind, household_id, village_id) VALUES ('tok-a', 'household', 12, 12)",
      "INSERT INTO districts (code, name) VALUES ('111000', 'x')",
      "INSERT INTO cases (token, tracking_no, kind, village_id, content, first_response_due, resolution_due, created_at, updated_at) VALUES ('c1', 'n2', 'help', 11, 'x', 'a', 'b', 'c', 'c')",
      // the partial unique indexes: one active plate per household, one active village plate per village
      "INSERT INTO plates (token, kind, household_id, village_id) VALUES ('tok-b', 'household', 11, 11)",
      "INSERT INTO plates (token, kind, village_id) VALUES ('tok-w', 'village', 11)",
      // NOCASE username
      "INSERT INTO users (username, display_name, password_hash, role) VALUES ('ADMIN', 'B', 'x', 'staff')",
      // CHECKs
      "INSERT INTO districts (code, name) VALUES ('11000', 'x')",
      "INSERT INTO plates (token, kind, village_id) VALUES ('tok-c', 'household', 12)",
      "INSERT INTO plates (token, kind, household_id, village_id) VALUES ('tok-d', 'village', 12, 12)",
      "INSERT INTO plates (token, kind, household_id, village_id, status) VALUES ('tok-e', 'household', 12, 12, 'lost')",
      "UPDATE cases SET state = 'done' WHERE id = 1",
      'UPDATE cases SET rating = 6 WHERE id = 1',
      'UPDATE cases SET notify_sms = 2 WHERE id = 1',
      "UPDATE cases SET anonymous = 1, name = '张三' WHERE id = 1",
      "UPDATE cases SET kind = 'speak' WHERE id = 1",
      "UPDATE cases SET category = 'praise' WHERE id = 1",
      "INSERT INTO users (username, display_name, password_hash, role) VALUES ('boss', 'B', 'x', 'root')",
      "INSERT INTO calendar_days (date, kind) VALUES ('2026-1-01', 'holiday')",
      "INSERT INTO calendar_days (date, kind) VALUES ('2026-10-02 ', 'holiday')",
      "INSERT INTO calendar_days (date, kind) VALUES ('2026-10-03', 'party')",
      "INSERT INTO notification_channels (kind, url, scope_code, created_at) VALUES ('wecom', 'https://x', '1100000', 't')",
      'INSERT INTO places_revision (id, rev) VALUES (2, 0)',
      // 015: coordinates on the globe and in pairs; no e-mail on an anonymous case
      'UPDATE villages SET latitude = 91, longitude = 116.8 WHERE id = 11',
      'UPDATE villages SET latitude = 35.5, longitude = 181 WHERE id = 11',
      'UPDATE villages SET latitude = 35.5 WHERE id = 11',
      'UPDATE villages SET longitude = 116.8 WHERE id = 11',
      "UPDATE cases SET anonymous = 1, name = NULL, phone = NULL, email = 'a@b.cn' WHERE id = 1",
      // NOT NULL
      'INSERT INTO households (village_id) VALUES (11)',
      // foreign keys
      "INSERT INTO households (village_id, address) VALUES (999, '9号')",
      'UPDATE cases SET assigned_user_id = 999 WHERE id = 1',
      'DELETE FROM villages WHERE id = 11',
    ];
    for (const sql of refused) await bothRefuse(db, sql);
    await bothOk(db, 'UPDATE villages SET latitude = 35.5512, longitude = 116.8231 WHERE id = 11');
    await bothOk(db, 'UPDATE villages SET latitude = NULL, longitude = NULL WHERE id = 11');
    await bothOk(db, "UPDATE cases SET email = 'a@b.cn' WHERE id = 1");

    // the username is found whatever its case, in both
    const q = "SELECT id FROM users WHERE username = 'AdMiN'";
    expect(db.prepare(q).pluck().all()).toEqual([1]);
    expect((await pgdb.query(q)).rows.map((r) => r.id)).toEqual([1]);

    // ON DELETE CASCADE: a user's scopes go with the user
    await bothOk(db, "INSERT INTO users (id, username, display_name, password_hash, role) VALUES (2, 'staff2', 'S', 'x', 'staff')");
    await bothOk(db, "INSERT INTO user_scopes (user_id, level, code) VALUES (2, 'village', '110000001001')");
    await bothOk(db, 'DELETE FROM users WHERE id = 2');
    const scopes = 'SELECT count(*) AS n FROM user_scopes WHERE user_id = 2';
    expect(db.prepare(scopes).get()).toEqual({ n: 0 });
    expect((await pgdb.query(scopes)).rows[0]).toEqual({ n: 0 });

    // reissue a plate: the revision triggers counted the same changes
    await bothOk(db, "UPDATE plates SET status = 'replaced', replaced_at = 'r' WHERE id = 1");
    await bothOk(db, "INSERT INTO plates (token, kind, household_id, village_id) VALUES ('tok-a2', 'household', 11, 11)");
    await bothOk(db, "UPDATE villages SET name = name || '村' WHERE town_id = 1");
    const rev = 'SELECT rev FROM places_revision';
    expect((await pgdb.query(rev)).rows[0].rev).toBe(db.prepare(rev).pluck().get());

    // defaults: the same ISO text, in UTC, to the millisecond
    const created = 'SELECT created_at FROM households WHERE id = 11';
    const a = db.prepare(created).pluck().get() as string;
    const b = (await pgdb.query(created)).rows[0].created_at as string;
    for (const t of [a, b]) {
      expect(t).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Math.abs(Date.parse(t) - Date.now())).toBeLessThan(60_000);
    }
  });

  it('case_events refuses UPDATE and DELETE (and TRUNCATE) as SQLite does', async () => {
    const db = sqlite();
    await places(db, 2);
    await bothOk(
      db,
      "INSERT INTO cases (id, token, tracking_no, kind, village_id, content, first_response_due, resolution_due, created_at, updated_at) VALUES (20, 'c20', 'n20', 'help', 21, 'x', 'a', 'b', 'c', 'c')",
    );
    await bothOk(db, "INSERT INTO case_events (id, case_id, at, actor, type, public) VALUES (20, 20, 't', 'villager', 'submitted', 1)");
    for (const sql of ["UPDATE case_events SET body = 'changed' WHERE id = 20", 'DELETE FROM case_events WHERE id = 20', 'DELETE FROM case_events']) {
      const r = await bothRefuse(db, sql);
      expect(r.sqlite).toContain('case events are append-only');
      expect(r.pg).toContain('case events are append-only');
    }
    await expect(pgdb.query('TRUNCATE case_events CASCADE')).rejects.toThrow('case events are append-only');
    const body = 'SELECT body FROM case_events WHERE id = 20';
    expect(db.prepare(body).pluck().get()).toBe('');
    expect((await pgdb.query(body)).rows[0].body).toBe('');
  });

  it("julianday() gives SQLite's numbers for the texts the app stores, and NULL where SQLite does", async () => {
    const texts = [
      '2026-01-01T00:00:00.000Z',
      '2026-11-30T11:17:59.123Z',
      '2026-03-01T08:00:00.001Z',
      '2024-02-29T23:59:59.999Z',
      '1999-12-31T16:00:00.500Z',
      '2026-06-15 12:30',
      '2026-06-15 12:30:45',
      '2026-06-15T12:30:45.1234567Z',
      '2026-06-15T12:30:45.9999Z',
      '2026-06-15T12:30:45+08:00',
      '2026-06-15T12:30:45.250-05:30',
      '2026-02-31T00:00:00Z',
      '2026-06-15',
      '2026-06-15T',
      '2026-13-01T00:00:00Z',
      '2026-06-32',
      '2026-06-15T25:00',
      '2026-06-15T24:00',
      '2026-06-15Z',
      'not a date',
      '',
    ];
    const db = openDb(':memory:');
    const fromSqlite = texts.map((t) => db.prepare('SELECT julianday(?)').pluck().get(t));
    const { rows } = await pgdb.query<{ j: number | null }>('SELECT julianday(t) AS j FROM unnest($1::text[]) WITH ORDINALITY AS x(t, n) ORDER BY n', [texts]);
    expect(rows.map((r) => r.j)).toEqual(fromSqlite);
  });

  /** The same 28 cases in both, in the three villages of places(db, n), in every state, some rated, reopened, late. */
  async function fileCases(db: Db, n: number, firstId: number, itemsHaveDistrict = true) {
    // (catalogue items belong to a district from migration 018)
    const d = itemsHaveDistrict ? { column: 'district_id, ', value: `${n}, ` } : { column: '', value: '' };
    const kinds = ['help', 'apply', 'speak'];
    await bothOk(db, `INSERT INTO catalog_themes (code, name, sort) VALUES ('t${n}', '主题', 1)`);
    await bothOk(
      db,
      `INSERT INTO catalog_items (id, ${d.column}code, impl_code, name, type_code, type_name, theme_code, level, basis, department, department_code, handling_type, target,
        conditions, legal_limit, legal_limit_unit, promised_limit, promised_limit_unit, visits, charged, forms, process, place, hours, consult_phone, complaint_phone,
        online, online_depth, appointment, express, scope)
       VALUES (${n}, ${d.value}'i${n}', 'ii${n}', '事项${n}', 'x', 'x', 't${n}', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 20, '工作日', 5, '工作日', 1, 0, 'x', '[]', 'x', 'x', 'x', 'x', 1, 2, 0, 0, 'x')`,
    );
    const states = ['submitted', 'accepted', 'in_progress', 'resolved', 'closed', 'rejected', 'merged'];
    for (let i = 0; i < 28; i++) {
      const id = firstId + i;
      const village = n * 10 + 1 + (i % 3);
      const kind = kinds[i % 3];
      const state = states[i % 7];
      const created = new Date(Date.UTC(2026, 9, 1 + (i % 20), 1 + i, (i * 7) % 60, i % 60, (i * 37) % 1000));
      const at = (h: number) => `'${new Date(created.getTime() + h * 3_600_000 + i * 13).toISOString()}'`;
      const responded = state === 'submitted' ? 'NULL' : at(1.5 + i / 10);
      const resolved = state === 'resolved' || state === 'closed' ? at(20 + i * 3.3) : 'NULL';
      const rating = state === 'closed' ? String(1 + (i % 5)) : 'NULL';
      await bothOk(
        db,
        `INSERT INTO cases (id, token, tracking_no, kind, category, item_id, village_id, content, state, first_response_due, resolution_due, first_responded_at,
          resolved_at, rating, reopen_count, created_at, updated_at)
         VALUES (${id}, 'c${id}', 'n${id}', '${kind}', ${kind === 'speak' ? "'complaint'" : 'NULL'}, ${kind === 'apply' ? n : 'NULL'}, ${village}, '内容', '${state}',
          ${at(24)}, ${at(i % 2 ? 40 : 120)}, ${responded}, ${resolved}, ${rating}, ${i % 5 === 0 ? 1 : 0}, '${created.toISOString()}', '${created.toISOString()}')`,
      );
    }
  }

  it('case_summaries counts what the SQLite triggers count, for the same cases filed, changed and deleted', async () => {
    const db = sqlite();
    await places(db, 3);
    await fileCases(db, 3, 300);
    const changes = [
      // the inbox's moves
      "UPDATE cases SET state = 'accepted', first_responded_at = '2026-10-05T03:04:05.678Z', version = version + 1 WHERE id = 300",
      "UPDATE cases SET state = 'resolved', resolved_at = '2026-10-09T00:00:00.001Z' WHERE id IN (301, 302, 308)",
      "UPDATE cases SET state = 'closed', rating = 2, closed_at = 'x' WHERE id = 301",
      "UPDATE cases SET state = 'in_progress', resolved_at = NULL, reopen_count = reopen_count + 1 WHERE id = 311",
      // one watched column at a time
      'UPDATE cases SET reopen_count = 2 WHERE id = 309',
      'UPDATE cases SET rating = 4 WHERE id = 308',
      "UPDATE cases SET created_at = '2026-09-30T23:59:59.999Z' WHERE id = 307",
      "UPDATE cases SET first_responded_at = '2026-10-20T10:00:00.000Z' WHERE id = 310",
      // a case moved to another village, a deadline extended
      'UPDATE cases SET village_id = 33 WHERE id = 303',
      "UPDATE cases SET resolution_due = '2027-01-01T00:00:00.000Z', extended = 1 WHERE id = 304",
      // columns the triggers do not watch
      "UPDATE cases SET content = '改了', updated_at = 'u' WHERE village_id = 32",
      // deleted cases (no events refer to them)
      'DELETE FROM cases WHERE id IN (305, 306)',
    ];
    for (const sql of changes) await bothOk(db, sql);
    const q = 'SELECT * FROM case_summaries WHERE village_id BETWEEN 31 AND 33 ORDER BY village_id';
    const fromSqlite = db.prepare(q).all();
    const fromPg = (await pgdb.query(q)).rows;
    expect(fromSqlite.length).toBe(3);
    expect(fromPg).toEqual(fromSqlite);
    // and the summaries are not all zero: the statements did count
    expect(fromPg.reduce((n, r) => n + r.total, 0)).toBe(26);
  });

  it("011's backfill counts the cases filed before it as SQLite's backfill does", async () => {
    // a database at 010, with cases, then migrated to the end: in both engines
    const before = (from: string) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-migrations-'));
      for (const f of fs.readdirSync(from).filter((f) => f < '011_')) fs.copyFileSync(path.join(from, f), path.join(dir, f));
      return dir;
    };
    const sqliteDir = before(migrationsDir);
    const pgDir = before(PG_DIR);
    try {
      const db = openDb(':memory:');
      expect(migrate(db, sqliteDir)).toHaveLength(10);
      const s = await freshSchema();
      const saved = pgdb;
      pgdb = s.pool();
      try {
        expect(await migratePostgres(pgdb, pgDir)).toHaveLength(10);
        await places(db, 4);
        await fileCases(db, 4, 400, false);
        await bothOk(db, 'DELETE FROM cases WHERE id = 401');
        // 011 and every migration after it
        const rest = fs
          .readdirSync(migrationsDir)
          .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f) && f >= '011')
          .sort();
        expect(rest.slice(0, 2)).toEqual(['011_case_summaries.sql', '012_inbox_indexes.sql']);
        expect(migrate(db)).toEqual(rest);
        expect(await migratePostgres(pgdb)).toEqual(rest);
        const q = 'SELECT * FROM case_summaries ORDER BY village_id';
        // the day sums are added in another order and SQLite's total() compensates: equal to 1e-9 days
        const rounded = (rows: Array<Record<string, number>>) =>
          rows.map((r) => ({
            ...r,
            first_response_days: Math.round((r.first_response_days ?? 0) * 1e9),
            resolution_days: Math.round((r.resolution_days ?? 0) * 1e9),
          }));
        const fromSqlite = db.prepare(q).all() as Array<Record<string, number>>;
        expect(fromSqlite).toHaveLength(3);
        expect(fromSqlite.reduce((n, r) => n + (r.total ?? 0), 0)).toBe(27);
        expect(rounded((await pgdb.query(q)).rows)).toEqual(rounded(fromSqlite));
      } finally {
        pgdb = saved;
      }
    } finally {
      fs.rmSync(sqliteDir, { recursive: true, force: true });
      fs.rmSync(pgDir, { recursive: true, force: true });
    }
  });

  it('after rows inserted with their ids, syncIdentities gives the next row max(id) + 1, as SQLite does', async () => {
    const db = sqlite();
    await places(db, 9);
    await syncIdentities(pgdb);
    const insert = "INSERT INTO districts (code, name) VALUES ('990000', '新区') RETURNING id";
    const id = (db.prepare(insert).get() as { id: number }).id;
    expect(id).toBe(10);
    expect((await pgdb.query(insert)).rows[0].id).toBe(id);
    const household = "INSERT INTO households (village_id, address) VALUES (91, '新1号') RETURNING id";
    expect((await pgdb.query(household)).rows[0].id).toBe((db.prepare(household).get() as { id: number }).id);
  });
});
