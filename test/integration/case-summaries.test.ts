import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCase, manyCases } from '../helpers/cases.js';
import { aUser, signIn } from '../helpers/staff.js';
import { aVillage } from '../helpers/builders.js';
import type { Db } from '../../src/db/index.js';
import { chinaDate, startOfChinaDay } from '../../src/domain/time.js';
import { yellowBefore } from '../../src/features/calendar/workdays.js';

const OPEN = "'submitted', 'accepted', 'in_progress'";
const DUE = `CASE WHEN c.state NOT IN (${OPEN}) THEN NULL WHEN c.first_responded_at IS NULL THEN c.first_response_due ELSE c.resolution_due END`;

/** The dashboard's figures counted from every case, as the dashboard counted them before it had summaries. */
function recountDashboard(db: Db, at: Date) {
  const p = { now: at.toISOString(), yellowBefore: yellowBefore(at).toISOString(), todayStart: startOfChinaDay(chinaDate(at)).toISOString() };
  const t = db
    .prepare(
      `SELECT sum(c.created_at >= @todayStart) AS newToday, sum(c.state IN (${OPEN})) AS open,
      sum((${DUE}) < @now) AS red, sum((${DUE}) >= @now AND (${DUE}) <= @yellowBefore) AS yellow,
      avg(CASE WHEN c.first_responded_at IS NOT NULL THEN (julianday(c.first_responded_at) - julianday(c.created_at)) * 24 END) AS avgFirstResponseHours,
      avg(CASE WHEN c.resolved_at IS NOT NULL THEN julianday(c.resolved_at) - julianday(c.created_at) END) AS avgResolutionDays,
      sum(c.resolved_at IS NOT NULL) AS resolved, sum(c.resolved_at IS NOT NULL AND c.resolved_at <= c.resolution_due) AS onTime,
      sum(c.rating IS NOT NULL) AS rated, avg(c.rating) AS avgRating, sum(c.reopen_count > 0) AS reopened FROM cases c`,
    )
    .get(p) as Record<string, number | null>;
  const villages = db
    .prepare(
      `SELECT v.id AS villageId, count(c.id) AS total, coalesce(sum(c.state IN (${OPEN})), 0) AS open, coalesce(sum((${DUE}) < @now), 0) AS red,
      coalesce(sum(c.resolved_at IS NOT NULL), 0) AS resolved, avg(c.rating) AS avgRating
      FROM villages v LEFT JOIN cases c ON c.village_id = v.id GROUP BY v.id ORDER BY v.id`,
    )
    .all({ now: p.now }) as Array<Record<string, number | null>>;
  return { t, villages };
}

/** The summaries as a recount from every case gives them. */
function summariesMatchRecount(db: Db): void {
  const cols = `total, n_submitted, n_accepted, n_in_progress, n_resolved, n_closed, n_rejected, n_merged, first_response_n,
    round(first_response_days, 6) AS first_response_days, resolved_n, round(resolution_days, 6) AS resolution_days, on_time, rated_n, rating_sum, reopened`;
  const kept = db.prepare(`SELECT village_id, ${cols} FROM case_summaries WHERE total > 0 ORDER BY village_id`).all();
  db.exec('CREATE TEMP TABLE IF NOT EXISTS recount AS SELECT * FROM case_summaries WHERE 0');
  db.exec('DELETE FROM temp.recount');
  db.exec(`INSERT INTO temp.recount SELECT c.village_id, count(*), sum(c.state = 'submitted'), sum(c.state = 'accepted'), sum(c.state = 'in_progress'),
    sum(c.state = 'resolved'), sum(c.state = 'closed'), sum(c.state = 'rejected'), sum(c.state = 'merged'), sum(c.first_responded_at IS NOT NULL),
    total(julianday(c.first_responded_at) - julianday(c.created_at)), sum(c.resolved_at IS NOT NULL), total(julianday(c.resolved_at) - julianday(c.created_at)),
    sum(c.resolved_at IS NOT NULL AND c.resolved_at <= c.resolution_due), sum(c.rating IS NOT NULL), total(c.rating), sum(c.reopen_count > 0)
    FROM cases c GROUP BY c.village_id`);
  const counted = db.prepare(`SELECT village_id, ${cols} FROM temp.recount ORDER BY village_id`).all();
  expect(kept).toEqual(counted);
}

