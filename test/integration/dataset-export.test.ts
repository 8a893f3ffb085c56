import { describe, expect, it } from 'vitest';
import type { Response } from 'superagent';
import { buildApp } from '../helpers/app.js';
import { aUser, signIn } from '../helpers/staff.js';
import type { Database } from '../../src/db/database.js';
import { testSql, type TestSql } from '../helpers/sql.js';

const admin = async (sql: TestSql) => ({
  role: 'admin' as const,
  scope: { all: true, districtIds: new Set<number>(), villageIds: new Set(await sql.column<number>('SELECT id FROM villages')) },
});

/** Adds `n` households over every village, straight into the table (in one transaction, 500 rows a statement). */
async function manyHouseholds(database: Database, n: number) {
  const sql = testSql(database);
  const villages = await sql.column<number>('SELECT id FROM villages ORDER BY id');
  const rows = Array.from({ length: n }, (_, i) => [
    villages[i % villages.length],
    `新区${Math.floor(i / villages.length) + 1}号`,
    `住户${i}`,
    `199${String(i).padStart(8, '0')}`,
    i === n - 1 ? '=cmd|"/c calc"!A1' : '',
  ]);
  await database.transaction(async () => {
    for (let i = 0; i < rows.length; i += 500) {
      const batch = rows.slice(i, i + 500);
      await sql.run(
        `INSERT INTO households (village_id, address, contact_name, contact_phone, notes) VALUES ${batch.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
        ...batch.flat(),
      );
    }
  });
}

const binary = (res: Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('dataset exports are written as they are read', () => {
  it(
    'the households CSV downloaded is the file the export builds, byte for byte: every household, formula-like cells neutralised',
    { timeout: 60_000 },
    async () => {
      const { app, sql, database, services } = buildApp();
      await manyHouseholds(database, 20_000);
      const agent = await signIn(app, (await aUser(services, { role: 'admin' })).username);
      const res = await agent.get('/admin/data/households/export.csv').buffer(true).parse(binary).expect(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe('attachment; filename="households-export.csv"');
      const body = res.body as Buffer;
      expect(body.equals(await services.transfer.export('households', await admin(sql), 'csv'))).toBe(true);
      const text = body.toString('utf8');
      expect(text.split('\r\n').length - 2).toBe(Number(await sql.value('SELECT count(*) FROM households')));
      expect(text).toContain(`"'=cmd|""/c calc""!A1"`);
    },
  );

  it('the households .xlsx downloaded imports back as it is: nothing to add, nothing to change', { timeout: 60_000 }, async () => {
    const { app, sql, database, services } = buildApp();
    await manyHouseholds(database, 5_000);
    const agent = await signIn(app, (await aUser(services, { role: 'admin' })).username);
    const res = await agent.get('/admin/data/households/export.xlsx').buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const plan = await services.transfer.dryRun('households', res.body as Buffer, await admin(sql));
    expect(plan.errors).toEqual([]);
    expect(plan.counts).toMatchObject({ add: 0, change: 0, same: Number(await sql.value('SELECT count(*) FROM households')) });
  });

  it('a township’s staff download only their villages’ households', async () => {
    const { app, sql, services } = buildApp();
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812107' }] });
    const agent = await signIn(app, staff.username);
    const res = await agent.get('/admin/data/households/export.csv').expect(200);
    const codes = new Set([...res.text.matchAll(/\r\n"(\d{12})",/g)].map((m) => m[1]!));
    expect(codes.size).toBeGreaterThan(0);
    for (const code of codes) expect(code.startsWith('370812107')).toBe(true);
    const inTown = Number(await sql.value("SELECT count(*) FROM households h JOIN villages v ON v.id = h.village_id WHERE v.code LIKE '370812107%'"));
    expect(res.text.split('\r\n').length - 2).toBe(inTown);
  });
});
