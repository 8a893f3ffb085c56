import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, migrationsDir, openDb } from '../../src/db/index.js';
import { ConflictError, ValidationError } from '../../src/errors.js';
import { buildApp } from '../helpers/app.js';
import { aHousehold, aVillage } from '../helpers/builders.js';
import { onPostgres } from '../helpers/engine.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';

const townScope = (t: ReturnType<typeof buildApp>, villageId: number) => ({ all: false, districtIds: new Set<number>(), villageIds: new Set([villageId]) });

/**
 * Runs `during` while another connection holds an uncommitted insert of the same key (written with
 * `text`, PostgreSQL's $1 placeholders), and commits that insert once `during` waits on its lock: the
 * check `during` makes first cannot see the row, the insert after it meets it.
 */
async function whileAnotherInserts<T>(pool: pg.Pool, text: string, params: unknown[], during: () => Promise<T>): Promise<T> {
  const other = await pool.connect();
  try {
    await other.query('BEGIN');
    await other.query(text, params);
    const pending = during();
    pending.catch(() => undefined);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
      );
      if (rows[0]!.n > 0) break;
      if (Date.now() > deadline) throw new Error('the request never waited on the other insert');
      await new Promise((r) => setTimeout(r, 20));
    }
    await other.query('COMMIT');
    return await pending;
  } finally {
    other.release();
  }
}

