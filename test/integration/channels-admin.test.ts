import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, aVillage } from '../helpers/builders.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';

/** The demo district, two of its townships, a village in each, a channel at every level, and their people. */
async function setUp() {
  const stack = buildApp();
  const { services, sql, app } = stack;
  const a = await aVillage(sql, { name: '甲庄村', townCode: '370812103' });
  const b = await aVillage(sql, { name: '乙屯村', townCode: '370812107' });
  const add = (scopeCode: string, key: string) =>
    services.notifications.addChannel({ kind: 'wecom', url: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${key}`, scopeCode });
  const channels = {
    district: await add('370812', 'DISTRICT'),
    townA: await add('370812103', 'TOWNA'),
    villageA: await add(a.code, 'VILLAGEA'),
    townB: await add('370812107', 'TOWNB'),
    villageB: await add(b.code, 'VILLAGEB'),
  };
  const staffA = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
  const cadre = await aCadre(sql, { villageId: a.id, phone: '19900007300' });
  const cadreUser = await aUser(services, { role: 'cadre', cadreId: cadre.id });
  return { ...stack, a, b, channels, staffA: await signIn(app, staffA.username), cadre: await signIn(app, cadreUser.username) };
}

const live = async (sql: { column<T>(text: string): Promise<T[]> }) =>
  sql.column<number>('SELECT id FROM notification_channels WHERE removed_at IS NULL ORDER BY id');

describe('township staff manage their own channels at /admin/channels', () => {
  it('when township staff open the page, then they see their township’s and villages’ channels only, and how to add one', async () => {
    const { staffA } = await setUp();
    const page = await staffA.get('/admin/channels').expect(200);
    expect(page.text).toContain('颜店镇（370812103）');
    expect(page.text).toContain('甲庄村');
    expect(page.text).not.toContain('乙屯村');
    expect(page.text).not.toContain('漕河镇（370812107）');
    // The district's channel is the admins'.
    expect(page.text).not.toContain('（370812）');
    expect(page.text).toContain('可以添加颜店镇（370812103）及其下各村的渠道');
    // Addresses masked as for admins.
    expect(page.text).not.toContain('TOWNA');
    const log = await staffA.get('/admin/notifications').expect(200);
    expect(log.text).toContain('href="/admin/channels"');
  });

  it('when township staff add a channel for their township or one of its villages, then it is added and audited', async () => {
    const { staffA, sql, a } = await setUp();
    const csrf = await csrfFor(staffA);
    for (const scopeCode of ['370812103', a.code]) {
      await staffA
        .post('/admin/channels')
        .type('form')
        .send({ _csrf: csrf, kind: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send?access_token=T', secret: 'SEC1', scopeCode })
        .expect(303)
        .expect('location', '/admin/channels?done=added');
    }
    expect(await sql.column("SELECT scope_code FROM notification_channels WHERE kind = 'dingtalk' ORDER BY id")).toEqual(['370812103', a.code]);
    expect(await sql.value("SELECT count(*) FROM audit_log WHERE action = 'channel_added'")).toBe(2);
  });

  it('when township staff add one for the district, another township or its village, then it is refused beside the field and nothing is added', async () => {
    const { staffA, sql, b } = await setUp();
    const before = await live(sql);
    const csrf = await csrfFor(staffA);
    for (const scopeCode of ['370812', '370812107', b.code]) {
      const res = await staffA
        .post('/admin/channels')
        .type('form')
        .send({ _csrf: csrf, kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=X', scopeCode })
        .expect(400);
      expect(res.text).toContain('只能添加本镇（街道）或其下各村的渠道');
      expect(res.text).toContain(`value="${scopeCode}"`);
    }
    expect(await live(sql)).toEqual(before);
  });

  it('when township staff remove their township’s or village’s channel, then it is removed; another township’s or the district’s is 404 and stays', async () => {
    const { staffA, sql, channels } = await setUp();
    const csrf = await csrfFor(staffA);
    await staffA.post(`/admin/channels/${channels.villageA}/remove`).type('form').send({ _csrf: csrf }).expect(303);
    await staffA.post(`/admin/channels/${channels.townA}/remove`).type('form').send({ _csrf: csrf }).expect(303);
    await staffA.post(`/admin/channels/${channels.townB}/remove`).type('form').send({ _csrf: csrf }).expect(404);
    await staffA.post(`/admin/channels/${channels.villageB}/remove`).type('form').send({ _csrf: csrf }).expect(404);
    await staffA.post(`/admin/channels/${channels.district}/remove`).type('form').send({ _csrf: csrf }).expect(404);
    expect(await live(sql)).toEqual([channels.district, channels.townB, channels.villageB]);
  });

  it('when a cadre opens, adds or removes channels, then 403 and nothing changes', async () => {
    const { cadre, sql, a, channels } = await setUp();
    const before = await live(sql);
    await cadre.get('/admin/channels').expect(403);
    const csrf = await csrfFor(cadre);
    await cadre
      .post('/admin/channels')
      .type('form')
      .send({ _csrf: csrf, kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=X', scopeCode: a.code })
      .expect(403);
    await cadre.post(`/admin/channels/${channels.villageA}/remove`).type('form').send({ _csrf: csrf }).expect(403);
    expect(await live(sql)).toEqual(before);
  });

  it('when a post comes without its CSRF token, or without a session, then it is refused and nothing changes', async () => {
    const { staffA, sql, app, a, channels } = await setUp();
    const before = await live(sql);
    await staffA
      .post('/admin/channels')
      .type('form')
      .send({ kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=X', scopeCode: a.code })
      .expect(403);
    await staffA.post(`/admin/channels/${channels.villageA}/remove`).type('form').send({ _csrf: 'forged' }).expect(403);
    await request(app).post(`/admin/channels/${channels.villageA}/remove`).type('form').send({}).expect(303).expect('location', '/admin/login');
    expect(await live(sql)).toEqual(before);
  });
});
