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

  it("staff set a village's coordinates in their scope, keep or clear them; bad ones are refused beside the field with the input kept", async () => {
    const { app, services, sql } = buildApp();
    const mine = await aVillage(sql, { townCode: '370812103', name: '本镇村' });
    const theirs = await aVillage(sql, { townCode: '370812107', name: '外镇村' });
    const coords = (id: number) => sql.get('SELECT name, latitude, longitude FROM villages WHERE id = ?', id);
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(app, staff.username);
    const page = await agent.get('/admin/places').expect(200);
    expect(page.text).toContain(`id="vl-${mine.code}-la"`);
    expect(page.text).toContain(`form="vf-${mine.code}"`);
    const post = async (code: string, body: Record<string, string>, status: number) =>
      agent
        .post(`/admin/places/villages/${code}`)
        .type('form')
        .send({ _csrf: await csrfFor(agent), ...body })
        .expect(status);

    await post(mine.code, { name: '本镇村', latitude: ' 35.6123 ', longitude: '116.7712' }, 303);
    expect(await coords(mine.id)).toEqual({ name: '本镇村', latitude: 35.6123, longitude: 116.7712 });
    expect((await agent.get('/admin/places').expect(200)).text).toContain('value="35.6123"');
    // a rename without the fields keeps them
    await post(mine.code, { name: '改名村' }, 303);
    expect(await coords(mine.id)).toEqual({ name: '改名村', latitude: 35.6123, longitude: 116.7712 });

    for (const [body, field, text] of [
      [{ latitude: '116.7712', longitude: '35.6123' }, 'la', '纬度应在 3.8 到 53.6 之间'],
      [{ latitude: '35°36′', longitude: '116.7712' }, 'la', '纬度应是十进制度数'],
      [{ latitude: '35.6123', longitude: '' }, 'lo', '经度和纬度要一起填写'],
      [{ latitude: '35.6123', longitude: '200' }, 'lo', '经度应在 73.4 到 135.1 之间'],
    ] as const) {
      const bad = await post(mine.code, { name: '改名村', ...body }, 400);
      expect(bad.text).toContain(`href="#vl-${mine.code}-${field}"`);
      expect(bad.text).toContain(`改名村：${text}`);
      // and beside the field
      expect(bad.text).toMatch(new RegExp(`id="vl-${mine.code}-cerr"><span class="line">改名村：${text}`));
      // what was typed stays in the box
      expect(bad.text).toContain(`value="${body.latitude}"`);
      expect(bad.text).toMatch(new RegExp(`id="vl-${mine.code}-${field}"[^>]*aria-invalid="true"`));
    }
    expect(await coords(mine.id)).toEqual({ name: '改名村', latitude: 35.6123, longitude: 116.7712 });

    await post(mine.code, { name: '改名村', latitude: '', longitude: '' }, 303);
    expect(await coords(mine.id)).toEqual({ name: '改名村', latitude: null, longitude: null });

    await post(theirs.code, { name: '外镇村', latitude: '35.47', longitude: '116.77' }, 404);
    expect(await coords(theirs.id)).toEqual({ name: '外镇村', latitude: null, longitude: null });
    // without the token, nothing
    await agent.post(`/admin/places/villages/${mine.code}`).type('form').send({ name: '改名村', latitude: '35.5', longitude: '116.8' }).expect(403);
    expect(await coords(mine.id)).toMatchObject({ latitude: null });
  });

  it('an admin adds a village with its coordinates; bad ones are refused beside the field', async () => {
    const { app, services, sql } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, admin.username);
    const bad = await agent
      .post('/admin/places/villages')
      .type('form')
      .send({ _csrf: await csrfFor(agent), code: '370812103290', name: '新建村', latitude: '35.61', longitude: '12' })
      .expect(400);
    expect(bad.text).toContain('id="nv-lo-error"');
    expect(bad.text).toContain('经度应在 73.4 到 135.1 之间');
    expect(await sql.value("SELECT count(*) FROM villages WHERE code = '370812103290'")).toBe(0);
    await agent
      .post('/admin/places/villages')
      .type('form')
      .send({ _csrf: await csrfFor(agent), code: '370812103290', name: '新建村', latitude: '35.61', longitude: '116.76' })
      .expect(303);
    expect(await sql.get("SELECT latitude, longitude FROM villages WHERE code = '370812103290'")).toEqual({ latitude: 35.61, longitude: 116.76 });
  });
});
