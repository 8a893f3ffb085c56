import { yanzhouVillager } from '../helpers/resident.js';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { buildApp } from '../helpers/app.js';
import type { TestSql } from '../helpers/sql.js';

/** What a villager types or dictates, and the item that must come first or in the first three. */
const names = (html: string) => [...html.matchAll(/<li><a href="\/services\/[^"]+"><b>([^<]+)<\/b>/g)].map((m) => m[1]!);

let app: Express;
let sql: TestSql;
beforeAll(() => {
  ({ app, sql } = buildApp());
});

async function found(q: string): Promise<string[]> {
  const res = await yanzhouVillager(app).get('/services').query({ q }).expect(200);
  return names(res.text);
}

async function expectFirst(q: string, name: string) {
  expect((await found(q))[0], q).toBe(name);
}

async function expectTop3(q: string, name: string | RegExp) {
  const top = (await found(q)).slice(0, 3);
  if (typeof name === 'string') expect(top, q).toContain(name);
  else
    expect(
      top.some((n) => name.test(n)),
      `${q}: ${top.join(' | ')}`,
    ).toBe(true);
}

describe('码上查 understands how villagers ask', () => {
  it('when the query is a question with filler words, then they are dropped', async () => {
    await expectFirst('怎么办低保', '最低生活保障');
    await expectFirst('我想问一下怎么办理低保呀', '最低生活保障');
    await expectFirst('低保怎么申请需要什么材料', '最低生活保障');
    await expectFirst('准生证怎么办理', '生育登记');
    await expectFirst('请问在哪里交医保', '城乡居民基本医疗保险费缴纳');
    await expectTop3('怎么办残疾证', '残疾人证新办');
    await expectTop3('身份证丢了怎么办', '居民身份证挂失申报');
  });

  it('when the query is a sentence from voice input, then the item it is about comes first', async () => {
    await expectFirst('我家老人八十多岁了能领什么补贴', '80周岁以上老年人高龄津贴发放');
    await expectTop3('我家孩子刚出生想上户口需要带什么', '出生登记');
    await expectTop3('我父亲去世了户口怎么注销', '户口注销');
    await expectFirst('我的身份证过期了要去哪里换', '居民身份证换领');
    await expectTop3('俺娘腿脚不好想申请个轮椅', '残疾人基本型辅助器具适配申请');
    await expectFirst('我想给家里老人办个老年证', '老年人优待证申领');
    await expectTop3('村里让交合作医疗去哪交', '城乡居民基本医疗保险费缴纳');
  });

  it('when the query is an everyday word, then the official item is found', async () => {
    await expectFirst('二胎', '生育登记');
    await expectFirst('三孩', '生育登记');
    await expectFirst('准生证', '生育登记');
    await expectFirst('老年证', '老年人优待证申领');
    await expectTop3('残疾证', '残疾人证新办');
    await expectTop3('医保卡', '社会保障卡申领');
    await expectTop3('医保卡', '医保电子凭证申领');
    await expectFirst('社保卡', '社会保障卡申领');
    await expectFirst('迁户口', '户口迁移审批');
    await expectTop3('上户口', '出生登记');
    await expectTop3('上户口', '户口登记');
    await expectTop3('开证明', /证明/);
    await expectTop3('新农合', '城乡居民参保登记');
    await expectTop3('五保户', '特困人员救助供养');
    await expectTop3('养老认证', '养老保险定期待遇领取资格认证');
  });

  it('when the query is pinyin, initials or a homophone typo, then the item is found', async () => {
    await expectFirst('dibao', '最低生活保障');
    await expectFirst('DiBao', '最低生活保障');
    await expectFirst('db', '最低生活保障');
    await expectTop3('yibao', /医保|医疗保险|城乡居民参保/);
    await expectFirst('gaolingjintie', '80周岁以上老年人高龄津贴发放');
    await expectFirst('laonianzheng', '老年人优待证申领');
    await expectTop3('shebaoka', '社会保障卡申领');
    await expectTop3('sbk', '社会保障卡申领');
    await expectTop3('hukou', '户口登记');
    await expectFirst('低宝', '最低生活保障');
    await expectTop3('医疗保线', /医疗保险/);
  });

  it('when items for individuals and for organisations both match, then the individuals’ come first', async () => {
    const res = await yanzhouVillager(app).get('/services').query({ q: '医保' }).expect(200);
    const list = names(res.text);
    const personal: boolean[] = [];
    for (const n of list)
      personal.push((await sql.value<string>('SELECT target FROM catalog_items WHERE district_id = 1 AND name = ?', n))!.includes('自然人'));
    expect(personal[0]).toBe(true);
    // once an organisations-only item appears, no individuals' item follows it
    const firstBusiness = personal.indexOf(false);
    if (firstBusiness >= 0) expect(personal.slice(firstBusiness).every((p) => !p)).toBe(true);
    const all = await yanzhouVillager(app).get('/services').query({ q: '医保', page: 2 }).expect(200);
    expect(names(all.text).concat(list)).toContain('医疗机构申请医保定点');
  });

  it('two-character queries still find by substring first', async () => {
    await expectFirst('低保', '最低生活保障');
    expect((await found('户口')).slice(0, 3).every((n) => n.includes('户口'))).toBe(true);
  });

  it('nonsense still finds nothing', async () => {
    expect(await found('火星移民')).toEqual([]);
    expect(await found('qqqq')).toEqual([]);
  });
});

describe('when nothing is found', () => {
  it('the page offers themes, 码上说, 码上帮 from the plate, and the 12345 hotline', async () => {
    const token = (await sql.value("SELECT token FROM plates WHERE kind = 'household' AND status = 'active' ORDER BY id LIMIT 1")) as string;
    const res = await yanzhouVillager(app).get('/services').query({ q: '火星移民' }).set('Cookie', `mashang_home=/p/${token}`).expect(200);
    expect(res.text).toContain('href="tel:12345"');
    expect(res.text).toContain(`href="/p/${token}/speak"`);
    expect(res.text).toContain(`href="/p/${token}/help"`);
    expect(res.text).toContain('href="/services?theme=085"');
  });

  it('without a plate, it still offers themes and the hotline, and no plate links', async () => {
    const res = await request(app).get('/services').query({ d: '370812', q: '火星移民' }).expect(200);
    expect(res.text).toContain('href="tel:12345"');
    expect(res.text).not.toMatch(/href="\/[pv]\/[^"]+\/(speak|help)"/);
    expect(res.text).toContain('href="/services?d=370812&amp;theme=');
  });
});
