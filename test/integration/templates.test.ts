import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, aVillage } from '../helpers/builders.js';
import { aCase } from '../helpers/cases.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';

describe('常用回复 reply templates', () => {
  it('staff add one; bad input is refused beside the field; cadres cannot manage them', async () => {
    const { app, services, sql } = buildApp();
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'district', code: '370812' }] });
    const agent = await signIn(app, staff.username);
    let csrf = await csrfFor(agent);
    const bad = await agent
      .post('/admin/templates')
      .type('form')
      .send({ _csrf: csrf, kind: 'speak', category: 'complaint', title: '', body: '短' })
      .expect(400);
    expect(bad.text).toContain('请填写标题');
    expect(bad.text).toContain('回复内容至少 5 个字');
    csrf = await csrfFor(agent);
    await agent
      .post('/admin/templates')
      .type('form')
      .send({ _csrf: csrf, kind: 'speak', category: 'complaint', title: '路灯已报修', body: '您好，路灯已报修给镇供电所，三天内修好。' })
      .expect(303);
    expect(await sql.value("SELECT count(*) FROM reply_templates WHERE title = '路灯已报修'")).toBe(1);
    expect(await sql.value("SELECT count(*) FROM audit_log WHERE action = 'template_added'")).toBe(1);

    const v = await aVillage(sql);
    const cadre = await aUser(services, { role: 'cadre', cadreId: (await aCadre(sql, { villageId: v.id })).id });
    const cadreAgent = await signIn(app, cadre.username);
    await cadreAgent.get('/admin/templates').expect(403);
  });

  it('a case offers the templates for its kind, and a template fills the reply box without JavaScript', async () => {
    const { app, services, sql } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const c = await aCase(sql, services);
    const agent = await signIn(app, admin.username);
    const page = await agent.get(`/admin/cases/${c.id}`).expect(200);
    expect(page.text).toContain('已电话联系'); // help template
    expect(page.text).not.toContain('材料齐全，代办中'); // apply template
    const tpl = (await sql.get<{ id: number; body: string }>("SELECT id, body FROM reply_templates WHERE title = '已电话联系' ORDER BY id LIMIT 1"))!;
    const filled = await agent.get(`/admin/cases/${c.id}?tpl=${tpl.id}`).expect(200);
    expect(filled.text).toContain(`>${tpl.body}</textarea>`);
  });

  it('templates belong to a township or the district: township staff keep only their own, and a case sees the district’s and its township’s', async () => {
    const { app, services, sql } = buildApp();
    const yandian = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const caohe = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812107' }] });
    const yAgent = await signIn(app, yandian.username);
    const cAgent = await signIn(app, caohe.username);
    await yAgent
      .post('/admin/templates')
      .type('form')
      .send({ _csrf: await csrfFor(yAgent), kind: 'help', category: '', title: '颜店专用', body: '颜店镇便民中心已安排人员联系您。' })
      .expect(303);
    const mine = (await sql.get<{ id: number; town_code: string }>("SELECT id, town_code FROM reply_templates WHERE title = '颜店专用'"))!;
    expect(mine.town_code).toBe('370812103');
    const district = (await sql.value<number>("SELECT id FROM reply_templates WHERE title = '已电话联系' ORDER BY id LIMIT 1"))!;

    // Another township's staff can neither see nor delete it, nor delete the district's.
    expect((await cAgent.get('/admin/templates').expect(200)).text).not.toContain('颜店专用');
    await cAgent
      .post(`/admin/templates/${mine.id}/delete`)
      .type('form')
      .send({ _csrf: await csrfFor(cAgent) })
      .expect(404);
    await cAgent
      .post(`/admin/templates/${district}/delete`)
      .type('form')
      .send({ _csrf: await csrfFor(cAgent) })
      .expect(404);
    // Nor file one under a township that is not theirs.
    await cAgent
      .post('/admin/templates')
      .type('form')
      .send({ _csrf: await csrfFor(cAgent), kind: '', category: '', town: '370812103', title: '冒名', body: '冒名顶替的常用回复。' })
      .expect(400);
    expect(await sql.value('SELECT count(*) FROM reply_templates WHERE id IN (?, ?)', mine.id, district)).toBe(2);

    // A case in 漕河 is not offered 颜店's template, even by id; a case in 颜店 is.
    const admin = await aUser(services, { role: 'admin' });
    const aAgent = await signIn(app, admin.username);
    const caoheVillage = await sql.value<number>("SELECT id FROM villages WHERE code LIKE '370812107%' ORDER BY id LIMIT 1");
    const yandianVillage = await sql.value<number>("SELECT id FROM villages WHERE code LIKE '370812103%' ORDER BY id LIMIT 1");
    const inCaohe = await aCase(sql, services);
    expect(await sql.run('UPDATE cases SET village_id = ?, household_id = NULL WHERE id = ?', caoheVillage, inCaohe.id)).toBe(1);
    const inYandian = await aCase(sql, services);
    expect(await sql.run('UPDATE cases SET village_id = ?, household_id = NULL WHERE id = ?', yandianVillage, inYandian.id)).toBe(1);
    expect((await aAgent.get(`/admin/cases/${inCaohe.id}`).expect(200)).text).not.toContain('颜店专用');
    expect((await aAgent.get(`/admin/cases/${inCaohe.id}?tpl=${mine.id}`).expect(200)).text).not.toContain('颜店镇便民中心已安排人员联系您');
    expect((await aAgent.get(`/admin/cases/${inYandian.id}`).expect(200)).text).toContain('颜店专用');

    // The township's own staff delete it.
    await yAgent
      .post(`/admin/templates/${mine.id}/delete`)
      .type('form')
      .send({ _csrf: await csrfFor(yAgent) })
      .expect(303);
  });
});
