import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { manyCases } from '../helpers/cases.js';
import { seededDb } from '../helpers/db.js';
import { aUser, signIn } from '../helpers/staff.js';
import { optimize, type Db } from '../../src/db/index.js';
import { onPostgres } from '../helpers/engine.js';
import { WIDE_SCOPE } from '../../src/features/cases/repo.js';

/** Records the text of every statement the app prepares on this database. */
function recordStatements(db: Db): string[] {
  const seen: string[] = [];
  const prepare = db.prepare.bind(db);
  (db as { prepare: (sql: string) => ReturnType<Db['prepare']> }).prepare = (sql: string) => {
    seen.push(sql);
    return prepare(sql);
  };
  return seen;
}

/** EXPLAIN QUERY PLAN of a statement the app prepared, with empty values for its parameters. */
function planOf(db: Db, sql: string): string {
  const named = [...new Set([...sql.matchAll(/@(\w+)/g)].map((m) => m[1]!))];
  const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const rows = (named.length ? plan.all(Object.fromEntries(named.map((n) => [n, null]))) : plan.all(...Array(sql.split('?').length - 1).fill(null))) as Array<{
    detail: string;
  }>;
  return rows.map((r) => r.detail).join('\n');
}

const only = (sqls: string[], test: (sql: string) => boolean) => {
  const found = [...new Set(sqls.filter(test))];
  expect(found).toHaveLength(1);
  return found[0]!;
};

