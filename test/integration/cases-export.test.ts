import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { slowExportClient } from '../helpers/raw-http.js';
import { onPostgres } from '../helpers/engine.js';
import { manyCases } from '../helpers/cases.js';
import { aUser, signIn } from '../helpers/staff.js';
import type { Agent } from '../helpers/forms.js';
import { EXPORT_SLICE } from '../../src/features/cases/office.js';
import type { TestSql } from '../helpers/sql.js';

const TOWN = '370812107';
const OTHER_TOWN = '370812103';
const villagesOf = (sql: TestSql, townCode: string) =>
  sql.column<number>('SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.code = ? ORDER BY v.id', townCode);

/** The tracking numbers of an export, one per row (a row starts with its quoted tracking number). */
const trackingNos = (csv: string) => [...csv.matchAll(/(?:^|\r\n)"(\d{8}-\d{4,})",/g)].map((m) => m[1]!);

const sorted = (xs: string[]) => [...xs].sort();

const download = (agent: Agent, url: string) => agent.get(url);

describe('the cases export holds every case in scope, however many', () => {
  it(
    'more than 50,000 cases in a township: its staff’s file has every one, the newest included, and nothing of other townships',
    // On PostgreSQL most of the time goes to writing the 50,400 cases (and their summaries' triggers), not to the export.
    { timeout: onPostgres ? 300_000 : 120_000 },
    async () => {
      const { app, sql, database, services } = buildApp();
      const mine = await villagesOf(sql, TOWN);
      const other = await villagesOf(sql, OTHER_TOWN);
      const elsewhere = await manyCases(database, { n: 300, villageIds: other });
      const { oldest, newest } = await manyCases(database, { n: 50_100, villageIds: mine });
      const staff = await signIn(app, (await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: TOWN }] })).username);

      const res = await staff.get('/admin/cases.csv?state=all').expect(200);
      const townCases = await sql.column<string>(`SELECT tracking_no FROM cases WHERE village_id IN (${mine.map(() => '?').join(', ')})`, ...mine);
      expect(townCases.length).toBe(50_100);
      const inFile = trackingNos(res.text);
      expect(inFile.length).toBe(townCases.length);
      expect(sorted(inFile)).toEqual(sorted(townCases));
      expect(inFile.at(-1)).toBe(newest);
      expect(inFile[0]).toBe(oldest);
      expect(inFile).not.toContain(elsewhere.newest);
      expect(inFile).not.toContain(elsewhere.oldest);
      expect(await sql.column("SELECT detail FROM audit_log WHERE action = 'cases_exported'")).toEqual(['50100']);
    },
  );

  it('the admin’s file has every case of the district; the filters still apply: only the open cases when asked for 待办', { timeout: 60_000 }, async () => {
    const { app, sql, database, services } = buildApp();
    await manyCases(database, { n: 6_000, villageIds: await villagesOf(sql, TOWN) });
    await manyCases(database, { n: 6_000, villageIds: await villagesOf(sql, OTHER_TOWN) });
    const admin = await signIn(app, (await aUser(services, { role: 'admin' })).username);
    const all = await download(admin, '/admin/cases.csv?state=all').expect(200);
    expect(sorted(trackingNos(all.text))).toEqual(sorted(await sql.column<string>('SELECT tracking_no FROM cases')));
    const open = await download(admin, '/admin/cases.csv?state=open').expect(200);
    const expected = await sql.column<string>("SELECT tracking_no FROM cases WHERE state IN ('submitted', 'accepted', 'in_progress')");
    expect(expected.length).toBeGreaterThan(3000);
    expect(sorted(trackingNos(open.text))).toEqual(sorted(expected));
  });

  it('a cell with a comma, a quote, a line break or a leading = stays one cell, and a spreadsheet will not run it', async () => {
    const { app, sql, database, services } = buildApp();
    const tricky = ['=1+2,"危险"\n第二行', '+SUM(A1)', '普通, "引号"'];
    await manyCases(database, { n: 3, villageIds: await villagesOf(sql, TOWN), content: (i) => tricky[i]! });
    const admin = await signIn(app, (await aUser(services, { role: 'admin' })).username);
    const res = await download(admin, '/admin/cases.csv?state=all').expect(200);
    const csv = res.text;
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="cases-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(csv.startsWith('\uFEFF"受理编号","类型","类别","事项","镇街","村（社区）","门牌","联系人","电话","内容","状态"')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv).toContain(`,"'=1+2,""危险""\n第二行",`);
    expect(csv).toContain(`,"'+SUM(A1)",`);
    expect(csv).toContain(`,"普通, ""引号""",`);
  });
});

const until = async (ok: () => boolean | Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the export waits for a slow client and stops for one that left', () => {
  it('while the client reads nothing, reading stops; when it leaves, the export ends and the database takes writes again', { timeout: 120_000 }, async () => {
    let slicesRead = 0;
    let finished = false;
    const stack = buildApp({
      override: (s) => ({
        ...s,
        // read in this thread, where its slices can be counted (a worker's: back-office-workers.test.ts)
        caseExports: { connection: undefined },
        caseOffice: {
          ...s.caseOffice,
          async *exportRows(job) {
            try {
              for await (const slice of s.caseOffice.exportRows(job)) {
                slicesRead++;
                yield slice;
              }
            } finally {
              finished = true;
            }
          },
        },
      }),
    });
    const { sql, database, services } = stack;
    // Long rows, so that the whole file is far larger than what sockets can hold on the way.
    const n = 30_000;
    await manyCases(database, {
      n,
      villageIds: await villagesOf(sql, TOWN),
      content: (i) => `第${i}件：${'村东头的排水沟堵了，雨天积水漫进院子。'.repeat(20)}`,
    });
    const slices = Math.ceil(Number(await sql.value('SELECT max(id) FROM cases')) / EXPORT_SLICE);
    const client = await slowExportClient(stack.app, services);
    try {
      // Reading goes on until the socket is full, then waits.
      await until(() => slicesRead > 0);
      let seen = -1;
      while (seen !== slicesRead) {
        seen = slicesRead;
        await new Promise((r) => setTimeout(r, 1000));
      }
      expect(finished).toBe(false);
      expect(slicesRead).toBeLessThan(slices / 2);

      client.response.destroy();
      await until(() => finished);
      expect(slicesRead).toBeLessThan(slices / 2);
      await until(async () => Number(await sql.value("SELECT count(*) FROM audit_log WHERE action = 'cases_exported'")) === 1);
      const detail = Number(await sql.value("SELECT detail FROM audit_log WHERE action = 'cases_exported'"));
      expect(detail).toBeGreaterThan(0);
      expect(detail).toBeLessThan(n);
      // nothing holds the database: a write goes through
      expect(await sql.run("UPDATE cases SET state = 'accepted' WHERE id = (SELECT max(id) FROM cases)")).toBe(1);
    } finally {
      client.response.destroy();
      await client.close();
    }
  });
});
