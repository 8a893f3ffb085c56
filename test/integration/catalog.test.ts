import { yanzhouVillager } from '../helpers/resident.js';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';

const names = (html: string) => [...html.matchAll(/<li><a href="\/services\/[^"]+"><b>([^<]+)<\/b>/g)].map((m) => m[1]);

describe('码上查 /services', () => {
  it('shows every theme with its count, a search box, and the high-frequency items', async () => {
    const { app, sql } = buildApp();
    const res = await yanzhouVillager(app).get('/services').expect(200);
    expect(res.text).toContain('共 862 项政务服务事项');
    expect(res.text).toContain('<input type="search" id="q" name="q"');
    const socialCount = (await sql.value("SELECT count(*) FROM catalog_items WHERE district_id = 1 AND theme_code = '085'")) as number;
    expect(res.text).toContain(`<a href="/services?theme=085">社会保障 <small>${socialCount}</small></a>`);
    expect(names(res.text)).toHaveLength(20);
  });

  it('低保 lists 最低生活保障 first', async () => {
    const { app } = buildApp();
    const res = await yanzhouVillager(app).get('/services').query({ q: '低保' }).expect(200);
    expect(names(res.text)[0]).toBe('最低生活保障');
  });

  it('a two-character query such as 医保 finds the medical insurance items', async () => {
    const { app } = buildApp();
    const res = await yanzhouVillager(app).get('/services').query({ q: '医保' }).expect(200);
    const found = names(res.text);
    expect(found.length).toBeGreaterThan(3);
    // 城乡居民参保登记 is the villager's 医保 enrolment, though its name does not say 医保
    expect(found.slice(0, 3).every((n) => /医保|医疗保障|医疗保险|城乡居民参保/.test(n!))).toBe(true);
  });

  it('a longer query ranks names that contain it first', async () => {
    const { app } = buildApp();
    const res = await yanzhouVillager(app).get('/services').query({ q: '居民身份证' }).expect(200);
    const found = names(res.text);
    expect(found[0]).toMatch(/^居民身份证/);
  });

  it('says kindly when nothing matched, keeping the query in the box', async () => {
    const { app } = buildApp();
    const res = await yanzhouVillager(app).get('/services').query({ q: '火星移民' }).expect(200);
    expect(res.text).toContain('没有找到“火星移民”相关的事项');
    expect(res.text).toContain('换个说法试试');
    expect(res.text).toContain('value="火星移民"');
  });

  it('escapes what was typed', async () => {
    const { app } = buildApp();
    const res = await yanzhouVillager(app).get('/services').query({ q: '<script>alert(1)</script>' }).expect(200);
    expect(res.text).not.toContain('<script>alert(1)');
    expect(res.text).toContain('&lt;script&gt;');
  });

  it('filters by theme, online-only and high-frequency, and the counts agree with the database', async () => {
    const { app, sql } = buildApp();
    // 只看可网上办 means wholly online (网上办理深度 1 or 4), not 在线预审
    const expected = await sql.value<number>(
      "SELECT count(*) FROM catalog_items WHERE district_id = 1 AND theme_code = '085' AND online = 1 AND online_depth IN (1, 4) AND high_frequency = 1",
    );
    const res = await yanzhouVillager(app).get('/services').query({ theme: '085', online: '1', hf: '1' }).expect(200);
    expect(res.text).toContain(`找到 ${expected} 项`);
    expect(res.text).toContain('<option value="085" selected>');
  });

  it('paginates 20 per page and keeps the filters in the page links', async () => {
    const { app, sql } = buildApp();
    const total = (await sql.value("SELECT count(*) FROM catalog_items WHERE district_id = 1 AND theme_code = '085'")) as number;
    const pages = Math.ceil(total / 20);
    expect(pages).toBeGreaterThan(1);
    const first = await yanzhouVillager(app).get('/services').query({ theme: '085' }).expect(200);
    expect(first.text).toContain(`第 1 页，共 ${pages} 页`);
    expect(first.text).toContain('href="/services?theme=085&amp;page=2"');
    const last = await yanzhouVillager(app).get('/services').query({ theme: '085', page: pages }).expect(200);
    expect(names(last.text)).toHaveLength(total - (pages - 1) * 20);
    const all = new Set<string>();
    for (let p = 1; p <= pages; p++) {
      const res = await yanzhouVillager(app).get('/services').query({ theme: '085', page: p });
      for (const n of names(res.text)) all.add(n!);
    }
    expect(all.size).toBe(total);
  });

  it('a page number out of range or not a number shows a valid page instead of failing', async () => {
    const { app } = buildApp();
    await yanzhouVillager(app).get('/services').query({ page: 'abc' }).expect(200);
    const res = await yanzhouVillager(app).get('/services').query({ theme: '085', page: 999 }).expect(200);
    expect(names(res.text).length).toBeGreaterThan(0);
  });

  it('a bad theme or over-long query is handled without an error', async () => {
    const { app } = buildApp();
    await yanzhouVillager(app).get('/services').query({ theme: '../../etc' }).expect(200);
    const res = await yanzhouVillager(app)
      .get('/services')
      .query({ q: '低'.repeat(200) })
      .expect(200);
    expect(res.text).toContain('搜索词太长了');
    await yanzhouVillager(app).get('/services?q=a&q=b').expect(200);
  });
});

describe('item guide /services/:code', () => {
  it('shows the villager-friendly sections of a real item and its 办理 button', async () => {
    const { app, sql } = buildApp();
    const item = (await sql.get("SELECT code, department, place FROM catalog_items WHERE district_id = 1 AND name = '最低生活保障'")) as {
      code: string;
      department: string;
      place: string;
    };
    // no plate: the item's own place is given (a plate would name its township's centre first)
    const res = await request(app).get(`/services/${item.code}?d=370812`).expect(200);
    for (const section of ['办理条件', '需要带的材料', '多久能办好', '要不要交钱', '在哪办、什么时间', '咨询和投诉电话', '网上办理']) {
      expect(res.text).toContain(section);
    }
    expect(res.text).toContain(item.department);
    expect(res.text).toContain(item.place);
    expect(res.text).toContain('码上办 · 在线申请');
    expect(res.text).toContain(`/apply?item=${item.code}`);
    expect(res.text).toMatch(/href="tel:\d+"/);
  });

  it('the 办理 button leads from the plate the phone came from', async () => {
    const { app, sql } = buildApp();
    const code = (await sql.value('SELECT code FROM catalog_items WHERE district_id = 1 AND can_apply = 1 ORDER BY id LIMIT 1')) as string;
    const token = (await sql.value("SELECT token FROM plates WHERE kind = 'household' ORDER BY id LIMIT 1")) as string;
    const res = await yanzhouVillager(app).get(`/services/${code}`).set('Cookie', `mashang_home=/p/${token}`).expect(200);
    expect(res.text).toContain(`href="/p/${token}/apply?item=${code}"`);
  });

  it('an item that cannot be applied for has no 办理 button', async () => {
    const { app, sql } = buildApp();
    const code = (await sql.value('SELECT code FROM catalog_items WHERE district_id = 1 AND can_apply = 0 ORDER BY id LIMIT 1')) as string;
    const res = await yanzhouVillager(app).get(`/services/${code}`).expect(200);
    expect(res.text).not.toContain('码上办 · 在线申请');
  });

  it('shows fees when the item charges', async () => {
    const { app, sql } = buildApp();
    const row = (await sql.get(
      'SELECT i.code, f.standard FROM catalog_items i JOIN catalog_fees f ON f.item_id = i.id WHERE i.district_id = 1 AND i.charged = 1 ORDER BY i.id LIMIT 1',
    )) as {
      code: string;
      standard: string;
    };
    const res = await yanzhouVillager(app).get(`/services/${row.code}`).expect(200);
    expect(res.text).toContain(row.standard);
  });

  it('an unknown or malformed code gets 404, and so does an unpublished item', async () => {
    const { app, sql } = buildApp();
    await yanzhouVillager(app).get('/services/999999999999').expect(404);
    await yanzhouVillager(app).get('/services/%3Cx%3E').expect(404);
    const code = (await sql.value('SELECT code FROM catalog_items WHERE district_id = 1 ORDER BY id LIMIT 1')) as string;
    await sql.run('UPDATE catalog_items SET published = 0 WHERE code = ?', code);
    await yanzhouVillager(app).get(`/services/${code}`).expect(404);
  });

  it('a change to the catalogue is seen by the next search', async () => {
    const { app, sql } = buildApp();
    await yanzhouVillager(app).get('/services').query({ q: '低保' }).expect(200);
    await sql.run("UPDATE catalog_items SET published = 0 WHERE name = '最低生活保障'");
    const res = await yanzhouVillager(app).get('/services').query({ q: '低保' }).expect(200);
    expect(names(res.text)).not.toContain('最低生活保障');
  });
});

describe('a theme page', () => {
  it('names its theme in the heading', async () => {
    const { app } = buildApp();
    const res = await yanzhouVillager(app).get('/services?theme=085').expect(200);
    expect(res.text).toMatch(/<h1>码上查 · 社会保障<\/h1>/);
  });
});
