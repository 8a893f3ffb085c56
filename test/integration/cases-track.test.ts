import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCase } from '../helpers/cases.js';
import { agentFor, openForm } from '../helpers/forms.js';
import { demoHousehold } from '../helpers/builders.js';

describe("the villager's case page /track/:caseToken", () => {
  it('shows the state in words, due dates and the public timeline, never internal notes', async () => {
    const { app, sql, services } = buildApp();
    const c = await aCase(sql, services, { internalNote: '内部：此户有欠费记录，注意核实', publicReply: '您好，已安排水务站明天上午上门。' });
    const res = await request(app).get(`/track/${c.token}`).expect(200);
    expect(res.text).toContain('待受理');
    expect(res.text).toContain(c.trackingNo);
    expect(res.text).toContain('答复期限');
    expect(res.text).toContain('办结期限');
    expect(res.text).toContain('您好，已安排水务站明天上午上门。');
    expect(res.text).not.toContain('欠费');
    expect(res.text).not.toContain('内部');
  });

  it('never shows the phone number in full', async () => {
    const { app, sql, services } = buildApp();
    const c = await aCase(sql, services, { phone: '13712345678' });
    const res = await request(app).get(`/track/${c.token}`).expect(200);
    expect(res.text).not.toContain('13712345678');
  });

  it('a wrong or malformed case token gets 404', async () => {
    const { app, sql, services } = buildApp();
    const c = await aCase(sql, services);
    const other = c.token.slice(0, -1) + (c.token.endsWith('A') ? 'B' : 'A');
    await request(app).get(`/track/${other}`).expect(404);
    await request(app).get('/track/short').expect(404);
    await request(app).get(`/track/${c.trackingNo}`).expect(404); // a tracking number alone opens nothing
  });

  it('a case merged into another names the kept case, without opening another villager’s case to them', async () => {
    const { app, sql, services } = buildApp();
    const kept = await aCase(sql, services, { content: '另一位村民写的内容，不能给别人看' });
    const dup = await aCase(sql, services);
    await sql.run("UPDATE cases SET state = 'merged', merged_into_id = ? WHERE id = ?", kept.id, dup.id);
    const res = await request(app).get(`/track/${dup.token}`).expect(200);
    expect(res.text).toContain(`已合并到受理编号 ${kept.trackingNo}`);
    expect(res.text).toContain('合并后的办理状态：待受理');
    expect(res.text).not.toContain(kept.token);
    expect(res.text).not.toContain('另一位村民写的内容');
  });
});

describe('rating', () => {
  it('is offered only when resolved, and works once', async () => {
    const { app, sql, services } = buildApp();
    const open = await aCase(sql, services);
    const agent = agentFor(app);
    const page = await agent.get(`/track/${open.token}`).expect(200);
    expect(page.text).not.toContain('这件事办得怎么样');
    const { csrf } = await openForm(agent, `/p/${open.household.token}/speak`);
    await agent.post(`/track/${open.token}/rate`).type('form').send({ _csrf: csrf, rating: '5' }).expect(409);
    expect(await sql.value('SELECT rating FROM cases WHERE id = ?', open.id)).toBeNull();

    const done = await aCase(sql, services, { state: 'resolved' });
    const form = await openForm(agent, `/track/${done.token}?answer=solved`);
    expect(form.html).toContain('这件事办得怎么样');
    await agent.post(`/track/${done.token}/rate`).type('form').send({ _csrf: form.csrf, rating: '4', comment: '修得很快' }).expect(303);
    const row = await sql.get('SELECT state, rating, rating_comment AS comment FROM cases WHERE id = ?', done.id);
    expect(row).toEqual({ state: 'closed', rating: 4, comment: '修得很快' });
    const after = await agent.get(`/track/${done.token}`).expect(200);
    expect(after.text).toContain('您的评价：4 星');
    expect(after.text).not.toContain('提交评价');
    await agent.post(`/track/${done.token}/rate`).type('form').send({ _csrf: form.csrf, rating: '1' }).expect(409);
    expect(await sql.value('SELECT rating FROM cases WHERE id = ?', done.id)).toBe(4);
  });

  it('refuses a rating outside 1–5 beside the field', async () => {
    const { app, sql, services } = buildApp();
    const done = await aCase(sql, services, { state: 'resolved' });
    const agent = agentFor(app);
    const form = await openForm(agent, `/track/${done.token}?answer=solved`);
    const res = await agent.post(`/track/${done.token}/rate`).type('form').send({ _csrf: form.csrf, rating: '9' }).expect(400);
    expect(res.text).toContain('请选择 1 到 5 星');
    expect(res.text).toContain('id="rate-form"');
  });

  it('without a CSRF token is refused', async () => {
    const { app, sql, services } = buildApp();
    const done = await aCase(sql, services, { state: 'resolved' });
    await request(app).post(`/track/${done.token}/rate`).type('form').send({ rating: '5' }).expect(403);
  });
});

