import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';

describe('事项管理', () => {
  it('an admin edits every field of an item, with bad input refused beside the field, and unpublishes it', async () => {
    const { app, services, sql } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, admin.username);
    const code = (await sql.value("SELECT code FROM catalog_items WHERE district_id = 1 AND name = '最低生活保障'")) as string;
    const list = await agent.get('/admin/catalog?q=最低生活').expect(200);
    expect(list.text).toContain(`/admin/catalog/${code}`);
    const page = await agent.get(`/admin/catalog/${code}`).expect(200);
    const fields = Object.fromEntries(
      [...page.text.matchAll(/<input id="f-\d+" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]!.replace(/&#34;/g, '"').replace(/&amp;/g, '&')]),
    );
    const areas = Object.fromEntries(
      [...page.text.matchAll(/<textarea id="f-\d+" name="([^"]+)" rows="4">([^<]*)<\/textarea>/g)].map((m) => [
        m[1],
        m[2]!.replace(/&#34;/g, '"').replace(/&amp;/g, '&'),
      ]),
    );
    const selects = Object.fromEntries(
      [...page.text.matchAll(/<select id="f-\d+" name="([^"]+)">([\s\S]*?)<\/select>/g)].map((m) => [
        m[1],
        /<option selected>([^<]*)<\/option>/.exec(m[2]!)?.[1] ?? '',
      ]),
    );
    expect(Object.keys(fields).length + Object.keys(areas).length + Object.keys(selects).length).toBe(37);
    Object.assign(fields, selects);
    let csrf = await csrfFor(agent);
    const bad = await agent
      .post(`/admin/catalog/${code}`)
      .type('form')
      .send({ ...fields, ...areas, _csrf: csrf, 承诺办结时限: '九十九天' })
      .expect(400);
    expect(bad.text).toContain('应为 0 到 3650 的整数');
    expect(bad.text).toContain('value="九十九天"');
    csrf = await csrfFor(agent);
    await agent
      .post(`/admin/catalog/${code}`)
      .type('form')
      .send({ ...fields, ...areas, _csrf: csrf, 办理地点: '颜店镇便民服务中心一楼3号窗口' })
      .expect(303);
    const guide = await request(app).get(`/services/${code}?d=370812`).expect(200);
    expect(guide.text).toContain('颜店镇便民服务中心一楼3号窗口');
    csrf = await csrfFor(agent);
    await agent.post(`/admin/catalog/${code}`).type('form').send({ _csrf: csrf, only: 'publish', publish: '0' }).expect(303);
    await request(app).get(`/services/${code}?d=370812`).expect(404);
    // 曲阜市 has its own 最低生活保障, under the same code, untouched
    expect((await request(app).get(`/services/${code}?d=370881`).expect(200)).text).not.toContain('颜店镇便民服务中心一楼3号窗口');
    expect(await sql.column("SELECT action FROM audit_log WHERE action LIKE 'item_%' ORDER BY id")).toEqual(['item_changed', 'item_unpublished']);
  });

  it('township staff may look but not change; cadres may not look', async () => {
    const { app, services, sql } = buildApp();
    const code = (await sql.value('SELECT code FROM catalog_items ORDER BY id LIMIT 1')) as string;
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(app, staff.username);
    await agent.get('/admin/catalog').expect(200);
    await agent.get(`/admin/catalog/${code}`).expect(403);
    const csrf = await csrfFor(agent);
    await agent.post(`/admin/catalog/${code}`).type('form').send({ _csrf: csrf, only: 'publish', publish: '0' }).expect(403);
    expect(await sql.value('SELECT published FROM catalog_items WHERE district_id = 1 AND code = ?', code)).toBe(1);
  });
});
