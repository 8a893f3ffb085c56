import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import type { TestSql } from '../helpers/sql.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';

const plateOfTown = async (sql: TestSql, townCode: string) =>
  (await sql.value<string>(
    `SELECT p.token FROM plates p JOIN villages v ON v.id = p.village_id JOIN towns t ON t.id = v.town_id
            WHERE t.code = ? AND p.kind = 'household' AND p.status = 'active' ORDER BY p.id LIMIT 1`,
    townCode,
  ))!;

describe('便民服务中心 of each town, kept by admins', () => {
  it('when an admin sets a town’s centre, then the guides reached from that town’s plates show it', async () => {
    const { app, services, sql } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, admin.username);
    const page = await agent.get('/admin/places').expect(200);
    expect(page.text).toContain('action="/admin/places/towns/370812103/centre"');
    const csrf = await csrfFor(agent);
    await agent
      .post('/admin/places/towns/370812103/centre')
      .type('form')
      .send({ _csrf: csrf, address: '颜店镇府前街8号 便民服务中心', hours: '工作日 8:30-12:00，14:00-17:30；周六上午值班', phone: '0537-1510103' })
      .expect(303);
    const code = (await sql.value("SELECT code FROM catalog_items WHERE name = '最低生活保障'")) as string;
    const res = await request(app)
      .get(`/services/${code}`)
      .set('Cookie', `mashang_home=/p/${await plateOfTown(sql, '370812103')}`)
      .expect(200);
    expect(res.text).toContain('颜店镇府前街8号 便民服务中心');
    expect(res.text).toContain('周六上午值班');
    expect(await sql.value("SELECT action FROM audit_log WHERE action = 'town_centre_set'")).toBe('town_centre_set');
  });

  it('empty hours or a phone with letters are refused; staff cannot set a centre; an unknown town is 404', async () => {
    const { app, services } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, admin.username);
    let csrf = await csrfFor(agent);
    const bad = await agent.post('/admin/places/towns/370812103/centre').type('form').send({ _csrf: csrf, address: '', hours: ' ', phone: '' }).expect(400);
    expect(bad.text).toContain('请填写办理时间');
    csrf = await csrfFor(agent);
    const phone = await agent
      .post('/admin/places/towns/370812103/centre')
      .type('form')
      .send({ _csrf: csrf, address: '', hours: '工作日', phone: 'call me' })
      .expect(400);
    expect(phone.text).toContain('电话只能有数字');
    csrf = await csrfFor(agent);
    await agent.post('/admin/places/towns/999999999/centre').type('form').send({ _csrf: csrf, address: '', hours: '工作日', phone: '' }).expect(404);
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const staffAgent = await signIn(app, staff.username);
    csrf = await csrfFor(staffAgent);
    await staffAgent.post('/admin/places/towns/370812103/centre').type('form').send({ _csrf: csrf, address: 'x', hours: 'y', phone: '' }).expect(403);
  });
});