describe('问题解决了吗？ before rating or reopening', () => {
  it('a resolved case asks first, with two plain links; neither form shows until the villager answers', async () => {
    const { app, sql, services } = buildApp();
    const done = await aCase(sql, services, { state: 'resolved' });
    const page = await request(app).get(`/track/${done.token}`).expect(200);
    expect(page.text).toContain('问题解决了吗？');
    expect(page.text).toContain(`href="/track/${done.token}?answer=solved#rate-form"`);
    expect(page.text).toContain(`href="/track/${done.token}?answer=unsolved#reopen-form"`);
    expect(page.text).not.toContain('id="rate-form"');
    expect(page.text).not.toContain('id="reopen-form"');
    const unsolved = await request(app).get(`/track/${done.token}?answer=unsolved`).expect(200);
    expect(unsolved.text).toContain('id="reopen-form"');
    expect(unsolved.text).not.toContain('id="rate-form"');
  });

  it('a 1–2 star rating keeps the remedy: the case stays resolved and 重新办理 is still offered and works', async () => {
    const { app, sql, services } = buildApp();
    const done = await aCase(sql, services, { state: 'resolved' });
    const agent = agentFor(app);
    let form = await openForm(agent, `/track/${done.token}?answer=solved`);
    await agent.post(`/track/${done.token}/rate`).type('form').send({ _csrf: form.csrf, rating: '1', comment: '根本没修' }).expect(303);
    expect(await sql.get('SELECT state, rating FROM cases WHERE id = ?', done.id)).toEqual({ state: 'resolved', rating: 1 });
    const page = await agent.get(`/track/${done.token}`).expect(200);
    expect(page.text).toContain('您的评价：1 星');
    expect(page.text).toContain('问题还没解决？');
    expect(page.text).toContain('id="reopen-form"');
    form = await openForm(agent, `/track/${done.token}`);
    await agent.post(`/track/${done.token}/reopen`).type('form').send({ _csrf: form.csrf, reason: '水管还在漏，根本没修' }).expect(303);
    expect(await sql.get('SELECT state, rating FROM cases WHERE id = ?', done.id)).toEqual({ state: 'in_progress', rating: null });
  });

  it('a good rating completes the case, shown as 已完成', async () => {
    const { app, sql, services } = buildApp();
    const done = await aCase(sql, services, { state: 'resolved' });
    const agent = agentFor(app);
    const form = await openForm(agent, `/track/${done.token}?answer=solved`);
    await agent.post(`/track/${done.token}/rate`).type('form').send({ _csrf: form.csrf, rating: '5' }).expect(303);
    const page = await agent.get(`/track/${done.token}`).expect(200);
    expect(page.text).toContain('>已完成<');
    expect(page.text).not.toContain('已关闭');
  });

  it('a reopen error is shown where the page opens (#solved), beside the reopen form', async () => {
    const { app, sql, services } = buildApp();
    const done = await aCase(sql, services, { state: 'resolved' });
    const agent = agentFor(app);
    const form = await openForm(agent, `/track/${done.token}?answer=unsolved`);
    expect(form.html).toContain(`action="/track/${done.token}/reopen#solved"`);
    const res = await agent.post(`/track/${done.token}/reopen`).type('form').send({ _csrf: form.csrf, reason: '' }).expect(400);
    const section = res.text.slice(res.text.indexOf('id="solved"'));
    expect(section.indexOf('error-summary')).toBeGreaterThan(-1);
    expect(section.indexOf('error-summary')).toBeLessThan(section.indexOf('id="reopen-form"'));
    expect(res.text).not.toContain('id="rate-form"');
  });
});

