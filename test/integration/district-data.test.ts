import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aUser, signIn } from '../helpers/staff.js';

describe('数据导入导出 with two districts: the catalogue is a district’s', () => {
  it('a city administrator picks the district: an export names it or is refused in plain words; each export holds that district’s items only', async () => {
    const { app, services, sql } = buildApp();
    const city = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, city.username);
    const page = (await agent.get('/admin/data').expect(200)).text;
    expect(page).toContain('href="/admin/data/catalog/export.csv?d=370812"');
    expect(page).toContain('href="/admin/data/catalog/export.csv?d=370881"');
    expect(page).toContain('<select id="d-catalog" name="d">');
    const refused = await agent.get('/admin/data/catalog/export.csv').expect(400);
    expect(refused.text).toContain('请先选择区县');
    const yanzhou = (await agent.get('/admin/data/catalog/export.csv?d=370812').expect(200)).text;
    const qufu = (await agent.get('/admin/data/catalog/export.csv?d=370881').expect(200)).text;
    const lines = (text: string) => text.trim().split(/\r?\n(?=")/).length - 1;
    expect(lines(yanzhou)).toBe(
      await sql.value<number>("SELECT count(*) FROM catalog_items i JOIN districts d ON d.id = i.district_id WHERE d.code = '370812'"),
    );
    expect(lines(qufu)).toBe(await sql.value<number>("SELECT count(*) FROM catalog_items i JOIN districts d ON d.id = i.district_id WHERE d.code = '370881'"));
    expect(qufu).toContain('曲阜市');
    expect(qufu).not.toContain('兖州区民政局');
    await agent.get('/admin/data/catalog/export.csv?d=999999').expect(404);
  });

  it('a district administrator exports their own district’s catalogue, whatever ?d= says', async () => {
    const { app, services } = buildApp();
    const qufuId = (await services.places.districtByCode('370881'))!.id;
    const admin = await aUser(services, { role: 'admin' });
    await services.staff.createUser({
      username: 'qufu-admin',
      displayName: '曲阜管理员',
      password: 'correct-horse-battery',
      role: 'admin',
      districtId: qufuId,
    });
    void admin;
    const agent = await signIn(app, 'qufu-admin');
    const page = (await agent.get('/admin/data').expect(200)).text;
    expect(page).not.toContain('name="d"');
    const own = (await agent.get('/admin/data/catalog/export.csv?d=370812').expect(200)).text;
    expect(own).toContain('曲阜市');
    expect(own).not.toContain('兖州区民政局');
  });

  it('a user’s scope stays inside their district: a township of another district named in it gives nothing, nor does a cadre’s village there', async () => {
    const { services, sql } = buildApp();
    const yanzhou = (await services.places.districtByCode('370812'))!.id;
    const id = await services.staff.createUser({
      username: 'two-places',
      displayName: '两地',
      password: 'correct-horse-battery',
      role: 'staff',
      districtId: yanzhou,
      scopes: [
        { level: 'town', code: '370812103' },
        { level: 'town', code: '370881001' },
      ],
    });
    const user = (await services.staff.sessionUser(id))!;
    const own = await sql.column<number>("SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.code = '370812103' ORDER BY v.id");
    expect([...user.scope.villageIds].sort((a, b) => a - b)).toEqual(own);
    expect(user.scope.districtIds.size).toBe(0);
  });
});
