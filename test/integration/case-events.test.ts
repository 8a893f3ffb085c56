import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCase } from '../helpers/cases.js';
import { aCadre, aHousehold, aVillage, demoHousehold } from '../helpers/builders.js';
import { agentFor, openForm, postMultipart, type Agent } from '../helpers/forms.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';
import { CASE_EVENT_TYPES, createCaseUnitOfWork, type CaseEventMessage } from '../../src/features/cases/events.js';
import { createCasesRepo } from '../../src/features/cases/repo.js';
import type { TestSql } from '../helpers/sql.js';
import { createUnitOfWork } from '../../src/db/unit-of-work.js';
import type { Services } from '../../src/services.js';

/** Every case event published from now on, in order. */
function listen(services: Services): CaseEventMessage[] {
  const seen: CaseEventMessage[] = [];
  for (const type of Object.values(CASE_EVENT_TYPES)) services.events.subscribe(type, (e) => void seen.push(e));
  return seen;
}

async function fileCase(services: Services, sql: TestSql, villageId: number) {
  const h = await aHousehold(sql, { villageId });
  const plate = await services.places.plateByToken(h.token);
  const r = await services.cases.submit({
    kind: 'speak',
    category: 'complaint',
    item: null,
    villageId,
    householdId: plate.householdId,
    plateId: plate.plateId,
    name: '刘长海',
    phone: '13912345678',
    anonymous: false,
    content: '村里垃圾桶满了好几天没人清运',
    callbackTime: null,
    idempotencyKey: null,
    photos: [],
  });
  return { ...r, id: Number(await sql.value('SELECT id FROM cases WHERE token = ?', r.token)) };
}

async function office(opts: Parameters<typeof buildApp>[0] = {}) {
  const stack = buildApp(opts);
  const { sql, services } = stack;
  const village = await aVillage(sql, { name: '甲庄村', townCode: '370812103' });
  const cadre = await aCadre(sql, { villageId: village.id, name: '甲村书记', role: 'party_secretary' });
  const user = await aUser(services, { role: 'cadre', cadreId: cadre.id });
  const agent = await signIn(stack.app, user.username);
  return { ...stack, village, user, agent, file: () => fileCase(services, sql, village.id) };
}

const act = async (agent: Agent, id: number, fields: Record<string, string | number>) => {
  const csrf = await csrfFor(agent);
  return agent
    .post(`/admin/cases/${id}/action`)
    .type('form')
    .send({ _csrf: csrf, ...fields });
};

const eventCount = async (sql: TestSql) => Number(await sql.value('SELECT count(*) FROM case_events'));