const close = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined ? expect(b ?? null).toBeNull() : expect(b).toBeCloseTo(a, 6);

describe('the dashboard counts from per-village summaries kept by the cases table (migration 011)', () => {
  it('on the demo with a few hundred cases in every state, the dashboard shows the same figures as a count of every case', async () => {
    const { app, db, services } = buildApp();
    const villageIds = db.prepare('SELECT id FROM villages').pluck().all() as number[];
    manyCases(db, { n: 400, villageIds, minutesApart: 90 });
    // Ratings, reopened cases and late resolutions, which the generated cases lack.
    db.exec(`UPDATE cases SET rating = 1 + id % 5 WHERE state = 'closed' AND id % 3 = 0`);
    db.exec(`UPDATE cases SET reopen_count = 1 WHERE id % 17 = 0`);
    db.exec(`UPDATE cases SET resolution_due = created_at WHERE resolved_at IS NOT NULL AND id % 4 = 0`);
    summariesMatchRecount(db);

    const at = new Date();
    const d = await services.stats.dashboard({ all: true, villageIds: new Set(villageIds) });
    const { t, villages } = recountDashboard(db, at);
    expect(d.open).toBe(t.open);
    expect(d.red).toBe(t.red);
    expect(d.yellow).toBe(t.yellow);
    expect(d.newToday).toBe(t.newToday);
    expect(d.open).toBeGreaterThan(0);
    expect(d.red).toBeGreaterThan(0);
    close(t.avgFirstResponseHours, d.avgFirstResponseHours);
    close(t.avgResolutionDays, d.avgResolutionDays);
    close(t.avgRating, d.avgRating);
    close(t.onTime! / t.resolved!, d.onTimeRate);
    close(t.rated! / t.resolved!, d.ratedShare);
    close(t.reopened! / t.resolved!, d.reopenRate);
    expect(d.villages).toHaveLength(villages.length);
    const byId = new Map(d.villages.map((v) => [v.villageId, v]));
    for (const v of villages) {
      const shown = byId.get(v.villageId!)!;
      expect({ total: shown.total, open: shown.open, red: shown.red, resolved: shown.resolved }).toEqual({
        total: v.total,
        open: v.open,
        red: v.red,
        resolved: v.resolved,
      });
      close(v.avgRating, shown.avgRating);
    }
    // A township's dashboard counts only its villages.
    const some = villageIds.slice(0, 5);
    const part = await services.stats.dashboard({ all: false, villageIds: new Set(some) });
    const inSome = `village_id IN (${some.join(',')})`;
    expect(part.open).toBe(db.prepare(`SELECT count(*) FROM cases WHERE state IN (${OPEN}) AND ${inSome}`).pluck().get());
    expect(part.red).toBe(db.prepare(`SELECT count(*) FROM cases c WHERE (${DUE}) < ? AND ${inSome}`).pluck().get(at.toISOString()));
    expect(part.villages.map((v) => v.villageId).sort()).toEqual([...some].sort());
    expect(part.days.reduce((n, x) => n + x.n, 0)).toBe(
      db.prepare(`SELECT count(*) FROM cases WHERE created_at >= ? AND ${inSome}`).pluck().get(startOfChinaDay(part.days[0]!.day).toISOString()),
    );
    expect(d.days.reduce((n, x) => n + x.n, 0)).toBe(
      db.prepare('SELECT count(*) FROM cases WHERE created_at >= ?').pluck().get(startOfChinaDay(d.days[0]!.day).toISOString()),
    );

    const admin = await signIn(app, (await aUser(services, { role: 'admin' })).username);
    const page = await admin.get('/admin').expect(200);
    expect(page.text).toContain(`<b>${t.open}</b>`);
  });

  it('in a district of many villages, the table lists the hundred with the most overdue and open cases and says how many there are', async () => {
    const { app, db, services } = buildApp();
    const towns = db.prepare('SELECT code FROM towns').pluck().all() as string[];
    for (let i = 0; i < 150; i++)
      aVillage(db, { townCode: towns[i % towns.length]!, code: `${towns[i % towns.length]!}${String(600 + Math.floor(i / towns.length)).padStart(3, '0')}` });
    const villageIds = db.prepare('SELECT id FROM villages').pluck().all() as number[];
    manyCases(db, { n: 500, villageIds, minutesApart: 600 });
    const d = await services.stats.dashboard({ all: true, villageIds: new Set(villageIds) });
    expect(d.villages).toHaveLength(100);
    expect(d.villageCount).toBe(villageIds.length);
    const rank = (v: { red: number; open: number }) => v.red * 1e6 + v.open;
    const { villages } = recountDashboard(db, new Date());
    const hundredth = rank(d.villages[99]!);
    expect(villages.filter((v) => rank(v as { red: number; open: number }) > hundredth).length).toBeLessThan(100);
    const admin = await signIn(app, (await aUser(services, { role: 'admin' })).username);
    const page = await admin.get('/admin').expect(200);
    expect(page.text).toContain(`显示前 100 个，共 ${villageIds.length} 个村（社区）`);
    expect((page.text.match(/href="\/admin\/cases\?village=/g) ?? []).length).toBe(100);
  });

  it('after every action on a case (filed, accepted, replied, resolved, rated, reopened, closed, merged, deleted), the summaries equal a recount', async () => {
    const { db, services } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const user = (await services.staff.sessionUser(admin.id))!;
    summariesMatchRecount(db);
    const a = await aCase(db, services);
    const b = await aCase(db, services, { content: '村口的路灯坏了两个晚上了' });
    const c = await aCase(db, services, { content: '垃圾桶满了好几天没有人来清运' });
    const d = await aCase(db, services, { content: '垃圾桶满了好几天没有人来清运，还有异味' });
    summariesMatchRecount(db);
    const version = (id: number) => db.prepare('SELECT version FROM cases WHERE id = ?').pluck().get(id) as number;
    const act = { user, ip: '127.0.0.1' };
    await services.caseOffice.acceptAndReply({ ...act, caseId: a.id, version: version(a.id), text: '已收到，明天去看' });
    summariesMatchRecount(db);
    await services.caseOffice.resolve({ ...act, caseId: a.id, version: version(a.id), text: '已修好' });
    summariesMatchRecount(db);
    await services.cases.reopen({ token: a.token, form: { reason: '还是没有修好，水管还在漏' } });
    summariesMatchRecount(db);
    await services.caseOffice.resolve({ ...act, caseId: a.id, version: version(a.id), text: '换了新水管' });
    await services.cases.rate({ token: a.token, form: { rating: '4' } });
    summariesMatchRecount(db);
    await services.caseOffice.acceptAndResolve({ ...act, caseId: b.id, version: version(b.id), text: '已处理' });
    await services.caseOffice.autoClose(new Date(Date.now() + 30 * 86_400_000));
    expect(db.prepare('SELECT state FROM cases WHERE id = ?').pluck().get(b.id)).toBe('closed');
    summariesMatchRecount(db);
    await services.caseOffice.merge({ ...act, caseId: c.id, version: version(c.id), trackingNo: d.trackingNo });
    summariesMatchRecount(db);
    expect(db.prepare('SELECT sum(total) FROM case_summaries').pluck().get()).toBe(4);
    // Cases without events (the generated ones) can be deleted: they leave the summaries too.
    manyCases(db, { n: 30, villageIds: [a.household.villageId] });
    db.exec('DELETE FROM cases WHERE id IN (SELECT id FROM cases ORDER BY id DESC LIMIT 10)');
    summariesMatchRecount(db);
    expect(db.prepare('SELECT sum(total) FROM case_summaries').pluck().get()).toBe(24);
  });
});