// SQLite's query plans (EXPLAIN QUERY PLAN) of the statements the app prepares on its handle, and its
// statistics (PRAGMA optimize, sqlite_stat1): only the SQLite run has them. PostgreSQL's plans are checked below.
describe.runIf(!onPostgres)('cases are read through indexes (migration 008)', () => {
  it('auto-close finds the resolved cases through the partial index, without scanning every case', async () => {
    const db = seededDb();
    const seen = recordStatements(db);
    const { services, sql, database } = buildApp({ db });
    await manyCases(database, { n: 2_000, villageIds: await sql.column<number>('SELECT id FROM villages ORDER BY id'), minutesApart: 60 });
    expect(await services.caseOffice.autoClose()).toBeGreaterThan(0);
    const plan = planOf(
      db,
      only(seen, (s) => /state = 'resolved' AND resolved_at <=/.test(s)),
    );
    expect(plan).toContain('USING INDEX cases_resolved_to_close');
    expect(plan).not.toMatch(/SCAN cases\b/);
  });

  it(
    'with the statistics the server keeps (PRAGMA optimize, never ANALYZE by hand), the open inbox is read in deadline order from its index, and the 30-day chart from the created_at index alone',
    { timeout: 60_000 },
    async () => {
      const db = seededDb();
      const seen = recordStatements(db);
      const { app, services, sql, database } = buildApp({ db });
      await manyCases(database, { n: 20_000, villageIds: await sql.column<number>('SELECT id FROM villages ORDER BY id') });
      optimize(db);
      expect(await sql.value("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'cases'")).toBeGreaterThan(0);
      const admin = await signIn(app, (await aUser(services, { role: 'admin' })).username);
      await admin.get('/admin/cases').expect(200);
      await admin.get('/admin').expect(200);
      const closed = await admin.get('/admin/cases?state=closed').expect(200);
      // The next page starts where this one ended (no OFFSET), also on the open tab.
      const next = /href="\/admin\/cases(\?[^"]*after=[^"]+)" rel="next"/.exec(closed.text)![1]!.replace(/&amp;/g, '&');
      const second = await admin.get(`/admin/cases${next}`).expect(200);
      expect(second.text).toContain('第 2 页');
      const firstIds = [...closed.text.matchAll(/href="\/admin\/cases\/(\d+)"/g)].map((m) => Number(m[1]));
      const secondIds = [...second.text.matchAll(/href="\/admin\/cases\/(\d+)"/g)].map((m) => Number(m[1]));
      expect(secondIds).toHaveLength(25);
      expect(Math.max(...secondIds)).toBeLessThan(Math.min(...firstIds));
      const caseId = Number(await sql.value("SELECT id FROM cases WHERE state = 'submitted' ORDER BY id LIMIT 1"));
      await admin.get(`/admin/cases/${caseId}`).expect(200);

      const inbox = planOf(
        db,
        only(seen, (s) => /ORDER BY \(CASE/.test(s) && /state IN \('submitted', 'accepted', 'in_progress'\)/.test(s) && !/OFFSET/.test(s)),
      );
      expect(inbox).toContain('USING INDEX cases_open_due');
      expect(inbox).not.toContain('TEMP B-TREE FOR ORDER BY');
      const done = planOf(
        db,
        only(seen, (s) => /state NOT IN \('submitted', 'accepted', 'in_progress'\)/.test(s) && /ORDER BY c\.id DESC LIMIT \?/.test(s) && /c\.id < \?/.test(s)),
      );
      expect(done).not.toContain('TEMP B-TREE FOR ORDER BY');
      expect(done).toContain('SEARCH c USING INTEGER PRIMARY KEY (rowid<?)');
      await admin.get('/admin/cases?state=rejected').expect(200);
      const rejected = planOf(
        db,
        only(seen, (s) => /c\.state = 'rejected'/.test(s) && /ORDER BY c\.id DESC LIMIT \?/.test(s)),
      );
      expect(rejected).toMatch(/USING (COVERING )?INDEX cases_rejected/);
      const assignable = planOf(
        db,
        only(seen, (s) => /UNION SELECT s\.user_id/.test(s)),
      );
      expect(assignable).not.toMatch(/SCAN (u|s|cu|users|user_scopes)\b/);
      // The dashboard: overdue and due soon from the deadline index, the rest from the summaries.
      const flags = planOf(
        db,
        only(seen, (s) => /AS yellow FROM cases c/.test(s) && !/json_each/.test(s)),
      );
      expect(flags).toContain('USING INDEX cases_unmarked_due');
      expect(flags).not.toMatch(/SCAN c\b/);
      const summed = planOf(
        db,
        only(seen, (s) => /FROM case_summaries s WHERE/.test(s) && !/json_each/.test(s)),
      );
      expect(summed).not.toMatch(/SCAN c\b|cases/);
      const chart = planOf(
        db,
        only(seen, (s) => /GROUP BY substr\(c\.created_at, 1, 13\)/.test(s) && !/json_each/.test(s)),
      );
      expect(chart).toContain('USING COVERING INDEX cases_created_village (created_at>?)');
      // The city view (two districts here): today's cases by district from the created_at index too,
      // never every district's villages and each village's cases.
      const city = planOf(
        db,
        only(seen, (s) => /AS "districtId", d.code/.test(s)),
      );
      expect(city).toContain('USING COVERING INDEX cases_created_village (created_at>?)');
      expect(city).not.toContain('cases_village_state');
    },
  );
});

describe.runIf(!onPostgres)('the inbox of a wide scope (SQLite)', () => {
  it(
    `a district administrator's open inbox (${WIDE_SCOPE} villages or more) is read in deadline order from its index; a cadre's from the village index`,
    { timeout: 60_000 },
    async () => {
      const db = seededDb();
      const seen = recordStatements(db);
      const { app, services, sql, database } = buildApp({ db });
      // 兖州区 grown past the wide-scope edge, in one township
      const town = (await sql.value<string>("SELECT code FROM towns WHERE code LIKE '370812%' ORDER BY code LIMIT 1"))!;
      const have = Number(await sql.value("SELECT count(*) FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.code LIKE '370812%'"));
      for (let i = 0; i < WIDE_SCOPE - have; i++) await services.places.addVillage(town, `${town}${String(900 + i)}`, `新增${i}村`);
      const villageIds = await sql.column<number>("SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.code LIKE '370812%' ORDER BY v.id");
      expect(villageIds.length).toBeGreaterThanOrEqual(WIDE_SCOPE);
      await manyCases(database, { n: 5_000, villageIds });
      optimize(db);
      const districtId = await sql.value<number>("SELECT id FROM districts WHERE code = '370812'");
      const username = 'district-admin-wide';
      await services.staff.createUser({ username, displayName: '区管理员', password: 'x'.repeat(12), role: 'admin', districtId });
      const admin = await signIn(app, username, 'x'.repeat(12));
      const page = await admin.get('/admin/cases').expect(200);
      expect([...page.text.matchAll(/href="\/admin\/cases\/(\d+)"/g)].length).toBe(25);
      const isOpenPage = (s: string) => /ORDER BY \(CASE/.test(s) && /state IN \('submitted', 'accepted', 'in_progress'\)/.test(s);
      const wide = planOf(
        db,
        only(seen, (s) => isOpenPage(s) && /\+c\.village_id IN/.test(s)),
      );
      expect(wide).toContain('USING INDEX cases_open_due');
      expect(wide).not.toContain('TEMP B-TREE FOR ORDER BY');
      // A cadre of one village: through the village index.
      const cadre = await signIn(
        app,
        (
          await aUser(services, {
            role: 'cadre',
            scopes: [{ level: 'village', code: (await sql.value<string>('SELECT code FROM villages WHERE id = ?', villageIds[0]))! }],
          })
        ).username,
      );
      await cadre.get('/admin/cases').expect(200);
      const narrow = planOf(
        db,
        only(seen, (s) => isOpenPage(s) && /\bc\.village_id IN/.test(s) && !/\+c\.village_id/.test(s)),
      );
      expect(narrow).toContain('cases_village_state');
    },
  );
});

/** Records the text and values of every statement sent to PostgreSQL by any client of this worker, until stopped. */
function recordPostgresStatements() {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const seen: Array<{ text: string; values: unknown[] }> = [];
  proto.query = function (this: unknown, ...args: unknown[]) {
    const [text, values] = args;
    if (typeof text === 'string') seen.push({ text, values: Array.isArray(values) ? values : [] });
    return original.apply(this, args);
  };
  return { seen, stop: () => void (proto.query = original) };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const nodesOf = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodesOf)];

describe.runIf(onPostgres)('cases are read through indexes on PostgreSQL (migration 008)', () => {
  it(
    'with the statistics autovacuum keeps, auto-close reads the partial index and the open inbox is read in deadline order from its index, without sorting',
    { timeout: 120_000 },
    async () => {
      const { app, services, sql, database } = buildApp();
      await manyCases(database, { n: 20_000, villageIds: await sql.column<number>('SELECT id FROM villages ORDER BY id') });
      // What autovacuum's analyze does after so many inserts, done now rather than whenever it wakes.
      await sql.run('ANALYZE cases');
      const recorder = recordPostgresStatements();
      try {
        // Its query, as of a day before any case was resolved: closing thousands of cases one by one is not what is measured here.
        expect(await services.caseOffice.autoClose(new Date('2000-01-01T00:00:00.000Z'))).toBe(0);
        const admin = await signIn(app, (await aUser(services, { role: 'admin' })).username);
        await admin.get('/admin/cases').expect(200);
      } finally {
        recorder.stop();
      }
      const planOf = async (test: (text: string) => boolean) => {
        const found = recorder.seen.filter((s) => test(s.text));
        expect(new Set(found.map((s) => s.text)).size).toBe(1);
        const rows = await database.pool!.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${found[0]!.text}`, found[0]!.values);
        return nodesOf(rows.rows[0]!['QUERY PLAN'][0]!.Plan);
      };
      const autoClose = await planOf((s) => /state = 'resolved' AND resolved_at <=/.test(s));
      expect(autoClose.map((n) => n['Index Name'])).toContain('cases_resolved_to_close');
      expect(autoClose.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'cases')).toEqual([]);
      const inbox = await planOf((s) => /ORDER BY \(CASE/.test(s) && /state IN \('submitted', 'accepted', 'in_progress'\)/.test(s) && !/OFFSET/.test(s));
      expect(inbox.map((n) => n['Index Name'])).toContain('cases_open_due');
      expect(inbox.filter((n) => n['Node Type'] === 'Sort' || n['Node Type'] === 'Incremental Sort')).toEqual([]);
    },
  );
});
