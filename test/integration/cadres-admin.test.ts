import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, aHousehold, aVillage } from '../helpers/builders.js';
import { png } from '../helpers/images.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('干部管理', () => {
  it('staff add a cadre, correct one, give a photo that villagers then see, and remove one from the village', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-cadres-'));
    dirs.push(dir);
    const { app, services, sql } = buildApp({ config: { dataDir: dir } });
    const v = await aVillage(sql, { name: '干部村', townCode: '370812103' });
    const h = await aHousehold(sql, { villageId: v.id });
    const old = await aCadre(sql, { villageId: v.id, name: '老书记', role: 'party_secretary', phone: '19900007100' });
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(app, staff.username);
    let csrf = await csrfFor(agent);
    const bad = await agent
      .post(`/admin/villages/${v.code}/cadres`)
      .type('form')
      .send({ _csrf: csrf, name: '', role: 'mayor', phone: '123', dutyHours: '' })
      .expect(400);
    expect(bad.text).toContain('请填写姓名');
    expect(bad.text).toContain('请选择职务');
    csrf = await csrfFor(agent);
    await agent
      .post(`/admin/villages/${v.code}/cadres`)
      .type('form')
      .send({ _csrf: csrf, name: '新网格员', role: 'grid_worker', phone: '199-0000-7101', dutyHours: '8:00-20:00' })
      .expect(303);
    csrf = await csrfFor(agent);
    await agent
      .post(`/admin/villages/${v.code}/cadres/${old.id}`)
      .type('form')
      .send({ _csrf: csrf, name: '老书记', role: 'party_secretary', phone: '19900007100', dutyHours: '工作日全天' })
      .expect(303);
    csrf = await csrfFor(agent);
    await agent
      .post(`/admin/villages/${v.code}/cadres/${old.id}/photo`)
      .field('_csrf', csrf)
      .attach('photo', await png(), 'me.png')
      .expect(303);
    const help = await request(app).get(`/p/${h.token}/help`).expect(200);
    expect(help.text).toContain('新网格员');
    expect(help.text).toContain('工作日全天');
    expect(help.text).toContain(`src="/cadres/${old.id}/photo.jpg"`);
    const photo = await request(app).get(`/cadres/${old.id}/photo.jpg`).expect(200);
    expect(photo.headers['content-type']).toBe('image/jpeg');
    csrf = await csrfFor(agent);
    const file = (await sql.value('SELECT photo_path FROM cadres WHERE id = ?', old.id)) as string;
    expect(fs.existsSync(path.join(dir, 'cadres', file))).toBe(true);
    const confirm = await agent.get(`/admin/villages/${v.code}/cadres/${old.id}/remove`).expect(200);
    expect(confirm.text).toContain('确认把这位干部移出本村');
    expect(confirm.text).toContain('老书记');
    expect((await request(app).get(`/p/${h.token}/help`)).text).toContain('老书记');
    await agent.post(`/admin/villages/${v.code}/cadres/${old.id}/remove`).type('form').send({ _csrf: csrf }).expect(303);
    expect((await request(app).get(`/p/${h.token}/help`)).text).not.toContain('老书记');
    // A cadre who serves no village any more has no public photo: the URL is gone and so is the file.
    await request(app).get(`/cadres/${old.id}/photo.jpg`).expect(404);
    expect(fs.existsSync(path.join(dir, 'cadres', file))).toBe(false);
  });

  it('staff of another township get 404; a phone that belongs to another cadre is refused', async () => {
    const { app, services, sql } = buildApp();
    const v = await aVillage(sql, { townCode: '370812103' });
    const a = await aCadre(sql, { villageId: v.id, phone: '19900007200' });
    await aCadre(sql, { villageId: v.id, phone: '19900007201', name: '另一位' });
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(app, staff.username);
    const csrf = await csrfFor(agent);
    const taken = await agent
      .post(`/admin/villages/${v.code}/cadres/${a.id}`)
      .type('form')
      .send({ _csrf: csrf, name: '甲', role: 'grid_worker', phone: '19900007201', dutyHours: '' })
      .expect(409);
    expect(taken.text).toContain('这个手机号已属于另一位干部');
    const other = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812107' }] });
    const otherAgent = await signIn(app, other.username);
    await otherAgent.get(`/admin/villages/${v.code}/cadres`).expect(404);
  });

  it('a phone that belongs to another township’s cadre is refused beside the field, the cadre is untouched, and the audit names their real villages', async () => {
    const { app, services, sql } = buildApp();
    const mine = await aVillage(sql, { name: '本镇村', townCode: '370812103' });
    const theirs = await aVillage(sql, { name: '他镇村', townCode: '370812107' });
    const h = await aHousehold(sql, { villageId: theirs.id });
    const cadre = await aCadre(sql, { villageId: theirs.id, name: '真书记', role: 'party_secretary', phone: '19900007300' });
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(app, staff.username);
    const csrf = await csrfFor(agent);
    const res = await agent
      .post(`/admin/villages/${mine.code}/cadres`)
      .type('form')
      .send({ _csrf: csrf, name: '假书记', role: 'grid_worker', phone: '19900007300', dutyHours: '' })
      .expect(409);
    expect(res.text).toContain('已登记为其他镇街村居的干部');
    expect(res.text).toContain('value="假书记"');
    expect(await sql.get('SELECT name, role FROM cadres WHERE id = ?', cadre.id)).toEqual({ name: '真书记', role: 'party_secretary' });
    expect(await sql.column('SELECT village_id FROM cadre_villages WHERE cadre_id = ?', cadre.id)).toEqual([theirs.id]);
    const help = await request(app).get(`/p/${h.token}/help`).expect(200);
    expect(help.text).toContain('真书记');
    expect(help.text).not.toContain('假书记');
    const audit = (await sql.value("SELECT detail FROM audit_log WHERE action = 'cadre_add_refused'")) as string;
    expect(audit).toContain(theirs.code);
    // Staff of the cadre's own township may add them to another of their villages.
    const own = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812107' }] });
    const ownAgent = await signIn(app, own.username);
    const second = await aVillage(sql, { name: '他镇二村', townCode: '370812107' });
    await ownAgent
      .post(`/admin/villages/${second.code}/cadres`)
      .type('form')
      .send({ _csrf: await csrfFor(ownAgent), name: '真书记', role: 'party_secretary', phone: '19900007300', dutyHours: '' })
      .expect(303);
    const added = (await sql.value("SELECT detail FROM audit_log WHERE action = 'cadre_added'")) as string;
    expect(added).toContain(theirs.code);
    expect(added).toContain(second.code);
  });
});
