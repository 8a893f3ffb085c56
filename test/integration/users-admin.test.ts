import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, aVillage } from '../helpers/builders.js';
import { aUser, csrfFor, PASSWORD, signIn } from '../helpers/staff.js';
import { agentFor, openForm } from '../helpers/forms.js';

describe('admins manage users', () => {
  it('adds a township staff member who then sees only that township; bad input is refused beside the field', async () => {
    const { app, services, sql } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, admin.username);
    let csrf = await csrfFor(agent);
    const bad = await agent
      .post('/admin/users')
      .type('form')
      .send({ _csrf: csrf, districtCode: '370812', username: 'x', displayName: '', role: 'staff', password: 'short', towns: '999999999' })
      .expect(400);
    expect(bad.text).toContain('用户名应为 3-32 位');
    expect(bad.text).toContain('请填写姓名');
    expect(bad.text).toContain('新密码至少 10 位');
    csrf = await csrfFor(agent);
    const unknown = await agent
      .post('/admin/users')
      .type('form')
      .send({ _csrf: csrf, districtCode: '370812', username: 'wang.yd', displayName: '王玉东', role: 'staff', password: 'town-password-1', towns: '370812999' })
      .expect(400);
    expect(unknown.text).toContain('没有代码为 370812999 的镇街或村居');
    expect(unknown.text).toContain('value="wang.yd"');
    for (const [password, message] of [
      ['password12', '常见密码'],
      ['wang.yd-2026', '不能包含用户名'],
      ['          ', '不能全是空格'],
    ]) {
      csrf = await csrfFor(agent);
      const weak = await agent
        .post('/admin/users')
        .type('form')
        .send({ _csrf: csrf, districtCode: '370812', username: 'wang.yd', displayName: '王玉东', role: 'staff', password, towns: '370812103' })
        .expect(400);
      expect(weak.text, password).toContain(message);
    }
    csrf = await csrfFor(agent);
    await agent
      .post('/admin/users')
      .type('form')
      .send({ _csrf: csrf, districtCode: '370812', username: 'wang.yd', displayName: '王玉东', role: 'staff', password: 'town-password-1', towns: '370812103' })
      .expect(303);
    const u = (await services.staff.sessionUser((await services.staff.findUser('wang.yd'))!.id))!;
    const yandian = await sql.column<number>("SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.code = '370812103' ORDER BY v.id");
    expect([...u.scope.villageIds].sort()).toEqual(yandian.sort());
    await signIn(app, 'wang.yd', 'town-password-1');
  });

  it('links a cadre user to a cadre profile by phone', async () => {
    const { app, services, sql } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const v = await aVillage(sql);
    await aCadre(sql, { villageId: v.id, phone: '19900007001' });
    const agent = await signIn(app, admin.username);
    const csrf = await csrfFor(agent);
    await agent
      .post('/admin/users')
      .type('form')
      .send({
        _csrf: csrf,
        districtCode: '370812',
        username: 'li.cadre',
        displayName: '李干部',
        role: 'cadre',
        password: 'cadre-password-1',
        cadrePhone: '19900007001',
      })
      .expect(303);
    const u = (await services.staff.sessionUser((await services.staff.findUser('li.cadre'))!.id))!;
    expect([...u.scope.villageIds]).toEqual([v.id]);
  });

  it('a deactivated user can no longer sign in, and their session ends', async () => {
    const { app, services } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'district', code: '370812' }] });
    const staffAgent = await signIn(app, staff.username);
    const agent = await signIn(app, admin.username);
    const csrf = await csrfFor(agent);
    await agent.post(`/admin/users/${staff.id}/active`).type('form').send({ _csrf: csrf, active: '0' }).expect(303);
    await staffAgent.get('/admin').expect(303);
    const fresh = agentFor(app);
    const form = await openForm(fresh, '/admin/login');
    await fresh.post('/admin/login').type('form').send({ _csrf: form.csrf, username: staff.username, password: PASSWORD }).expect(401);
  });

  it('only admins manage users', async () => {
    const { app, services } = buildApp();
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'district', code: '370812' }] });
    const agent = await signIn(app, staff.username);
    await agent.get('/admin/users').expect(403);
    const csrf = await csrfFor(agent);
    await agent
      .post('/admin/users')
      .type('form')
      .send({ _csrf: csrf, username: 'sneaky', displayName: '偷偷', role: 'admin', password: 'sneaky-password-1' })
      .expect(403);
    expect(await services.staff.findUser('sneaky')).toBeUndefined();
  });

  it('scopes are chosen from lists of places and shown by name, not typed or listed as codes', async () => {
    const { app, services, sql } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, admin.username);
    const page = await agent.get('/admin/users').expect(200);
    expect(page.text).toContain('<input type="checkbox" name="towns" value="370812103">');
    const shiCode = (await sql.value<string>("SELECT code FROM villages WHERE name = '史村' ORDER BY id LIMIT 1"))!;
    expect(page.text).toContain(`<option value="${shiCode}">史村</option>`);
    const csrf = await csrfFor(agent);
    await agent
      .post('/admin/users')
      .type('form')
      .send(
        `_csrf=${encodeURIComponent(csrf)}&username=two.towns&displayName=${encodeURIComponent('两镇人员')}&districtCode=370812&role=staff&password=two-towns-secret-9&towns=370812103&towns=370812107&villages=${shiCode}`,
      )
      .expect(303);
    const list = await agent.get('/admin/users').expect(200);
    const row = list.text.slice(list.text.indexOf('two.towns'));
    expect(row.slice(0, 400)).toContain('颜店镇、漕河镇');
    expect(row.slice(0, 400)).not.toContain('town:370812103');
    const audit = await agent.get('/admin/audit').expect(200);
    expect(audit.text).toMatch(/测试人员\d+ <small>\(user\d+\)<\/small>/);
  });

  it('a user works in one district: a city administrator names it; a place of another district, or none for staff, is refused beside the field', async () => {
    const { app, services } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, admin.username);
    const page = (await agent.get('/admin/users').expect(200)).text;
    expect(page).toContain('<option value="370881">曲阜市</option>');
    let csrf = await csrfFor(agent);
    const elsewhere = await agent
      .post('/admin/users')
      .type('form')
      .send({ _csrf: csrf, districtCode: '370881', username: 'mixed', displayName: '混合', role: 'staff', password: 'mixed-password-91', towns: '370812103' })
      .expect(400);
    expect(elsewhere.text).toContain('370812103');
    csrf = await csrfFor(agent);
    const none = await agent
      .post('/admin/users')
      .type('form')
      .send({ _csrf: csrf, districtCode: '', username: 'nowhere', displayName: '无区', role: 'staff', password: 'nowhere-password-91', towns: '370812103' })
      .expect(400);
    expect(none.text).toContain('请选择所属区县');
    expect(await services.staff.findUser('mixed')).toBeUndefined();
    expect(await services.staff.findUser('nowhere')).toBeUndefined();
    // a district administrator of 曲阜市 adds users to 曲阜市 only, and sees no district choice
    const qufuId = (await services.places.districtByCode('370881'))!.id;
    await services.staff.createUser({
      username: 'qufu.admin',
      displayName: '曲阜管理员',
      password: 'correct-horse-battery',
      role: 'admin',
      districtId: qufuId,
    });
    const qufu = await signIn(app, 'qufu.admin', 'correct-horse-battery');
    expect((await qufu.get('/admin/users').expect(200)).text).not.toContain('name="districtCode"');
    csrf = await csrfFor(qufu);
    await qufu
      .post('/admin/users')
      .type('form')
      .send({ _csrf: csrf, districtCode: '370812', username: 'sneak2', displayName: '越界', role: 'staff', password: 'sneak2-password-91', towns: '370812103' })
      .expect(400);
    expect(await services.staff.findUser('sneak2')).toBeUndefined();
  });
});
