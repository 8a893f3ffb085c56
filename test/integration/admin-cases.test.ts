import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { yellowBefore } from '../../src/features/calendar/workdays.js';
import { aCadre, aHousehold, aVillage } from '../helpers/builders.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';
import type { TestSql } from '../helpers/sql.js';
import type { Services } from '../../src/services.js';

/** A case filed from a household of this village through the real service. */
async function fileCase(services: Services, sql: TestSql, villageId: number, o: { content?: string; phone?: string; name?: string } = {}) {
  const h = await aHousehold(sql, { villageId });
  const plate = await services.places.plateByToken(h.token);
  const r = await services.cases.submit({
    kind: 'speak',
    category: 'complaint',
    item: null,
    villageId,
    householdId: plate.householdId,
    plateId: plate.plateId,
    name: o.name ?? '刘长海',
    phone: o.phone ?? '13912345678',
    anonymous: false,
    content: o.content ?? '村里垃圾桶满了好几天没人清运',
    callbackTime: null,
    idempotencyKey: null,
    photos: [],
  });
  const id = Number(await sql.value('SELECT id FROM cases WHERE token = ?', r.token));
  return { ...r, id };
}

async function setup(opts: { now?: () => Date } = {}) {
  const stack = buildApp(opts);
  const { sql, services } = stack;
  const a = await aVillage(sql, { name: '甲庄村', townCode: '370812103' });
  const b = await aVillage(sql, { name: '乙屯村', townCode: '370812107' });
  const cadreA = await aCadre(sql, { villageId: a.id, name: '甲村书记', role: 'party_secretary' });
  const userA = await aUser(services, { role: 'cadre', cadreId: cadreA.id });
  const staffB = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812107' }] });
  const admin = await aUser(services, { role: 'admin' });
  const caseA = await fileCase(services, sql, a.id, { content: '甲村的事：路灯坏了' });
  const caseB = await fileCase(services, sql, b.id, { content: '乙村的事：水渠堵了' });
  return { ...stack, a, b, userA, staffB, admin, caseA, caseB };
}

const act = async (agent: ReturnType<typeof request.agent>, id: number, fields: Record<string, string | number>) => {
  const csrf = await csrfFor(agent);
  return agent
    .post(`/admin/cases/${id}/action`)
    .type('form')
    .send({ _csrf: csrf, ...fields });
};

describe('searching the inbox', () => {
  it('a tracking number finds its case alone, however it is typed; words find the cases that contain them; outside the scope nothing', async () => {
    const { app, admin, userA, caseA, caseB } = await setup();
    const agent = await signIn(app, admin.username);
    const ids = (html: string) => [...html.matchAll(/href="\/admin\/cases\/(\d+)"/g)].map((m) => Number(m[1]));
    const [day, seq] = caseA.trackingNo.split('-') as [string, string];
    for (const typed of [caseA.trackingNo, `${day}${seq}`, `${day.slice(0, 4)} ${day.slice(4)} ${seq}`, `${day}－${seq}`.normalize('NFKC')]) {
      const res = await agent.get('/admin/cases').query({ state: 'all', q: typed }).expect(200);
      expect(ids(res.text)).toEqual([caseA.id]);
    }
    expect(ids((await agent.get('/admin/cases').query({ state: 'all', q: '水渠' }).expect(200)).text)).toEqual([caseB.id]);
    expect(ids((await agent.get('/admin/cases').query({ state: 'all', q: '的事' }).expect(200)).text).sort()).toEqual([caseA.id, caseB.id].sort());
    // a case of another village is not found by its number by a cadre of this one
    const cadre = await signIn(app, userA.username);
    expect(ids((await cadre.get('/admin/cases').query({ state: 'all', q: caseB.trackingNo }).expect(200)).text)).toEqual([]);
    expect(ids((await cadre.get('/admin/cases').query({ state: 'all', q: caseA.trackingNo }).expect(200)).text)).toEqual([caseA.id]);
  });
});

