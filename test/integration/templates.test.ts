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
    const bad = await agent.post('/admin/templates').type('form').send({ _csrf: csrf, kind: 'speak', category: 'complaint', title: '', body: '短' }).expect(400);
    expect(bad.text).toContain('请填写标题');
    expect(bad.text).toContain('回复内容至少 5 个字');
    csrf = await csrfFor(agent);
    await agent.post('/admin/templates').type('form').send({ _csrf: csrf, kind: 'speak', category: 'complaint', title: '路灯已报修', body: '您好，路灯已报修给镇供电所，三天内修好。' }).expect(303);
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
    const c = aCase(db, services);
    const agent = await signIn(app, admin.username);
    const page = await agent.get(`/admin/cases/${c.id}`).expect(200);
    expect(page.text).toContain('已电话联系'); // help template
    expect(page.text).not.toContain('材料齐全，代办中'); // apply template
    const tpl = db.prepare("SELECT id, body FROM reply_templates WHERE title = '已电话联系'").get() as { id: number; body: string };
    const filled = await agent.get(`/admin/cases/${c.id}?tpl=${tpl.id}`).expect(200);
    expect(filled.text).toContain(`>${tpl.body}</textarea>`);
  });
});
