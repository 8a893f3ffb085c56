import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aHousehold, aVillage } from '../helpers/builders.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';

describe('住户管理', () => {
  it('staff add a household (with a plate) and correct one; bad input is refused beside the field', async () => {
    const { app, services, sql } = buildApp();
    const v = await aVillage(sql, { name: '管理村', townCode: '370812103' });
    const h = await aHousehold(sql, { villageId: v.id, address: '1号' });
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(app, staff.username);
    const list = await agent.get(`/admin/villages/${v.code}/households`).expect(200);
    expect(list.text).toContain('1号');
    let csrf = await csrfFor(agent);
    const bad = await agent
      .post(`/admin/villages/${v.code}/households`)
      .type('form')
      .send({ _csrf: csrf, address: '', contactName: '', contactPhone: '12', notes: '' })
      .expect(400);
    expect(bad.text).toContain('请填写门牌地址');
    expect(bad.text).toContain('手机号应为 11 位数字');
    csrf = await csrfFor(agent);
    const taken = await agent
      .post(`/admin/villages/${v.code}/households`)
      .type('form')
      .send({ _csrf: csrf, address: '1号', contactName: '', contactPhone: '', notes: '' })
      .expect(409);
    expect(taken.text).toContain('本村已有这个门牌地址');
    csrf = await csrfFor(agent);
    await agent
      .post(`/admin/villages/${v.code}/households`)
      .type('form')
      .send({ _csrf: csrf, address: '2号', contactName: '颜秀英', contactPhone: '13912345678', notes: '' })
      .expect(303);
    expect(
      await sql.value(
        "SELECT count(*) FROM plates p JOIN households h ON h.id = p.household_id WHERE h.address = '2号' AND h.village_id = ? AND p.status = 'active'",
        v.id,
      ),
    ).toBe(1);
    csrf = await csrfFor(agent);
    await agent
      .post(`/admin/villages/${v.code}/households/${h.id}`)
      .type('form')
      .send({ _csrf: csrf, address: '1号', contactName: '改名', contactPhone: '', notes: '低保户' })
      .expect(303);
    expect(await sql.get('SELECT contact_name, notes FROM households WHERE id = ?', h.id)).toEqual({ contact_name: '改名', notes: '低保户' });
    expect(await sql.value("SELECT count(*) FROM audit_log WHERE action IN ('household_added', 'household_changed')")).toBe(2);
  });

  it('staff of another township get 404; cadres and anonymous visitors are refused', async () => {
    const { app, services, sql } = buildApp();
    const v = await aVillage(sql, { townCode: '370812103' });
    const h = await aHousehold(sql, { villageId: v.id });
    const other = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812107' }] });
    const agent = await signIn(app, other.username);
    await agent.get(`/admin/villages/${v.code}/households`).expect(404);
    const csrf = await csrfFor(agent);
    await agent
      .post(`/admin/villages/${v.code}/households/${h.id}`)
      .type('form')
      .send({ _csrf: csrf, address: 'x', contactName: '', contactPhone: '', notes: '' })
      .expect(404);
    await request(app).get(`/admin/villages/${v.code}/households`).expect(303);
  });
});
