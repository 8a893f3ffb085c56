import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, aVillage } from '../helpers/builders.js';
import { aCase } from '../helpers/cases.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';

describe('常用回复 reply templates', () => {
  it('staff add one; bad input is refused beside the field; cadres cannot manage them', async () => {
    const { app, services, db } = buildApp();
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
    expect(db.prepare("SELECT count(*) FROM reply_templates WHERE title = '路灯已报修'").pluck().get()).toBe(1);
    expect(db.prepare("SELECT count(*) FROM audit_log WHERE action = 'template_added'").pluck().get()).toBe(1);

    const v = aVillage(db);
    const cadre = await aUser(services, { role: 'cadre', cadreId: aCadre(db, { villageId: v.id }).id });
    const cadreAgent = await signIn(app, cadre.username);
    await cadreAgent.get('/admin/templates').expect(403);
  });

  it('a case offers the templates for its kind, and a template fills the reply box without JavaScript', async () => {
    const { app, services, db } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const c = await aCase(db, services);
    const agent = await signIn(app, admin.username);
    const page = await agent.get(`/admin/cases/${c.id}`).expect(200);
    expect(page.text).toContain('已电话联系'); // help template
    expect(page.text).not.toContain('材料齐全，代办中'); // apply template
    const tpl = db.prepare("SELECT id, body FROM reply_templates WHERE title = '已电话联系'").get() as { id: number; body: string };
    const filled = await agent.get(`/admin/cases/${c.id}?tpl=${tpl.id}`).expect(200);
    expect(filled.text).toContain(`>${tpl.body}</textarea>`);
  });

  it('templates belong to a township or the district: township staff keep only their own, and a case sees the district’s and its township’s', async () => {
    const { app, services, db } = buildApp();
    const yandian = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const caohe = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812107' }] });
    const yAgent = await signIn(app, yandian.username);
    const cAgent = await signIn(app, caohe.username);
    await yAgent
      .post('/admin/templates')
      .type('form')
      .send({ _csrf: await csrfFor(yAgent), kind: 'help', category: '', title: '颜店专用', body: '颜店镇便民中心已安排人员联系您。' })
      .expect(303);
    const mine = db.prepare("SELECT id, town_code FROM reply_templates WHERE title = '颜店专用'").get() as { id: number; town_code: string };
    expect(mine.town_code).toBe('370812103');
    const district = db.prepare("SELECT id FROM reply_templates WHERE title = '已电话联系'").pluck().get() as number;

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
    expect(db.prepare('SELECT count(*) FROM reply_templates WHERE id IN (?, ?)').pluck().get(mine.id, district)).toBe(2);

    // A case in 漕河 is not offered 颜店's template, even by id; a case in 颜店 is.
    const admin = await aUser(services, { role: 'admin' });
    const aAgent = await signIn(app, admin.username);
    const caoheVillage = db.prepare("SELECT id FROM villages WHERE code LIKE '370812107%' LIMIT 1").pluck().get() as number;
    const yandianVillage = db.prepare("SELECT id FROM villages WHERE code LIKE '370812103%' LIMIT 1").pluck().get() as number;
    const inCaohe = await aCase(db, services);
    db.prepare('UPDATE cases SET village_id = ?, household_id = NULL WHERE id = ?').run(caoheVillage, inCaohe.id);
    const inYandian = await aCase(db, services);
    db.prepare('UPDATE cases SET village_id = ?, household_id = NULL WHERE id = ?').run(yandianVillage, inYandian.id);
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
