import { yanzhouVillager } from '../helpers/resident.js';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { demoHousehold } from '../helpers/builders.js';
import type { TestSql } from '../helpers/sql.js';

const codeOf = async (sql: TestSql, name: string) => (await sql.value<string>('SELECT code FROM catalog_items WHERE district_id = 1 AND name = ?', name))!;
const townOf = async (sql: TestSql, token: string) =>
  (await sql.get<{ name: string; address: string; hours: string }>(
    `SELECT t.name, t.centre_address AS address, t.centre_hours AS hours FROM plates p JOIN villages v ON v.id = p.village_id
            JOIN towns t ON t.id = v.town_id WHERE p.token = ?`,
    token,
  ))!;

/** The text a villager reads: tags and attributes out, entities back. */
const visible = (html: string) =>
  html
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&');

describe('item guide: where to go', () => {
  it('when reached from a plate, 在哪办 names the villager’s own 便民服务中心 with its hours, before the conditions', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const town = await townOf(sql, h.token);
    const res = await yanzhouVillager(app)
      .get(`/services/${await codeOf(sql, '最低生活保障')}`)
      .set('Cookie', `mashang_home=/p/${h.token}`)
      .expect(200);
    const text = visible(res.text);
    expect(text).toContain(`${town.name}便民服务中心`);
    expect(town.hours.length).toBeGreaterThan(0);
    expect(text).toContain(town.hours);
    expect(town.address.length).toBeGreaterThan(0);
    expect(text).toContain(town.address);
    expect(res.text.indexOf('在哪办')).toBeGreaterThan(0);
    expect(res.text.indexOf('在哪办')).toBeLessThan(res.text.indexOf('办理条件'));
  });

  it('from a village plate too', async () => {
    const { app, sql } = buildApp();
    const token = (await sql.value("SELECT token FROM plates WHERE kind = 'village' AND status = 'active' ORDER BY id LIMIT 1")) as string;
    const town = await townOf(sql, token);
    const res = await yanzhouVillager(app)
      .get(`/services/${await codeOf(sql, '户口登记')}`)
      .set('Cookie', `mashang_home=/v/${token}`)
      .expect(200);
    expect(visible(res.text)).toContain(`${town.name}便民服务中心`);
  });

  it('without a plate, 在哪办 still comes first with the item’s own place and hours', async () => {
    const { app, sql } = buildApp();
    const item = (await sql.get("SELECT code, place, hours FROM catalog_items WHERE district_id = 1 AND name = '居民身份证办理（包括临时）'")) as {
      code: string;
      place: string;
      hours: string;
    };
    const res = await yanzhouVillager(app).get(`/services/${item.code}`).expect(200);
    const text = visible(res.text);
    expect(text).toContain(item.place);
    expect(text).toContain(item.hours);
    expect(text).not.toContain('便民服务中心 地址');
    expect(res.text.indexOf('在哪办')).toBeLessThan(res.text.indexOf('办理条件'));
  });
});

describe('item guide: plain words', () => {
  it('no 自然人, 法人, 已归集电子证照, 在线预审, 全程网办, 事项公开 or 全区通办 on any guide a villager reads', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const codes = await sql.column<string>(
      `SELECT code FROM catalog_items WHERE district_id = 1 AND name IN ('最低生活保障', '居民身份证办理（包括临时）', '个体工商户设立登记', '医疗机构申请医保定点')
              UNION SELECT code FROM (SELECT code FROM catalog_items WHERE district_id = 1 AND scope = '全区通办' ORDER BY id LIMIT 2) AS a
              UNION SELECT code FROM (SELECT code FROM catalog_items WHERE district_id = 1 AND online_depth = 2 ORDER BY id LIMIT 2) AS b
              UNION SELECT code FROM (SELECT code FROM catalog_items WHERE district_id = 1 AND online_depth = 3 ORDER BY id LIMIT 2) AS c
              ORDER BY code`,
    );
    expect(codes.length).toBeGreaterThanOrEqual(8);
    for (const code of codes) {
      for (const cookie of ['', `mashang_home=/p/${h.token}`]) {
        const text = visible((await request(app).get(`/services/${code}?d=370812`).set('Cookie', cookie).expect(200)).text);
        for (const jargon of ['自然人', '法人', '已归集电子证照', '在线预审', '全程网办', '事项公开', '全区通办', '即办件', '承诺件']) {
          expect(text, `${code}: ${jargon}`).not.toContain(jargon);
        }
      }
    }
  });

  it('says who can apply in plain words: 个人, 企业和单位', async () => {
    const { app, sql } = buildApp();
    const person = visible((await yanzhouVillager(app).get(`/services/${await codeOf(sql, '最低生活保障')}`)).text);
    expect(person).toMatch(/谁可以办\s*个人/);
    const firm = visible((await yanzhouVillager(app).get(`/services/${await codeOf(sql, '医疗机构申请医保定点')}`)).text);
    expect(firm).toMatch(/谁可以办\s*企业和单位/);
  });
});

