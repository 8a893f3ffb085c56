import { describe, expect, it, vi } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, aHousehold, aVillage, demoHousehold } from '../helpers/builders.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';
import { main } from '../../src/cli/commands.js';
import type { TestSql } from '../helpers/sql.js';

// Dates that are not on the calendar, and text that is no date at all.
const IMPOSSIBLE = ['2026-13-01', '2026-02-30', '2027-02-29', '2026-00-10', '2026-04-31'];
const GARBAGE = ['abc', '2026/03/01', '2026-3-1', '20260301', '2026-03-01T00:00', "2026-03-01' OR 1=1", '9999999-01-01', '２０２６-０３-０１'];

const villageCodeOf = async (sql: TestSql, id: number) => (await sql.value<string>('SELECT code FROM villages WHERE id = ?', id))!;

describe('a date in a query or form that is not a real date is a 400 page in Chinese, never a 500', () => {
  it('when since= on the plates print sheet or PDF is impossible or garbage, then 400 with the date message', async () => {
    const { app, services, sql } = buildApp();
    const code = await villageCodeOf(sql, (await demoHousehold(sql)).villageId);
    const admin = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, admin.username);
    // The link from the issue, without a village: the date is checked before anything else.
    const bare = await agent.get('/admin/plates/print?since=2026-13-01');
    expect(bare.status).toBe(400);
    expect(bare.text).toContain('日期不对');
    for (const since of [...IMPOSSIBLE, ...GARBAGE]) {
      for (const path of ['/admin/plates/print', '/admin/plates.pdf']) {
        const res = await agent.get(path).query({ village: code, since });
        expect(res.status, `${path} ${since}`).toBe(400);
        expect(res.type, `${path} ${since}`).toBe('text/html');
        expect(res.text, `${path} ${since}`).toContain('日期不对：请选择日历上有的日期');
      }
    }
    // Two dates at once (since=a&since=b) is not a date either.
    expect((await agent.get(`/admin/plates/print?village=${code}&since=2026-03-01&since=2026-03-02`)).status).toBe(400);
    // A real date, a leap day of a leap year and an empty box still print.
    await agent.get(`/admin/plates/print?village=${code}&since=2026-03-01`).expect(200);
    await agent.get(`/admin/plates/print?village=${code}&since=2028-02-29`).expect(200);
    await agent.get(`/admin/plates/print?village=${code}&since=`).expect(200);
  });

  it('when a visit date is impossible, garbage or missing, then 400 beside the field and nothing is recorded', async () => {
    const { app, services, sql } = buildApp();
    const v = await aVillage(sql, { name: '日期村' });
    const h = await aHousehold(sql, { villageId: v.id, address: '1胡同1号' });
    const cadre = await aCadre(sql, { villageId: v.id });
    const user = await aUser(services, { role: 'cadre', cadreId: cadre.id });
    const agent = await signIn(app, user.username);
    for (const visitedOn of [...IMPOSSIBLE, ...GARBAGE, undefined]) {
      const csrf = await csrfFor(agent);
      const res = await agent
        .post(`/admin/households/${h.id}/visits`)
        .type('form')
        .send({ _csrf: csrf, notes: '老人身体不错', ...(visitedOn === undefined ? {} : { visitedOn }) });
      expect(res.status, String(visitedOn)).toBe(400);
      expect(res.text, String(visitedOn)).toContain('请填写正确的日期，例如 2026-11-28');
      expect(res.text, String(visitedOn)).toContain('href="#visitedOn"');
      // one message per field: an impossible date is not also called a future one
      expect(res.text, String(visitedOn)).not.toContain('走访日期不能晚于今天');
    }
    expect(await sql.value('SELECT count(*) FROM household_visits')).toBe(0);
  });

  it('when a calendar day is impossible, garbage or missing, then 400 beside the field and the calendar is unchanged', async () => {
    const { app, services, sql } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, admin.username);
    const before = await sql.value('SELECT count(*) FROM calendar_days');
    for (const date of [...IMPOSSIBLE, ...GARBAGE, undefined]) {
      const csrf = await csrfFor(agent);
      const res = await agent
        .post('/admin/calendar')
        .type('form')
        .send({ _csrf: csrf, kind: 'holiday', ...(date === undefined ? {} : { date }) });
      expect(res.status, String(date)).toBe(400);
      expect(res.text, String(date)).toContain('请填写正确的日期，例如 2027-01-01');
      expect(res.text, String(date)).toContain('href="#cal-date"');
    }
    // Removing a day that is no date changes nothing and goes back to the calendar.
    for (const date of ['2026-13-01', 'abc']) {
      const csrf = await csrfFor(agent);
      await agent.post(`/admin/calendar/${date}/delete`).type('form').send({ _csrf: csrf }).expect(303);
    }
    expect(await sql.value('SELECT count(*) FROM calendar_days')).toBe(before);
    expect(await sql.value("SELECT count(*) FROM audit_log WHERE action LIKE 'calendar_%'")).toBe(0);
  });

  it('when an imported calendar row has an impossible date, then the dry run names the row; 2028/2/29 is read as a date', async () => {
    const { services, sql } = buildApp();
    const who = {
      role: 'admin' as const,
      scope: { all: true, districtIds: new Set<number>(), villageIds: new Set((await sql.column<number>('SELECT id FROM villages ORDER BY id')) as number[]) },
    };
    const file = Buffer.from(['日期,类型,说明', '2026-13-01,放假,', '2027/2/29,放假,', 'abc,放假,', '2028/2/29,调休上班,'].join('\n'));
    const plan = await services.transfer.dryRun('calendar', file, who);
    expect(plan.errors.map((e) => [e.row, e.column])).toEqual([
      [2, '日期'],
      [3, '日期'],
      [4, '日期'],
    ]);
  });
});

describe('the plates command refuses a --since that is not a real date', () => {
  it('when --since is impossible or garbage, then exit code 2 and a message naming the option, before the database is opened', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      for (const since of ['2026-13-01', '2026-02-30', 'yesterday']) {
        error.mockClear();
        const code = await main(['plates', '--village', '370812103001', '--since', since, '--out', '/nonexistent/dir/p.pdf'], {
          MASHANG_DB: '/nonexistent/dir/m.sqlite',
          LOG_LEVEL: 'silent',
        });
        expect(code, since).toBe(2);
        expect(error.mock.calls.map((c) => String(c[0])).join('\n'), since).toContain(`--since ${since}: not a date on the calendar`);
      }
    } finally {
      error.mockRestore();
      log.mockRestore();
    }
  });
});
