import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { oneDistrictApp } from '../helpers/districts.js';
import { onPostgres } from '../helpers/engine.js';

/** The seeded demo: 兖州区 and, beside it, 曲阜市 (its name and code real, its villages made up). */
async function twoDistricts() {
  const t = buildApp();
  const token = await t.sql.value<string>(
    "SELECT p.token FROM plates p JOIN villages v ON v.id = p.village_id WHERE v.code LIKE '370881%' AND p.kind = 'village' ORDER BY v.code LIMIT 1",
  );
  const yanzhou = await t.sql.value<string>(
    "SELECT p.token FROM plates p JOIN villages v ON v.id = p.village_id WHERE v.code LIKE '370812%' AND p.kind = 'household' AND p.status = 'active' LIMIT 1",
  );
  return { t, token, yanzhou };
}

describe('resident pages say which district the plate is in', () => {
  it('a plate of 曲阜市 shows 曲阜市 in the header and its hotline as a tel: link in the footer; a plate of 兖州区 shows 兖州区 and 12345', async () => {
    const { t, token, yanzhou } = await twoDistricts();
    const b = await request(t.app).get(`/v/${token}`).expect(200);
    expect(b.text).toMatch(/<a class="brand"[^>]*>码上服务 <span class="district">曲阜市<\/span><\/a>/);
    expect(b.text).toContain('曲阜市政务服务便民热线 <a href="tel:053712345">0537-12345</a>');
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
    // the list is kept by the places revision, which a new district moves
    await t.services.places.addDistrict('370826', '微山县');
    expect((await request(t.app).get('/services').expect(200)).text).toContain('href="/services?d=370826"');
    // an item of 兖州区's catalogue that 曲阜市's short one has not
    const aOnly = (await t.sql.get<{ code: string; name: string }>(
      `SELECT i.code, i.name FROM catalog_items i JOIN districts d ON d.id = i.district_id
       WHERE d.code = '370812' AND i.published = 1 AND i.name LIKE '%供电%'
         AND i.name NOT IN (SELECT b.name FROM catalog_items b JOIN districts bd ON bd.id = b.district_id WHERE bd.code = '370881')
       ORDER BY i.id LIMIT 1`,
    ))!;
    expect(bare.text).not.toContain(aOnly.name);
    const a = await request(t.app).get('/services').query({ d: '370812', q: aOnly.name }).expect(200);
    expect(a.text).toContain(`/services/${aOnly.code}?d=370812`);
    expect(a.text).toContain('<span class="district">兖州区</span>');
    const b = await request(t.app).get('/services').query({ d: '370881', q: aOnly.name }).expect(200);
    expect(b.text).not.toContain(`/services/${aOnly.code}`);
    // the plate of 曲阜市 the phone scanned decides without ?d=
    const agent = request.agent(t.app);
    await agent.get(`/v/${token}`).expect(200);
    const fromPlate = await agent.get('/services').query({ q: aOnly.name }).expect(200);
    expect(fromPlate.text).toContain('<span class="district">曲阜市</span>');
    expect(fromPlate.text).not.toContain(`/services/${aOnly.code}`);
    // an item of 兖州区 is not 曲阜市's
    const code = aOnly.code;
    await agent.get(`/services/${code}`).expect(404);
    await request(t.app).get(`/services/${code}?d=370812`).expect(200);
    await request(t.app).get(`/services/${code}?d=370881`).expect(404);
  });

  it.runIf(!onPostgres)('with one district, /services lists it at once, as before', async () => {
    const t = await oneDistrictApp();
    const res = await request(t.app).get('/services').expect(200);
    expect(res.text).not.toContain('您在哪个区县办事');
    expect(res.text).toContain('<span class="district">兖州区</span>');
  });
});