describe('item guide: doing it online', () => {
  it('a portal’s home page is not the item’s own link: neither shown as text nor linked', async () => {
    const { app, sql } = buildApp();
    await sql.run("UPDATE catalog_items SET pc_url = 'http://zwfw.sd.gov.cn/', mobile_url = 'http://zwfw.sd.gov.cn/m/' WHERE name = '最低生活保障'");
    const res = await yanzhouVillager(app)
      .get(`/services/${await codeOf(sql, '最低生活保障')}`)
      .expect(200);
    expect(res.text).not.toContain('zwfw.sd.gov.cn');
  });

  it('an item with its own online address gets a link to it', async () => {
    const { app, sql } = buildApp();
    const own = 'https://www.shandong.gov.cn/api-gateway/jpaas-jiq-web-sdywtb/front/transition/ywTransToDetail?innerCode=123';
    await sql.run("UPDATE catalog_items SET online = 1, online_depth = 1, mobile_url = ? WHERE name = '最低生活保障'", own);
    const res = await yanzhouVillager(app)
      .get(`/services/${await codeOf(sql, '最低生活保障')}`)
      .expect(200);
    expect(res.text).toContain(`href="${own.replace(/&/g, '&amp;')}"`);
  });

  it('the demo catalogue has no item pointing at the bare portal home page', async () => {
    const { sql } = buildApp();
    const generic = await sql.value(
      "SELECT count(*) FROM catalog_items WHERE district_id = 1 AND (pc_url IN ('http://zwfw.sd.gov.cn/') OR mobile_url IN ('http://zwfw.sd.gov.cn/m/'))",
    );
    expect(generic).toBe(0);
  });

  it('「可网办」 shows only on items that can be done wholly online, on the list and the guide', async () => {
    const { app, sql } = buildApp();
    const full = (await sql.get('SELECT code, name FROM catalog_items WHERE district_id = 1 AND online = 1 AND online_depth = 1 ORDER BY id LIMIT 1')) as {
      code: string;
      name: string;
    };
    const partly = (await sql.get('SELECT code, name FROM catalog_items WHERE district_id = 1 AND online = 1 AND online_depth = 2 ORDER BY id LIMIT 1')) as {
      code: string;
      name: string;
    };
    expect((await yanzhouVillager(app).get(`/services/${full.code}`)).text).toContain('<span class="tag on">可网办</span>');
    expect((await yanzhouVillager(app).get(`/services/${partly.code}`)).text).not.toContain('可网办');
    const list = (await yanzhouVillager(app).get('/services').query({ q: partly.name })).text;
    const row = list.slice(list.indexOf(`/services/${partly.code}`), list.indexOf('</li>', list.indexOf(`/services/${partly.code}`)));
    expect(row).not.toContain('可网办');
  });

  it('the 只看可网上办 filter keeps only items that can be done wholly online', async () => {
    const { app, sql } = buildApp();
    const expected = (await sql.value(
      'SELECT count(*) FROM catalog_items WHERE district_id = 1 AND online = 1 AND online_depth IN (1, 4) AND published = 1',
    )) as number;
    const res = await yanzhouVillager(app).get('/services').query({ online: '1' }).expect(200);
    expect(res.text).toContain(`找到 ${expected} 项`);
  });
});

describe('item guide: the town centre is not said twice', () => {
  it('when the item is handled at the town centre anyway, the guide does not repeat 户籍所在地镇（街道）便民服务中心', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const item = (await sql.get(
      "SELECT code, place FROM catalog_items WHERE district_id = 1 AND place LIKE '%镇（街道）便民服务中心%' ORDER BY id LIMIT 1",
    )) as {
      code: string;
      place: string;
    };
    const res = await yanzhouVillager(app).get(`/services/${item.code}`).set('Cookie', `mashang_home=/p/${h.token}`).expect(200);
    expect(visible(res.text)).not.toContain(item.place);
    const elsewhere = (await sql.get(
      "SELECT code, place FROM catalog_items WHERE district_id = 1 AND place LIKE '兖州区政务服务中心%' ORDER BY id LIMIT 1",
    )) as {
      code: string;
      place: string;
    };
    const other = await yanzhouVillager(app).get(`/services/${elsewhere.code}`).set('Cookie', `mashang_home=/p/${h.token}`).expect(200);
    expect(visible(other.text)).toContain(elsewhere.place);
  });
});
