import { yanzhouVillager } from '../helpers/resident.js';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';

describe('码上查 keeps the villager’s themes apart from business ones', () => {
  it('when the catalogue opens, then business themes sit behind 「企业办事」, not in the theme list', async () => {
    const { app } = buildApp();
    const res = await yanzhouVillager(app).get('/services').expect(200);
    const [villagerPart, rest] = res.text.split('企业办事');
    expect(rest).toBeDefined();
    expect(villagerPart).toContain('href="/services?theme=085"');
    for (const business of ['035', '040']) {
      expect(villagerPart).not.toContain(`href="/services?theme=${business}"`);
      expect(rest).toContain(`href="/services?theme=${business}"`);
    }
    expect(res.text).toMatch(/<details class="business">\s*<summary>企业办事/);
  });

  it('a business theme can still be opened and lists its items', async () => {
    const { app } = buildApp();
    const res = await yanzhouVillager(app).get('/services').query({ theme: '035' }).expect(200);
    expect(res.text).toContain('个体工商户设立登记');
  });

  it('the full list starts with the village staples, not 计划生育 items', async () => {
    const { app } = buildApp();
    const res = await yanzhouVillager(app).get('/services').expect(200);
    const list = [...res.text.matchAll(/<li><a href="\/services\/[^"]+"><b>([^<]+)<\/b>/g)].map((m) => m[1]!);
    expect(list.slice(0, 3)).toEqual(['最低生活保障', '80周岁以上老年人高龄津贴发放', '城乡居民基本医疗保险费缴纳']);
  });
});