describe('small things a cadre noticed', () => {
  it('a cadre opening a staff-only page gets the back office’s 403, with its menu, not the villagers’ page', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.userA.username);
    const res = await agent.get('/admin/plates').expect(403);
    expect(res.text).toContain('href="/admin/cases"');
    expect(res.text).toContain('返回工作台');
    expect(res.text).not.toContain('政务服务便民热线');
  });

  it('the dashboard’s per-village table keeps its labels on a phone (each cell names its column)', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.admin.username);
    const page = await agent.get('/admin').expect(200);
    expect(page.text).toContain('<table class="cards">');
    expect(page.text).toMatch(/<td data-label="[^"]+"><a href="\/admin\/cases\?village=/);
  });

  it('a village’s own cadre does not read the village on every inbox card; district users do', async () => {
    const s = await setup();
    const cadre = await signIn(s.app, s.userA.username);
    const mine = await cadre.get('/admin/cases').expect(200);
    expect(mine.text).toContain(s.caseA.trackingNo);
    expect(mine.text).not.toContain('data-label="村（社区）"');
    const admin = await signIn(s.app, s.admin.username);
    expect((await admin.get('/admin/cases').expect(200)).text).toContain('data-label="村（社区）"');
  });

  it('an action refused for its input marks the field itself, not only the list at the top', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.userA.username);
    const res = await act(agent, s.caseA.id, { action: 'reply', step: 'accept_reply', version: 1, text: '' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/<span class="field-error" id="reply-text-error">[^<]+<\/span>/);
    expect(res.text).toMatch(/<textarea id="reply-text" name="text" rows="4" maxlength="2000" aria-invalid="true"/);
  });

  it('the timeline says who acted', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.userA.username);
    await act(agent, s.caseA.id, { action: 'reply', step: 'accept_reply', version: 1, text: '已收到' });
    const page = await agent.get(`/admin/cases/${s.caseA.id}`).expect(200);
    const name = (await s.sql.value('SELECT display_name FROM users WHERE username = ?', s.userA.username)) as string;
    expect(page.text).toContain(`<span class="who">${name}</span>`);
    expect(page.text).toContain('<span class="who">群众</span>');
  });
});

describe('answering in one page load', () => {
  it('the inbox opens on 待办: open cases only; 全部 shows the rest', async () => {
    const s = await setup();
    await s.sql.run("UPDATE cases SET state = 'closed' WHERE id = ?", s.caseB.id);
    const agent = await signIn(s.app, s.admin.username);
    const inbox = await agent.get('/admin/cases').expect(200);
    expect(inbox.text).toMatch(/aria-current="page">待办/);
    expect(inbox.text).toContain(s.caseA.trackingNo);
    expect(inbox.text).not.toContain(s.caseB.trackingNo);
    expect((await agent.get('/admin/cases?state=all').expect(200)).text).toContain(s.caseB.trackingNo);
  });

  it('受理并回复 on a new case: accepted and replied in one step, two events; the villager sees the reply', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.userA.username);
    const page = await agent.get(`/admin/cases/${s.caseA.id}`).expect(200);
    expect(page.text).toContain('受理并回复');
    expect(page.text).toContain('受理并办结');
    await act(agent, s.caseA.id, { action: 'reply', step: 'accept_reply', version: 1, text: '已收到，明天上午去看路灯' }).then((r) =>
      expect(r.status).toBe(303),
    );
    expect(
      await s.sql.get('SELECT state, CASE WHEN first_responded_at IS NOT NULL THEN 1 ELSE 0 END AS responded FROM cases WHERE id = ?', s.caseA.id),
    ).toEqual({
      state: 'accepted',
      responded: 1,
    });
    expect(await s.sql.column('SELECT type FROM case_events WHERE case_id = ? ORDER BY id', s.caseA.id)).toEqual(['submitted', 'accepted', 'reply']);
  });

  it('回复并办结 resolves with the reply as the resolution; a stale version changes nothing at all', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.userA.username);
    await act(agent, s.caseA.id, { action: 'accept', version: 1 });
    expect((await agent.get(`/admin/cases/${s.caseA.id}`).expect(200)).text).toContain('回复并办结');
    // Someone else's change in between: the combined step is refused whole.
    const stale = await act(agent, s.caseA.id, { action: 'reply', step: 'accept_resolve', version: 1, text: '路灯已修好' });
    expect(stale.status).toBe(409);
    await act(agent, s.caseA.id, { action: 'reply', step: 'reply_resolve', version: 2, text: '路灯已修好，请查看' }).then((r) => expect(r.status).toBe(303));
    expect(await s.sql.value('SELECT state FROM cases WHERE id = ?', s.caseA.id)).toBe('resolved');
    expect(await s.sql.value("SELECT body FROM case_events WHERE case_id = ? AND type = 'resolved'", s.caseA.id)).toBe('路灯已修好，请查看');
  });

  it('受理并办结 on a new case that a template answers at once: both steps or neither', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.userA.username);
    const bad = await act(agent, s.caseA.id, { action: 'reply', step: 'accept_resolve', version: 1, text: '' });
    expect(bad.status).toBe(400);
    expect(await s.sql.value('SELECT state FROM cases WHERE id = ?', s.caseA.id)).toBe('submitted');
    await act(agent, s.caseA.id, { action: 'reply', step: 'accept_resolve', version: 1, text: '已电话答复，政策已讲清楚' }).then((r) =>
      expect(r.status).toBe(303),
    );
    expect(await s.sql.value('SELECT state FROM cases WHERE id = ?', s.caseA.id)).toBe('resolved');
  });
});

