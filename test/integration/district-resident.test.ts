import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';

/** A second district beside the demo's 兖州区: its name and code real, its village made up. */
async function twoDistricts() {
  const t = buildApp();
  await t.services.places.addDistrict('370881', '曲阜市');
  await t.sql.run("UPDATE districts SET hotline = '0537-4412345' WHERE code = '370881'");
  await t.services.places.importPlaces([
    {
      districtCode: '370881',
      districtName: '曲阜市',
      townCode: '370881001',
      townName: '鲁城街道',
      centreAddress: '',
      centreHours: '',
      centrePhone: '',
      villageCode: '370881001201',
      villageName: '测试村',
    },
  ]);
  const token = await t.sql.value<string>(
    "SELECT p.token FROM plates p JOIN villages v ON v.id = p.village_id WHERE v.code = '370881001201' AND p.kind = 'village'",
  );
  const yanzhou = await t.sql.value<string>(
    "SELECT p.token FROM plates p JOIN villages v ON v.id = p.village_id WHERE v.code LIKE '370812%' AND p.kind = 'household' LIMIT 1",
  );
  return { t, token, yanzhou };
}

describe('resident pages say which district the plate is in', () => {
  it('a plate of 曲阜市 shows 曲阜市 in the header and its hotline as a tel: link in the footer; a plate of 兖州区 shows 兖州区 and 12345', async () => {
    const { t, token, yanzhou } = await twoDistricts();
    const b = await request(t.app).get(`/v/${token}`).expect(200);
    expect(b.text).toMatch(/<a class="brand"[^>]*>码上服务 <span class="district">曲阜市<\/span><\/a>/);
    expect(b.text).toContain('曲阜市政务服务便民热线 <a href="tel:05374412345">0537-4412345</a>');
    expect(b.text).not.toContain('兖州区');
    const a = await request(t.app).get(`/p/${yanzhou}`).expect(200);
    expect(a.text).toContain('<span class="district">兖州区</span>');
    expect(a.text).toContain('兖州区政务服务便民热线 <a href="tel:12345">12345</a>');
  });

  it('a bare /services asks which district when there are several; ?d= and the plate the phone came from decide', async () => {
    const { t, token } = await twoDistricts();
    const bare = await request(t.app).get('/services').expect(200);
    expect(bare.text).toContain('您在哪个区县办事');
    expect(bare.text).toContain('href="/services?d=370812"');
    expect(bare.text).toContain('href="/services?d=370881"');
    expect(bare.text).not.toContain('最低生活保障');
    // 兖州区 has the demo catalogue; 曲阜市 none yet
    const a = await request(t.app).get('/services?d=370812&q=低保').expect(200);
    expect(a.text).toContain('最低生活保障');
    expect(a.text).toContain('<span class="district">兖州区</span>');
    const b = await request(t.app).get('/services?d=370881&q=低保').expect(200);
    expect(b.text).not.toContain('最低生活保障');
    // the plate of 曲阜市 the phone scanned decides without ?d=
    const agent = request.agent(t.app);
    await agent.get(`/v/${token}`).expect(200);
    const fromPlate = await agent.get('/services?q=低保').expect(200);
    expect(fromPlate.text).toContain('<span class="district">曲阜市</span>');
    expect(fromPlate.text).not.toContain('最低生活保障');
    // an item of 兖州区 is not 曲阜市's
    const code = await t.sql.value<string>("SELECT code FROM catalog_items WHERE name = '最低生活保障'");
    await agent.get(`/services/${code}`).expect(404);
    await request(t.app).get(`/services/${code}?d=370812`).expect(200);
    await request(t.app).get(`/services/${code}?d=370881`).expect(404);
  });

  it('with one district, /services lists it at once, as before', async () => {
    const t = buildApp();
    const res = await request(t.app).get('/services').expect(200);
    expect(res.text).not.toContain('您在哪个区县办事');
    expect(res.text).toContain('<span class="district">兖州区</span>');
  });
});