describe('two requests writing the same key at once: the second is told, never a 500', () => {
  it('when two staff add the same address at the same moment, then one household is added and the other is a conflict', async () => {
    const t = buildApp();
    const v = await aVillage(t.sql, { townCode: '370812103' });
    const h = { address: '同时路1号', contactName: null, contactPhone: null, notes: '' };
    const results = await Promise.allSettled([
      t.services.places.addHousehold(townScope(t, v.id), v.id, h),
      t.services.places.addHousehold(townScope(t, v.id), v.id, h),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected')!;
    expect(refused.reason).toBeInstanceOf(ConflictError);
    expect(await t.sql.value('SELECT count(*) FROM households WHERE village_id = ? AND address = ?', v.id, h.address)).toBe(1);
  });

  it('when two households are corrected to the same address at the same moment, then one is a conflict', async () => {
    const t = buildApp();
    const v = await aVillage(t.sql, { townCode: '370812103' });
    const a = await aHousehold(t.sql, { villageId: v.id, address: '东1号' });
    const b = await aHousehold(t.sql, { villageId: v.id, address: '东2号' });
    const to = { address: '东3号', contactName: null, contactPhone: null, notes: '' };
    const results = await Promise.allSettled([
      t.services.places.updateHousehold(townScope(t, v.id), a.id, to),
      t.services.places.updateHousehold(townScope(t, v.id), b.id, to),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
  });

  it('when two villages are added with one code at the same moment, then one is a conflict', async () => {
    const t = buildApp();
    const results = await Promise.allSettled([
      t.services.places.addVillage('370812103', '370812103777', '新村甲'),
      t.services.places.addVillage('370812103', '370812103777', '新村乙'),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
  });

  it('when two staff add a cadre with the same new phone at the same moment, then there is one cadre, serving both villages', async () => {
    const t = buildApp();
    const a = await aVillage(t.sql, { townCode: '370812103' });
    const b = await aVillage(t.sql, { townCode: '370812103' });
    const scope = { all: false, districtIds: new Set<number>(), villageIds: new Set([a.id, b.id]) };
    const cadre = { name: '同号干部', role: 'grid_worker' as const, phone: '19955550001', dutyHours: '' };
    const [x, y] = await Promise.all([t.services.cadres.add(scope, a.id, cadre), t.services.cadres.add(scope, b.id, cadre)]);
    expect(x.id).toBe(y.id);
    expect(await t.sql.value('SELECT count(*) FROM cadres WHERE phone = ?', cadre.phone)).toBe(1);
    expect(await t.sql.value('SELECT count(*) FROM cadre_villages WHERE cadre_id = ?', x.id)).toBe(2);
  });

  it('when a cadre is given a phone that another cadre takes at the same moment, then it is a conflict', async () => {
    const t = buildApp();
    const v = await aVillage(t.sql, { townCode: '370812103' });
    const scope = townScope(t, v.id);
    const one = await t.services.cadres.add(scope, v.id, { name: '甲', role: 'grid_worker', phone: '19955550011', dutyHours: '' });
    const two = await t.services.cadres.add(scope, v.id, { name: '乙', role: 'grid_worker', phone: '19955550012', dutyHours: '' });
    const results = await Promise.allSettled([
      t.services.cadres.update(scope, one.id, { name: '甲', role: 'grid_worker', phone: '19955550013', dutyHours: '' }),
      t.services.cadres.update(scope, two.id, { name: '乙', role: 'grid_worker', phone: '19955550013', dutyHours: '' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
  });
});

// Deterministic on PostgreSQL: the other insert is made, uncommitted, before the request's check.
describe.runIf(onPostgres)('on PostgreSQL, a duplicate committed between the check and the insert', () => {
  it('when the address is taken between the check and the insert, then the form says so beside the field (409)', async () => {
    const t = buildApp();
    const v = await aVillage(t.sql, { townCode: '370812103' });
    const staff = await aUser(t.services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(t.app, staff.username);
    const csrf = await csrfFor(agent);
    const res = await whileAnotherInserts(t.database.pool!, 'INSERT INTO households (village_id, address) VALUES ($1, $2)', [v.id, '抢先路8号'], async () =>
      agent.post(`/admin/villages/${v.code}/households`).type('form').send({ _csrf: csrf, address: '抢先路8号', contactName: '', contactPhone: '', notes: '' }),
    );
    expect(res.status).toBe(409);
    expect(res.text).toContain('本村已有这个门牌地址');
    expect(res.text).toContain('value="抢先路8号"');
  });

  it('when a cadre with the phone is added between the look-up and the insert, then the form links that cadre', async () => {
    const t = buildApp();
    const v = await aVillage(t.sql, { townCode: '370812103' });
    const staff = await aUser(t.services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(t.app, staff.username);
    const csrf = await csrfFor(agent);
    const res = await whileAnotherInserts(
      t.database.pool!,
      "INSERT INTO cadres (name, role, phone) VALUES ('先到干部', 'grid_worker', $1)",
      ['19955550021'],
      async () =>
        agent
          .post(`/admin/villages/${v.code}/cadres`)
          .type('form')
          .send({ _csrf: csrf, name: '后到干部', role: 'grid_worker', phone: '19955550021', dutyHours: '' }),
    );
    expect(res.status).toBe(303);
    expect(await t.sql.value('SELECT count(*) FROM cadres WHERE phone = ?', '19955550021')).toBe(1);
    const served = await t.sql.column<number>(
      'SELECT cv.village_id FROM cadre_villages cv JOIN cadres c ON c.id = cv.cadre_id WHERE c.phone = ?',
      '19955550021',
    );
    expect(served).toEqual([v.id]);
  });
});

describe.runIf(onPostgres)('on PostgreSQL, an import whose cadre phone is taken after its check', () => {
  it('when the commit meets a cadre added since the check, then it is refused as changed data (the route answers 409), not a 500', async () => {
    const t = buildApp();
    const v = await aVillage(t.sql, { townCode: '370812103' });
    const who = {
      role: 'admin' as const,
      scope: { all: true, districtIds: new Set<number>(), villageIds: new Set(await t.sql.column<number>('SELECT id FROM villages')) },
    };
    const file = Buffer.from(`\uFEFF"村居代码","姓名","职务","手机号","值班时间"\r\n"${v.code}","导入干部","网格员","19955550041",""\r\n`, 'utf8');
    expect((await t.services.transfer.dryRun('cadres', file, who)).counts.add).toBe(1);
    await expect(
      whileAnotherInserts(t.database.pool!, "INSERT INTO cadres (name, role, phone) VALUES ('先到干部', 'grid_worker', $1)", ['19955550041'], () =>
        t.services.transfer.commit('cadres', file, who),
      ),
    ).rejects.toThrow(ValidationError);
    expect(await t.sql.value('SELECT count(*) FROM cadres WHERE phone = ?', '19955550041')).toBe(1);
  });
});

describe.runIf(!onPostgres)('migration 016 merges cadres that share a phone before making it unique', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('keeps the first cadre with the villages and users of every copy', () => {
    const before = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-016-'));
    dirs.push(before);
    for (const f of fs.readdirSync(migrationsDir).filter((f) => /^\d{3}_.*\.sql$/.test(f) && f < '016'))
      fs.copyFileSync(path.join(migrationsDir, f), path.join(before, f));
    const db = openDb(':memory:');
    migrate(db, before);
    db.exec(`INSERT INTO districts (id, code, name) VALUES (1, '370812', '区');
      INSERT INTO towns (id, district_id, code, name) VALUES (1, 1, '370812103', '镇');
      INSERT INTO villages (id, town_id, code, name) VALUES (1, 1, '370812103001', '甲村'), (2, 1, '370812103002', '乙村');
      INSERT INTO cadres (id, name, role, phone) VALUES (10, '王', 'grid_worker', '19955550031'), (11, '王', 'grid_worker', '19955550031'),
        (12, '李', 'grid_worker', '19955550032');
      INSERT INTO cadre_villages (cadre_id, village_id) VALUES (10, 1), (11, 1), (11, 2), (12, 2);
      INSERT INTO users (username, display_name, password_hash, role, cadre_id) VALUES ('wang2', '王', 'x', 'cadre', 11), ('li', '李', 'x', 'cadre', 12);`);
    migrate(db);
    expect(db.prepare('SELECT id FROM cadres ORDER BY id').pluck().all()).toEqual([10, 12]);
    expect(db.prepare("SELECT cadre_id || ':' || village_id FROM cadre_villages ORDER BY 1").pluck().all()).toEqual(['10:1', '10:2', '12:2']);
    expect(db.prepare("SELECT username || ':' || cadre_id FROM users ORDER BY 1").pluck().all()).toEqual(['li:12', 'wang2:10']);
    expect(() => db.prepare("INSERT INTO cadres (name, role, phone) VALUES ('又一个', 'grid_worker', '19955550032')").run()).toThrow(/UNIQUE/);
  });
});