describe('scope: every back-office URL shows only the caller’s villages', () => {
  it('a cadre sees only their village in the inbox, counts, export and dashboard; another village’s case is 404', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.userA.username);
    const inbox = await agent.get('/admin/cases').expect(200);
    expect(inbox.text).toContain(s.caseA.trackingNo);
    expect(inbox.text).not.toContain(s.caseB.trackingNo);
    expect(inbox.text).toContain('共 1 件');
    expect(inbox.text).not.toContain('乙屯村');
    await agent.get(`/admin/cases/${s.caseA.id}`).expect(200);
    await agent.get(`/admin/cases/${s.caseB.id}`).expect(404);
    const before = await s.sql.value('SELECT state FROM cases WHERE id = ?', s.caseB.id);
    await act(agent, s.caseB.id, { action: 'accept', version: 1 }).then((r) => expect(r.status).toBe(404));
    expect(await s.sql.value('SELECT state FROM cases WHERE id = ?', s.caseB.id)).toBe(before);
    const csv = await agent.get('/admin/cases.csv').expect(200);
    expect(csv.text).toContain(s.caseA.trackingNo);
    expect(csv.text).not.toContain(s.caseB.trackingNo);
    const dash = await agent.get('/admin').expect(200);
    expect(dash.text).toContain('甲庄村');
    expect(dash.text).not.toContain('乙屯村');
  });

  it('staff of another township get 404 for this township’s case and see none of it', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.staffB.username);
    await agent.get(`/admin/cases/${s.caseA.id}`).expect(404);
    const inbox = await agent.get('/admin/cases').expect(200);
    expect(inbox.text).toContain(s.caseB.trackingNo);
    expect(inbox.text).not.toContain(s.caseA.trackingNo);
    await agent
      .get(`/admin/cases?village=${s.a.id}`)
      .expect(200)
      .then((r) => expect(r.text).not.toContain(s.caseA.trackingNo));
  });

  it('the admin sees everything', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.admin.username);
    const inbox = await agent.get('/admin/cases').expect(200);
    expect(inbox.text).toContain(s.caseA.trackingNo);
    expect(inbox.text).toContain(s.caseB.trackingNo);
  });

  it('phones are masked in lists', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.userA.username);
    const inbox = await agent.get('/admin/cases').expect(200);
    expect(inbox.text).toContain('139****5678');
    expect(inbox.text).not.toContain('13912345678');
  });
});

