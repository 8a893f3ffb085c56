import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, aHousehold, aVillage, demoHousehold } from '../helpers/builders.js';

describe('household plate page /p/:token', () => {
  it('shows township, village and door address with the four tiles, and never the contact name', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const res = await request(app).get(`/p/${h.token}`).expect(200);
    expect(res.text).toContain(h.townName);
    expect(res.text).toContain(h.villageName);
    expect(res.text).toContain(h.address);
    expect(res.text).not.toContain(h.contactName);
    expect(res.text).not.toContain('19900'); // no phone of the household on the public page
    for (const label of ['码上帮', '码上查', '码上办', '码上说']) expect(res.text).toContain(label);
    expect(res.text).toContain(`href="/p/${h.token}/help"`);
    expect(res.text).toContain('href="/services"');
    expect(res.text).toContain(`href="/p/${h.token}/apply"`);
    expect(res.text).toContain(`href="/p/${h.token}/speak"`);
  });

  it('remembers the plate in a cookie so other pages can lead back to it', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const res = await request(app).get(`/p/${h.token}`).expect(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toContain(`mashang_home=${encodeURIComponent(`/p/${h.token}`)}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const services = await request(app).get('/services').set('Cookie', `mashang_home=/p/${h.token}`).expect(200);
    expect(services.text).toContain(`href="/p/${h.token}"`);
  });

  it('when the token is unknown, then a helpful 404 page', async () => {
    const { app } = buildApp();
    const res = await request(app).get('/p/AAAAAAAAAAAA').expect(404);
    expect(res.text).toContain('没有找到这个门牌');
    expect(res.text).toContain('12345');
    expect(res.text).toContain('href="/services"');
  });

  it('when the token is malformed or too long, then 404 without touching the database', async () => {
    const { app } = buildApp();
    await request(app).get('/p/short').expect(404);
    await request(app)
      .get(`/p/${'A'.repeat(500)}`)
      .expect(404);
    await request(app).get('/p/%27%20OR%201%3D1--').expect(404);
  });

  it('when a village token is used on /p, then 404 (plates are not interchangeable)', async () => {
    const { app, sql } = buildApp();
    const v = await aVillage(sql);
    await request(app).get(`/p/${v.token}`).expect(404);
    await request(app).get(`/v/${v.token}`).expect(200);
  });

  it('when the plate was replaced, then it says so and still shows the village cadres', async () => {
    const { app, sql } = buildApp();
    const v = await aVillage(sql, { name: '换牌村' });
    await aCadre(sql, { villageId: v.id, name: '钱守业', role: 'party_secretary', phone: '19900007777' });
    const old = await aHousehold(sql, { villageId: v.id, address: '1胡同3号', plateStatus: 'replaced' });
    const res = await request(app).get(`/p/${old.token}`).expect(410);
    expect(res.text).toContain('此门牌已更换');
    expect(res.text).toContain('钱守业');
    expect(res.text).toContain('href="tel:19900007777"');
    await request(app).get(`/p/${old.token}/help`).expect(410);
  });
});

describe('village plate page /v/:token', () => {
  it('shows the village and the same four tiles', async () => {
    const { app, sql } = buildApp();
    const v = await aVillage(sql, { name: '东风村' });
    const res = await request(app).get(`/v/${v.token}`).expect(200);
    expect(res.text).toContain('东风村');
    expect(res.text).toContain('颜店镇');
    expect(res.text).toContain(`href="/v/${v.token}/help"`);
    expect(res.text).toContain(`href="/v/${v.token}/apply"`);
    expect(res.text).toContain(`href="/v/${v.token}/speak"`);
  });

  it('works for every seeded village plate', async () => {
    const { app, sql } = buildApp();
    const tokens = await sql.column<string>("SELECT token FROM plates WHERE kind = 'village' ORDER BY id");
    expect(tokens.length).toBeGreaterThanOrEqual(30);
    for (const token of tokens.slice(0, 5)) await request(app).get(`/v/${token}`).expect(200);
  });
});

describe('码上帮 /p/:token/help', () => {
  it('lists the village cadres ordered by role, with duty hours, an initial avatar and a tel: link', async () => {
    const { app, sql } = buildApp();
    const v = await aVillage(sql);
    const h = await aHousehold(sql, { villageId: v.id });
    await aCadre(sql, { villageId: v.id, name: '孙网格', role: 'grid_worker', phone: '19900006661', dutyHours: '网格内随时联系' });
    await aCadre(sql, { villageId: v.id, name: '李书记', role: 'party_secretary', phone: '19900006662' });
    await aCadre(sql, { villageId: v.id, name: '赵第一', role: 'first_secretary', phone: '19900006663' });
    await aCadre(sql, { villageId: v.id, name: '王主任', role: 'committee_director', phone: '19900006664' });
    await aCadre(sql, { villageId: v.id, name: '周包村', role: 'town_cadre', phone: '19900006665' });
    const res = await request(app).get(`/p/${h.token}/help`).expect(200);
    const order = ['赵第一', '李书记', '王主任', '周包村', '孙网格'].map((n) => res.text.indexOf(n));
    expect(order.every((pos) => pos > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    for (const role of ['驻村第一书记', '村党支部书记', '村委会主任', '包村干部', '网格员']) expect(res.text).toContain(role);
    expect(res.text).toContain('href="tel:19900006661"');
    expect(res.text).toContain('网格内随时联系');
    expect(res.text).toMatch(/<span class="avatar" aria-hidden="true">孙<\/span>/);
  });

  it('does not list cadres of another village', async () => {
    const { app, sql } = buildApp();
    const a = await aVillage(sql, { name: '甲村' });
    const b = await aVillage(sql, { name: '乙村' });
    const h = await aHousehold(sql, { villageId: a.id });
    await aCadre(sql, { villageId: b.id, name: '别村干部' });
    const res = await request(app).get(`/p/${h.token}/help`).expect(200);
    expect(res.text).not.toContain('别村干部');
    expect(res.text).toContain('暂时没有登记干部信息');
  });

  it('works from a village plate too', async () => {
    const { app, sql } = buildApp();
    const v = await aVillage(sql);
    await aCadre(sql, { villageId: v.id, name: '吴文书' });
    const res = await request(app).get(`/v/${v.token}/help`).expect(200);
    expect(res.text).toContain('吴文书');
  });
});
