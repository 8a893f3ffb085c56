import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, aVillage } from '../helpers/builders.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';

describe('镇街与村居', () => {
  it('an admin adds a village with its plate and renames a township; bad codes are refused beside the field', async () => {
    const { app, services, sql } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, admin.username);
    await agent.get('/admin/places').expect(200);
    let csrf = await csrfFor(agent);
    const bad = await agent.post('/admin/places/villages').type('form').send({ _csrf: csrf, code: '3708', name: '新村' }).expect(400);
    expect(bad.text).toContain('村居代码应为 12 位数字');
    csrf = await csrfFor(agent);
    const taken = await agent.post('/admin/places/villages').type('form').send({ _csrf: csrf, code: '999999999201', name: '无镇村' }).expect(409);
    expect(taken.text).toContain('前 9 位不是已有的镇街代码');
    csrf = await csrfFor(agent);
    await agent.post('/admin/places/villages').type('form').send({ _csrf: csrf, code: '370812103290', name: '新建村' }).expect(303);
    const token = (await sql.value(
      "SELECT p.token FROM plates p JOIN villages v ON v.id = p.village_id WHERE v.code = '370812103290' AND p.kind = 'village'",
    )) as string;
    expect((await request(app).get(`/v/${token}`).expect(200)).text).toContain('新建村');
    csrf = await csrfFor(agent);
    await agent.post('/admin/places/towns/370812103').type('form').send({ _csrf: csrf, name: '颜店镇（示例）' }).expect(303);
    expect(await sql.value("SELECT name FROM towns WHERE code = '370812103'")).toBe('颜店镇（示例）');
  });

  it('staff rename villages in their scope only, and cannot add villages or rename townships', async () => {
    const { app, services, sql } = buildApp();
    const mine = await aVillage(sql, { townCode: '370812103', name: '本镇村' });
    const theirs = await aVillage(sql, { townCode: '370812107', name: '外镇村' });
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(app, staff.username);
    let csrf = await csrfFor(agent);
    await agent.post(`/admin/places/villages/${mine.code}`).type('form').send({ _csrf: csrf, name: '改名村' }).expect(303);
    csrf = await csrfFor(agent);
    await agent.post(`/admin/places/villages/${theirs.code}`).type('form').send({ _csrf: csrf, name: '不该改' }).expect(404);
    csrf = await csrfFor(agent);
    await agent.post('/admin/places/villages').type('form').send({ _csrf: csrf, code: '370812103291', name: 'x' }).expect(403);
    csrf = await csrfFor(agent);
    await agent.post('/admin/places/towns/370812103').type('form').send({ _csrf: csrf, name: 'x' }).expect(403);
    expect(await sql.value('SELECT name FROM villages WHERE id = ?', theirs.id)).toBe('外镇村');
    const cadre = await aUser(services, { role: 'cadre', cadreId: (await aCadre(sql, { villageId: mine.id })).id });
    await (await signIn(app, cadre.username)).get('/admin/places').expect(403);
  });
});