describe('working a case', () => {
  it('accept, public reply, internal note, resolve: each is an event; the villager sees only public ones', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.userA.username);
    await act(agent, s.caseA.id, { action: 'accept', version: 1 }).then((r) => expect(r.status).toBe(303));
    await act(agent, s.caseA.id, { action: 'reply', version: 2, text: '已联系电工，明天修好。' }).then((r) => expect(r.status).toBe(303));
    await act(agent, s.caseA.id, { action: 'note', version: 3, text: '内部：电工老孙负责' }).then((r) => expect(r.status).toBe(303));
    await act(agent, s.caseA.id, { action: 'resolve', version: 4, text: '路灯已修复。' }).then((r) => expect(r.status).toBe(303));
    const row = (await s.sql.get<Record<string, string>>('SELECT state, first_responded_at AS fr, resolved_at AS ra FROM cases WHERE id = ?', s.caseA.id))!;
    expect(row.state).toBe('resolved');
    expect(row.fr).toBeTruthy();
    expect(row.ra).toBeTruthy();
    const page = await agent.get(`/admin/cases/${s.caseA.id}`).expect(200);
    expect(page.text).toContain('内部：电工老孙负责');
    const villager = await request(s.app).get(`/track/${s.caseA.token}`).expect(200);
    expect(villager.text).toContain('已联系电工，明天修好。');
    expect(villager.text).toContain('路灯已修复。');
    expect(villager.text).not.toContain('电工老孙');
    expect(villager.text).toContain('问题解决了吗？');
  });

  it('an action the state no longer allows → 409 with a message', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.userA.username);
    const res = await act(agent, s.caseA.id, { action: 'resolve', version: 1, text: '办好了' });
    expect(res.status).toBe(409);
    expect(res.text).toContain('当前状态下不能进行这个操作');
    expect(await s.sql.value('SELECT state FROM cases WHERE id = ?', s.caseA.id)).toBe('submitted');
  });

  it('two cadres acting at once: the second is told the case changed, nothing is overwritten', async () => {
    const s = await setup();
    const one = await signIn(s.app, s.userA.username);
    const other = await aUser(s.services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const two = await signIn(s.app, other.username);
    await act(one, s.caseA.id, { action: 'reject', version: 1, text: '不属于本村事务' }).then((r) => expect(r.status).toBe(303));
    const late = await act(two, s.caseA.id, { action: 'accept', version: 1 });
    expect(late.status).toBe(409);
    expect(late.text).toContain('刚刚被其他人更新过');
    expect(await s.sql.value('SELECT state FROM cases WHERE id = ?', s.caseA.id)).toBe('rejected');
  });

  it('reject needs a public reason, shown beside the field', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.userA.username);
    const res = await act(agent, s.caseA.id, { action: 'reject', version: 1, text: '  ' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('请填写内容');
  });

  it('extends once, by at most 10 working days, with a reason', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.userA.username);
    await act(agent, s.caseA.id, { action: 'accept', version: 1 });
    const tooLong = await act(agent, s.caseA.id, { action: 'extend', version: 2, days: 11, text: '需要协调' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.text).toContain('延期天数应为 1 到 10 个工作日');
    const before = (await s.sql.value('SELECT resolution_due FROM cases WHERE id = ?', s.caseA.id)) as string;
    await act(agent, s.caseA.id, { action: 'extend', version: 2, days: 3, text: '需要等配件' }).then((r) => expect(r.status).toBe(303));
    const after = (await s.sql.get<{ resolution_due: string; extended: number }>('SELECT resolution_due, extended FROM cases WHERE id = ?', s.caseA.id))!;
    expect(after.extended).toBe(1);
    expect(after.resolution_due > before).toBe(true);
    const again = await act(agent, s.caseA.id, { action: 'extend', version: 3, days: 2, text: '还要等' });
    expect(again.status).toBe(409);
  });

  it('assigns only to someone serving the village', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.userA.username);
    const bad = await act(agent, s.caseA.id, { action: 'assign', version: 1, userId: s.staffB.id });
    expect(bad.status).toBe(400);
    const colleague = await aUser(s.services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    await act(agent, s.caseA.id, { action: 'assign', version: 1, userId: colleague.id }).then((r) => expect(r.status).toBe(303));
    expect(await s.sql.value('SELECT assigned_user_id FROM cases WHERE id = ?', s.caseA.id)).toBe(colleague.id);
  });

  it('merges a duplicate into another case of the same village; the villager page points to the kept case', async () => {
    const s = await setup();
    const dup = await fileCase(s.services, s.sql, s.a.id, { content: '甲村的事：路灯又坏了' });
    const agent = await signIn(s.app, s.userA.username);
    const other = await act(agent, dup.id, { action: 'merge', version: 1, trackingNo: s.caseB.trackingNo });
    expect(other.status).toBe(400);
    // First the case it would join is shown, and nothing changes yet.
    const shown = await act(agent, dup.id, { action: 'merge', version: 1, trackingNo: s.caseA.trackingNo });
    expect(shown.status).toBe(200);
    expect(shown.text).toContain(`本事项将合并到 ${s.caseA.trackingNo}`);
    expect(shown.text).toContain('甲村的事：路灯坏了');
    expect(shown.text).toContain('确认合并');
    expect(await s.sql.value('SELECT state FROM cases WHERE id = ?', dup.id)).toBe('submitted');
    await act(agent, dup.id, { action: 'merge', version: 1, trackingNo: s.caseA.trackingNo, confirm: '1' }).then((r) => expect(r.status).toBe(303));
    const villager = await request(s.app).get(`/track/${dup.token}`).expect(200);
    expect(villager.text).toContain(`已合并到受理编号 ${s.caseA.trackingNo}`);
    expect(villager.text).not.toContain(s.caseA.token);
  });

  it('refuses an action without a CSRF token', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.userA.username);
    await agent.post(`/admin/cases/${s.caseA.id}/action`).type('form').send({ action: 'accept', version: 1 }).expect(403);
    expect(await s.sql.value('SELECT state FROM cases WHERE id = ?', s.caseA.id)).toBe('submitted');
  });
});

