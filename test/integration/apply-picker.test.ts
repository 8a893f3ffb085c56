import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { demoHousehold } from '../helpers/builders.js';

/** The item names on the 码上办 picker, in page order. */
const names = (html: string) => [...html.matchAll(/apply\?item=\w+"><b>([^<]+)<\/b>/g)].map((m) => m[1]!);

const STAPLES = [
  '最低生活保障',
  '80周岁以上老年人高龄津贴发放',
  '城乡居民基本医疗保险费缴纳',
  '城乡居民参保登记',
  '养老保险定期待遇领取资格认证',
  '困难残疾人生活补贴',
  '户口登记',
  '居民身份证办理（包括临时）',
];

describe('码上办 picker', () => {
  it('when a villager opens it, then the village staples come first, 低保 at the top', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const res = await request(app).get(`/p/${h.token}/apply`).expect(200);
    const list = names(res.text);
    expect(list[0]).toBe('最低生活保障');
    const firstTen = list.slice(0, 10);
    for (const staple of STAPLES) expect(firstTen, staple).toContain(staple);
    expect(firstTen.some((n) => /计划生育/.test(n))).toBe(false);
  });

  it('the other items are folded by theme, so the page opens short', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const res = await request(app).get(`/p/${h.token}/apply`).expect(200);
    expect(res.text).toMatch(/<details class="group">\s*<summary>/);
    // still every applicable item is reachable without JavaScript
    expect(names(res.text).length).toBeGreaterThanOrEqual(60);
  });

  it('has a search box that works as a plain GET form', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const res = await request(app).get(`/p/${h.token}/apply`).expect(200);
    expect(res.text).toMatch(new RegExp(`<form[^>]+method="get"[^>]+action="/p/${h.token}/apply"`));
    expect(res.text).toContain('name="q"');
  });

  it('when the villager searches 低保, dibao, 高龄 or 交医保, then the matching item is first', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    for (const [q, first] of [
      ['低保', '最低生活保障'],
      ['怎么办低保', '最低生活保障'],
      ['dibao', '最低生活保障'],
      ['高龄', '80周岁以上老年人高龄津贴发放'],
      ['交医保', '城乡居民基本医疗保险费缴纳'],
    ] as const) {
      const res = await request(app).get(`/p/${h.token}/apply`).query({ q }).expect(200);
      expect(names(res.text)[0], q).toBe(first);
      expect(res.text).toContain(`value="${q}"`);
    }
  });

  it('when the search finds nothing to apply for, then it says so and links to 码上查 with the same words', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const res = await request(app).get(`/p/${h.token}/apply`).query({ q: '火星移民' }).expect(200);
    expect(names(res.text)).toEqual([]);
    expect(res.text).toContain('没有可以在线申请的');
    expect(res.text).toContain(`href="/services?q=${encodeURIComponent('火星移民')}"`);
  });

  it('an over-long or repeated q does not fail', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    await request(app)
      .get(`/p/${h.token}/apply`)
      .query({ q: '低'.repeat(300) })
      .expect(200);
    await request(app).get(`/p/${h.token}/apply?q=a&q=b`).expect(200);
  });
});