describe('reopening', () => {
  it('a reopened case is no longer resolved and gets a fresh deadline, so it is not overdue at once', async () => {
    const { app, sql, services } = buildApp();
    const done = await aCase(sql, services, { state: 'resolved', resolvedAt: new Date(Date.now() - 3 * 24 * 3600 * 1000) });
    await sql.run("UPDATE cases SET resolution_due = '2026-01-01T00:00:00.000Z' WHERE id = ?", done.id);
    const agent = agentFor(app);
    const form = await openForm(agent, `/track/${done.token}?answer=unsolved`);
    await agent.post(`/track/${done.token}/reopen`).type('form').send({ _csrf: form.csrf, reason: '还是没有解决' }).expect(303);
    const row = (await sql.get<{ resolvedAt: string | null; due: string }>(
      'SELECT resolved_at AS "resolvedAt", resolution_due AS due FROM cases WHERE id = ?',
      done.id,
    ))!;
    expect(row.resolvedAt).toBeNull();
    expect(row.due > new Date().toISOString()).toBe(true);
    const all = { all: true, districtIds: new Set<number>(), villageIds: new Set(await sql.column<number>('SELECT id FROM villages')) };
    const d = await services.stats.dashboard(all);
    expect(d.red).toBe(0);
    expect(d.onTimeRate).toBeNull(); // nothing counts as resolved any more
  });

  it('within 7 days of resolution, 未解决 reopens the case with a public event', async () => {
    const { app, sql, services } = buildApp();
    const done = await aCase(sql, services, { state: 'resolved', resolvedAt: new Date(Date.now() - 6 * 24 * 3600 * 1000) });
    const agent = agentFor(app);
    const form = await openForm(agent, `/track/${done.token}?answer=unsolved`);
    expect(form.html).toContain('未解决，重新办理');
    await agent.post(`/track/${done.token}/reopen`).type('form').send({ _csrf: form.csrf, reason: '水管还是漏水，没有修好' }).expect(303);
    expect(await sql.get('SELECT state, reopen_count AS n FROM cases WHERE id = ?', done.id)).toEqual({ state: 'in_progress', n: 1 });
    const page = await agent.get(`/track/${done.token}`).expect(200);
    expect(page.text).toContain('您表示未解决，已重新办理');
    expect(page.text).toContain('水管还是漏水，没有修好');
  });

  it('after 7 days it is no longer offered and is refused', async () => {
    const { app, sql, services } = buildApp();
    const old = await aCase(sql, services, { state: 'resolved', resolvedAt: new Date(Date.now() - 8 * 24 * 3600 * 1000) });
    const agent = agentFor(app);
    const form = await openForm(agent, `/track/${old.token}?answer=solved`);
    expect(form.html).not.toContain('未解决，重新办理');
    expect(form.html).not.toContain('没解决，重新办理');
    await agent.post(`/track/${old.token}/reopen`).type('form').send({ _csrf: form.csrf, reason: '水管还是漏水，没有修好' }).expect(409);
    expect(await sql.value('SELECT state FROM cases WHERE id = ?', old.id)).toBe('resolved');
  });

  it('a case that is not resolved cannot be reopened', async () => {
    const { app, sql, services } = buildApp();
    const c = await aCase(sql, services, { state: 'accepted' });
    const agent = agentFor(app);
    const page = await agent.get(`/track/${c.token}`).expect(200);
    expect(page.text).not.toContain('未解决，重新办理');
    const form = await openForm(agent, '/track');
    await agent.post(`/track/${c.token}/reopen`).type('form').send({ _csrf: form.csrf, reason: '还没有人来处理' }).expect(409);
  });
});