describe('deadlines, auto-close and export', () => {
  it('a new case is not yellow; yellow is the last 4 working hours before the deadline, red is overdue', async () => {
    // A Friday at 15:00 in China: yellow from 13:30 on (at any time before 13:30 a deadline of today
    // would not be yellow yet, and yesterday's would be past).
    const at = new Date('2026-11-27T07:00:00.000Z');
    const s = await setup({ now: () => at });
    const agent = await signIn(s.app, s.admin.username);
    // Both just filed: due at the end of the next working day, so neither is flagged.
    expect((await agent.get('/admin/cases?flag=yellow').expect(200)).text).not.toContain(s.caseB.trackingNo);
    await s.sql.run("UPDATE cases SET first_response_due = '2000-01-01T00:00:00.000Z' WHERE id = ?", s.caseA.id);
    // Due today and past 13:30 (the edge itself): yellow.
    await s.sql.run('UPDATE cases SET first_response_due = ? WHERE id = ?', yellowBefore(at).toISOString(), s.caseB.id);
    const red = await agent.get('/admin/cases?flag=red').expect(200);
    expect(red.text).toContain(s.caseA.trackingNo);
    expect(red.text).not.toContain(s.caseB.trackingNo);
    const yellow = await agent.get('/admin/cases?flag=yellow').expect(200);
    expect(yellow.text).toContain(s.caseB.trackingNo);
    expect(yellow.text).not.toContain(s.caseA.trackingNo);
    const all = { all: true, districtIds: new Set<number>(), villageIds: new Set(await s.sql.column<number>('SELECT id FROM villages')) };
    const d = await s.services.stats.dashboard(all);
    expect(d.red).toBe(1);
    expect(d.yellow).toBe(1);
  });

  it('resolved cases with no rating close themselves after 7 days, as an event', async () => {
    const s = await setup();
    await s.sql.run("UPDATE cases SET state = 'resolved', resolved_at = ? WHERE id = ?", new Date(Date.now() - 8 * 86400_000).toISOString(), s.caseA.id);
    await s.sql.run("UPDATE cases SET state = 'resolved', resolved_at = ? WHERE id = ?", new Date(Date.now() - 2 * 86400_000).toISOString(), s.caseB.id);
    expect(await s.services.caseOffice.autoClose()).toBe(1);
    expect(await s.sql.value('SELECT state FROM cases WHERE id = ?', s.caseA.id)).toBe('closed');
    expect(await s.sql.value('SELECT state FROM cases WHERE id = ?', s.caseB.id)).toBe('resolved');
    expect(await s.sql.value("SELECT count(*) FROM case_events WHERE case_id = ? AND type = 'auto_closed' AND actor = 'system'", s.caseA.id)).toBe(1);
    expect(await s.services.caseOffice.autoClose()).toBe(0);
  });

  it('CSV: UTF-8 with BOM, formula-like cells neutralised, phones masked unless admin', async () => {
    const s = await setup();
    await fileCase(s.services, s.sql, s.a.id, { content: '=HYPERLINK("http://evil.example","点我")', name: '@王' });
    const cadre = await signIn(s.app, s.userA.username);
    const csv = await cadre.get('/admin/cases.csv').expect(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.text.charCodeAt(0)).toBe(0xfeff);
    expect(csv.text).toContain(`"'=HYPERLINK(""http://evil.example"",""点我"")"`);
    expect(csv.text).toContain(`"'@王"`);
    expect(csv.text).toContain('139****5678');
    expect(csv.text).not.toContain('13912345678');
    const admin = await signIn(s.app, s.admin.username);
    expect((await admin.get('/admin/cases.csv').expect(200)).text).toContain('13912345678');
  });
});

describe('dashboard', () => {
  it('shows figures computed from a hand-built fixture', async () => {
    const s = await setup();
    const day = 86400_000;
    const now = Date.now();
    // caseA: answered after 2 h, resolved after 2 days on time, rated 4, reopened once.
    await s.sql.run(
      `UPDATE cases SET state = 'closed', created_at = ?, first_responded_at = ?, resolved_at = ?, resolution_due = ?, rating = 4, reopen_count = 1 WHERE id = ?`,
      new Date(now - 3 * day).toISOString(),
      new Date(now - 3 * day + 2 * 3600_000).toISOString(),
      new Date(now - day).toISOString(),
      new Date(now).toISOString(),
      s.caseA.id,
    );
    const agent = await signIn(s.app, s.userA.username);
    const res = await agent.get('/admin').expect(200);
    expect(res.text).toContain('2.0 小时');
    expect(res.text).toContain('2.0 天');
    expect(res.text).toContain('4.0 / 5');
    expect(res.text).toMatch(/<b>100%<\/b><span>按时办结率/);
    expect(res.text).toMatch(/<b>100%<\/b><span>重办率/);
    expect(res.text).toMatch(/<svg viewBox="0 0 \d+ \d+" role="img" aria-label="近 30 天每日新增事项"/);
    expect((res.text.match(/<rect /g) ?? []).length).toBe(30);
  });
});