describe('case events: filing from a plate', () => {
  it('publishes case.filed once, with the case, its village and the villager; the same form sent again publishes nothing more', async () => {
    const { app, sql, services } = buildApp();
    const seen = listen(services);
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/help/request`);
    const fields = { name: '王大爷', phone: '13912345678', content: '', callbackTime: 'any', _csrf: form.csrf, idempotencyKey: form.idempotencyKey };
    await postMultipart(agent, `/p/${h.token}/help/request`, fields).expect(303);
    await postMultipart(agent, `/p/${h.token}/help/request`, fields).expect(303);
    const row = (await sql.get<{ id: number; trackingNo: string }>('SELECT id, tracking_no AS "trackingNo" FROM cases'))!;
    const eventId = await sql.value<number>('SELECT id FROM case_events WHERE case_id = ?', row.id);
    expect(seen).toEqual([
      {
        type: 'case.filed',
        eventId,
        caseId: row.id,
        trackingNo: row.trackingNo,
        kind: 'help',
        villageId: h.villageId,
        at: expect.any(String),
        actor: { kind: 'villager', userId: null },
        fromState: null,
        toState: 'submitted',
        public: true,
        body: '',
        data: null,
      },
    ]);
  });

  it('a form with mistakes files nothing and publishes nothing', async () => {
    const { app, sql, services } = buildApp();
    const seen = listen(services);
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    await postMultipart(agent, `/p/${h.token}/speak`, {
      category: 'complaint',
      content: '太短',
      name: '王大爷',
      phone: '13912345678',
      _csrf: form.csrf,
    }).expect(400);
    await postMultipart(agent, `/p/${h.token}/speak`, {
      category: 'complaint',
      content: '路灯坏了很久没人修',
      name: '王大爷',
      phone: '13912345678',
      website: 'http://spam',
      _csrf: form.csrf,
    }).expect(400);
    expect(await sql.value('SELECT count(*) FROM cases')).toBe(0);
    expect(seen).toEqual([]);
  });
});

describe('case events: the back office', () => {
  it('each action publishes its event once, after it is saved, with the case, the village and who acted', async () => {
    const s = await office();
    const c = await s.file();
    const seen = listen(s.services);
    const colleague = await aUser(s.services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const steps: Array<Record<string, string | number>> = [
      { action: 'accept' },
      { action: 'reply', text: '已收到，明天去看' },
      { action: 'note', text: '内部：老孙负责' },
      { action: 'assign', userId: colleague.id },
      { action: 'extend', days: 2, text: '需要等配件' },
      { action: 'start' },
      { action: 'resolve', text: '已清运' },
    ];
    for (const [i, step] of steps.entries()) {
      const res = await act(s.agent, c.id, { ...step, version: i + 1 });
      expect(res.status).toBe(303);
      // Published by the time the page answers, and read back from the saved row.
      expect(seen).toHaveLength(i + 1);
      const saved = (await s.sql.get<{ id: number; body: string; public: number }>(
        'SELECT id, body, public FROM case_events WHERE case_id = ? ORDER BY id DESC LIMIT 1',
        c.id,
      ))!;
      expect(seen[i]).toMatchObject({ eventId: saved.id, body: saved.body, public: saved.public === 1 });
    }
    expect(seen.map((e) => e.type)).toEqual(['case.accepted', 'case.replied', 'case.noted', 'case.assigned', 'case.extended', 'case.started', 'case.resolved']);
    for (const e of seen)
      expect(e).toMatchObject({ caseId: c.id, trackingNo: c.trackingNo, villageId: s.village.id, actor: { kind: 'user', userId: s.user.id } });
    expect(seen.find((e) => e.type === 'case.noted')).toMatchObject({ public: false, body: '内部：老孙负责' });
    expect(seen.find((e) => e.type === 'case.assigned')).toMatchObject({ public: false, data: { userId: colleague.id } });
    expect(seen.find((e) => e.type === 'case.resolved')).toMatchObject({ fromState: 'in_progress', toState: 'resolved' });
  });

  it('reject and merge publish case.rejected and case.merged', async () => {
    const s = await office();
    const [one, two, kept] = [await s.file(), await s.file(), await s.file()];
    const seen = listen(s.services);
    await act(s.agent, one.id, { action: 'reject', version: 1, text: '不属于本村事务' }).then((r) => expect(r.status).toBe(303));
    await act(s.agent, two.id, { action: 'merge', version: 1, trackingNo: kept.trackingNo, confirm: '1' }).then((r) => expect(r.status).toBe(303));
    expect(seen.map((e) => [e.type, e.caseId])).toEqual([
      ['case.rejected', one.id],
      ['case.merged', two.id],
    ]);
    expect(seen[1]).toMatchObject({ data: { into: kept.trackingNo }, toState: 'merged' });
  });

  it('受理并回复 publishes case.accepted then case.replied, once each', async () => {
    const s = await office();
    const c = await s.file();
    const seen = listen(s.services);
    await act(s.agent, c.id, { action: 'reply', step: 'accept_reply', version: 1, text: '已收到，明天上午去看' }).then((r) => expect(r.status).toBe(303));
    expect(seen.map((e) => e.type)).toEqual(['case.accepted', 'case.replied']);
    expect(seen[0]!.eventId).toBeLessThan(seen[1]!.eventId);
  });

  it('publishes nothing when the change is refused: a stale version, a state that does not allow it, a bad assignee, a second extension', async () => {
    const s = await office();
    const c = await s.file();
    await act(s.agent, c.id, { action: 'accept', version: 1 }).then((r) => expect(r.status).toBe(303));
    await act(s.agent, c.id, { action: 'extend', version: 2, days: 2, text: '需要等配件' }).then((r) => expect(r.status).toBe(303));
    const seen = listen(s.services);
    const before = await eventCount(s.sql);
    const stranger = await aUser(s.services, { role: 'staff', scopes: [{ level: 'town', code: '370812107' }] });

    const stale = await act(s.agent, c.id, { action: 'reply', step: 'accept_resolve', version: 1, text: '路灯已修好' });
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('刚刚被其他人更新过');
    const notAllowed = await act(s.agent, c.id, { action: 'reject', version: 3, text: '不属于本村事务' });
    expect(notAllowed.status).toBe(409);
    expect(notAllowed.text).toContain('当前状态下不能进行这个操作');
    const badAssignee = await act(s.agent, c.id, { action: 'assign', version: 3, userId: stranger.id });
    expect(badAssignee.status).toBe(400);
    expect(badAssignee.text).toContain('只能指派给负责这个村的人员');
    const again = await act(s.agent, c.id, { action: 'extend', version: 3, days: 2, text: '还要等' });
    expect(again.status).toBe(409);
    expect(again.text).toContain('已经延期过一次');

    expect(seen).toEqual([]);
    expect(await eventCount(s.sql)).toBe(before);
  });

  it('when the transaction rolls back after an event was written, the event is neither kept nor published', async () => {
    const s = await office();
    const c = await s.file();
    const seen = listen(s.services);
    const before = await eventCount(s.sql);
    const database = s.database;
    const commit = createCaseUnitOfWork(createUnitOfWork(database), createCasesRepo(database), s.services.events);
    await expect(
      commit(async (record) => {
        await record({
          caseId: c.id,
          at: new Date().toISOString(),
          actor: 'user',
          userId: s.user.id,
          type: 'note',
          fromState: null,
          toState: null,
          public: false,
          body: '写了一半',
          data: null,
        });
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(await eventCount(s.sql)).toBe(before);
    expect(seen).toEqual([]);
  });

  it('a case change inside a transaction of someone else’s is refused, so nothing is published that could still be rolled back', async () => {
    const s = await office();
    const c = await s.file();
    const seen = listen(s.services);
    const user = (await s.services.staff.sessionUser(s.user.id))!;
    const outer = createUnitOfWork(s.database);
    await expect(outer.run(() => s.services.caseOffice.accept({ user, caseId: c.id, version: 1, ip: '' }))).rejects.toThrow(/own transaction/);
    expect(await s.sql.value('SELECT state FROM cases WHERE id = ?', c.id)).toBe('submitted');
    expect(seen).toEqual([]);
  });

  it('a subscriber that fails is logged; the cadre’s action is still saved and answered, and other subscribers still hear it', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
    const s = await office({ logger });
    const c = await s.file();
    s.services.events.subscribe('case.accepted', () => {
      throw new Error('SMS gateway down');
    });
    const seen = listen(s.services);
    await act(s.agent, c.id, { action: 'accept', version: 1 }).then((r) => expect(r.status).toBe(303));
    expect(await s.sql.value('SELECT state FROM cases WHERE id = ?', c.id)).toBe('accepted');
    expect(seen.map((e) => e.type)).toEqual(['case.accepted']);
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; event?: string; err?: { message?: string } });
    expect(logged).toContainEqual(
      expect.objectContaining({ msg: 'event subscriber failed', event: 'case.accepted', err: expect.objectContaining({ message: 'SMS gateway down' }) }),
    );
  });

  it('auto-closing a resolved case publishes case.auto_closed by the system', async () => {
    const { sql, services } = buildApp();
    const c = await aCase(sql, services, { state: 'resolved', resolvedAt: new Date(Date.now() - 8 * 24 * 3600 * 1000) });
    const seen = listen(services);
    expect(await services.caseOffice.autoClose()).toBe(1);
    expect(seen).toEqual([expect.objectContaining({ type: 'case.auto_closed', caseId: c.id, actor: { kind: 'system', userId: null }, toState: 'closed' })]);
  });
});

describe('case events: the villager’s page', () => {
  it('a rating publishes case.rated once; rating again is refused, says so, and publishes nothing', async () => {
    const { app, sql, services } = buildApp();
    const c = await aCase(sql, services, { state: 'resolved' });
    const seen = listen(services);
    const agent = agentFor(app);
    const form = await openForm(agent, `/track/${c.token}?answer=solved`);
    await agent.post(`/track/${c.token}/rate`).type('form').send({ _csrf: form.csrf, rating: '5', comment: '很满意' }).expect(303);
    const again = await agent.post(`/track/${c.token}/rate`).type('form').send({ _csrf: form.csrf, rating: '1' }).expect(409);
    expect(again.text).toContain('这件事已经评价过了');
    expect(seen).toEqual([
      expect.objectContaining({
        type: 'case.rated',
        caseId: c.id,
        villageId: c.household.villageId,
        actor: { kind: 'villager', userId: null },
        body: '很满意',
        data: { rating: 5 },
      }),
    ]);
  });

  it('a rating outside 1–5 publishes nothing', async () => {
    const { app, sql, services } = buildApp();
    const c = await aCase(sql, services, { state: 'resolved' });
    const seen = listen(services);
    const agent = agentFor(app);
    const form = await openForm(agent, `/track/${c.token}?answer=solved`);
    await agent.post(`/track/${c.token}/rate`).type('form').send({ _csrf: form.csrf, rating: '9' }).expect(400);
    expect(seen).toEqual([]);
  });

  it('未解决 within 7 days publishes case.reopened; after 7 days it is refused with the reason and publishes nothing', async () => {
    const { app, sql, services } = buildApp();
    const recent = await aCase(sql, services, { state: 'resolved' });
    const old = await aCase(sql, services, { state: 'resolved', resolvedAt: new Date(Date.now() - 8 * 24 * 3600 * 1000) });
    const seen = listen(services);
    const agent = agentFor(app);
    const form = await openForm(agent, `/track/${recent.token}?answer=unsolved`);
    await agent.post(`/track/${recent.token}/reopen`).type('form').send({ _csrf: form.csrf, reason: '水管还是漏水，没有修好' }).expect(303);
    const late = await agent.post(`/track/${old.token}/reopen`).type('form').send({ _csrf: form.csrf, reason: '水管还是漏水，没有修好' }).expect(409);
    expect(late.text).toContain('只有办结后 7 天内可以提出');
    expect(seen).toEqual([
      expect.objectContaining({
        type: 'case.reopened',
        caseId: recent.id,
        actor: { kind: 'villager', userId: null },
        fromState: 'resolved',
        toState: 'in_progress',
        body: '水管还是漏水，没有修好',
      }),
    ]);
  });
});