describe('finding a case by tracking number and the phone number given on it', () => {
  const lookUp = async (agent: ReturnType<typeof agentFor>, trackingNo: string, phone: string, status: number, from?: string) => {
    const form = await openForm(agent, '/track');
    const req = agent.post('/track').type('form');
    if (from) req.set('X-Forwarded-For', from);
    return req.send({ _csrf: form.csrf, trackingNo, phone }).expect(status);
  };

  it('opens the case with the whole number, and gives one answer for no such case and a wrong number', async () => {
    const { app, sql, services } = buildApp();
    const c = await aCase(sql, services, { phone: '13912346789' });
    const agent = agentFor(app);
    const ok = await lookUp(agent, c.trackingNo, '139 1234 6789', 303);
    expect(ok.headers.location).toBe(`/track/${c.token}`);
    const wrong = await lookUp(agent, c.trackingNo, '13900006789', 404);
    const none = await lookUp(agent, '20200101-0001', '13912346789', 404);
    const message = (html: string) => /<div class="card notice" role="alert"><p>([^<]+)<\/p>/.exec(html)?.[1];
    expect(message(wrong.text)).toBeDefined();
    expect(message(wrong.text)).toBe(message(none.text));
  });

  it('the last 4 digits are no longer enough: they are explained beside the field', async () => {
    const { app, sql, services } = buildApp();
    const c = await aCase(sql, services, { phone: '13912346789' });
    const res = await lookUp(agentFor(app), c.trackingNo, '6789', 400);
    expect(res.text).toContain('请填写提交时所留的 11 位手机号');
  });

  it('accepts the number without its dash, and explains a malformed one beside the field', async () => {
    const { app, sql, services } = buildApp();
    const c = await aCase(sql, services, { phone: '13912346789' });
    const agent = agentFor(app);
    await lookUp(agent, c.trackingNo.replace('-', ''), '13912346789', 303);
    const bad = await lookUp(agent, 'abc', '67', 400);
    expect(bad.text).toContain('受理编号应为 8 位日期加 4 位序号');
    expect(bad.text).toContain('请填写提交时所留的 11 位手机号');
    expect(bad.text).toContain('value="abc"');
  });

  it('is tightly rate limited per address', async () => {
    const { app, sql, services } = buildApp({ rateLimits: { lookupPerIp: 3 } });
    const c = await aCase(sql, services);
    const agent = agentFor(app);
    for (let i = 0; i < 3; i++) await lookUp(agent, c.trackingNo, `1390000${1000 + i}`, 404);
    const res = await lookUp(agent, c.trackingNo, '13900005678', 429);
    expect(res.text).toContain('操作太频繁了');
  });

  it('guesses on one tracking number from many addresses lock that number: even the right phone then gets the same miss', async () => {
    const { app, sql, services } = buildApp({ config: { trustProxy: 'loopback' } });
    const c = await aCase(sql, services, { phone: '13912346789' });
    const agent = agentFor(app);
    for (let i = 0; i < 5; i++) await lookUp(agent, c.trackingNo, `1390000${1000 + i}`, 404, `10.0.${i}.1`);
    const locked = await lookUp(agent, c.trackingNo, '13912346789', 404, '10.9.9.9');
    expect(locked.text).toContain('没有查到');
    // Another case's number is not affected.
    const other = await aCase(sql, services, { phone: '13912340000' });
    await lookUp(agent, other.trackingNo, '13912340000', 303, '10.9.9.9');
    // An hour later the villager gets in.
    await sql.run('UPDATE throttles SET locked_until = ? WHERE key = ?', Date.now() - 1, `track:${c.trackingNo}`);
    await lookUp(agent, c.trackingNo, '13912346789', 303, '10.9.9.9');
  });

  it('an anonymous case cannot be found this way', async () => {
    const { app, sql, services } = buildApp();
    const c = await aCase(sql, services);
    await sql.run('UPDATE cases SET anonymous = 1, name = NULL, phone = NULL WHERE id = ?', c.id);
    await lookUp(agentFor(app), c.trackingNo, '13800005678', 404);
  });
});

describe('本机诉求: the cases this phone filed', () => {
  it('are listed on plate pages for this phone only', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const phone = agentFor(app);
    const form = await openForm(phone, `/p/${h.token}/help/request`);
    const res = await phone
      .post(`/p/${h.token}/help/request`)
      .field('_csrf', form.csrf)
      .field('idempotencyKey', form.idempotencyKey)
      .field('name', '赵大娘')
      .field('phone', '13612345678')
      .field('content', '想问问高龄补贴什么时候发')
      .field('callbackTime', 'any')
      .expect(303);
    const trackingNo = (await sql.value<string>('SELECT tracking_no FROM cases'))!;
    const mine = await phone.get(`/p/${h.token}`).expect(200);
    expect(mine.text).toContain('本机提交的事项');
    expect(mine.text).toContain(trackingNo);
    expect(mine.text).toContain(res.headers.location!.replace('?new=1', ''));
    const neighbour = await request(app).get(`/p/${h.token}`).expect(200);
    expect(neighbour.text).not.toContain('本机提交的事项');
    expect(neighbour.text).not.toContain(trackingNo);
  });
});

describe('due dates', () => {
  it('a case filed on a Friday evening must be answered by Monday, resolved within 5 working days', async () => {
    const friday = new Date('2026-11-27T12:00:00Z'); // 20:00 in China
    const { sql, services } = buildApp({ now: () => friday });
    const c = await aCase(sql, services);
    const row = (await sql.get<Record<string, string>>(
      'SELECT first_response_due AS first, resolution_due AS resolve, tracking_no AS no FROM cases WHERE id = ?',
      c.id,
    ))!;
    expect(row.first).toBe('2026-11-30T15:59:59.999Z'); // end of Monday 30 Nov, China time
    expect(row.resolve).toBe('2026-12-04T15:59:59.999Z'); // Friday 4 Dec
    expect(row.no).toBe('20261127-0001');
  });

  it('across the National Day holiday the first answer is due on 8 October', async () => {
    const { sql, services } = buildApp({ now: () => new Date('2026-09-30T02:00:00Z') });
    const c = await aCase(sql, services);
    expect(await sql.value('SELECT first_response_due FROM cases WHERE id = ?', c.id)).toBe('2026-10-08T15:59:59.999Z');
  });

  it('an application gets the item’s promised time: working days, calendar days, or one working day for 当场办结', async () => {
    const monday = new Date('2026-11-23T02:00:00Z');
    const { sql, services } = buildApp({ now: () => monday });
    const h = await demoHousehold(sql);
    const plate = await services.places.plateByToken(h.token);
    const apply = async (name: string, limit: number, unit: string) => {
      const item = (await sql.get<{ id: number; code: string }>('SELECT id, code FROM catalog_items WHERE district_id = 1 AND name = ?', name))!;
      await sql.run('UPDATE catalog_items SET promised_limit = ?, promised_limit_unit = ?, can_apply = 1 WHERE id = ?', limit, unit, item.id);
      const real = (await services.catalog.applicableItem((await services.places.districtByCode('370812'))!.id, item.code))!;
      const { token } = await services.cases.submit({
        kind: 'apply',
        category: null,
        item: { id: real.id, promisedLimit: real.promisedLimit, promisedLimitUnit: real.promisedLimitUnit },
        villageId: plate.villageId,
        householdId: plate.householdId,
        plateId: plate.plateId,
        name: '孔令华',
        phone: '13912345678',
        anonymous: false,
        content: '申请办理这个事项',
        callbackTime: 'any',
        idempotencyKey: null,
        photos: [],
      });
      return await sql.value('SELECT resolution_due FROM cases WHERE token = ?', token);
    };
    expect(await apply('最低生活保障', 3, '工作日')).toBe('2026-11-26T15:59:59.999Z');
    expect(await apply('临时救助', 10, '自然日')).toBe('2026-12-03T15:59:59.999Z');
    expect(await apply('社会保障卡挂失', 0, '工作日')).toBe('2026-11-24T15:59:59.999Z');
  });

  it('tracking numbers count up within a day', async () => {
    const { sql, services } = buildApp({ now: () => new Date('2026-11-27T02:00:00Z') });
    const a = await aCase(sql, services);
    const b = await aCase(sql, services);
    expect([a.trackingNo, b.trackingNo]).toEqual(['20261127-0001', '20261127-0002']);
  });
});
