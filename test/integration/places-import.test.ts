import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { ForbiddenError, ValidationError } from '../../src/errors.js';
import { buildApp } from '../helpers/app.js';
import type { TestSql } from '../helpers/sql.js';
import { aUser, signIn } from '../helpers/staff.js';

const admin = async (sql: TestSql) => ({
  role: 'admin' as const,
  scope: { all: true, districtIds: new Set<number>(), villageIds: new Set(await sql.column<number>('SELECT id FROM villages')) },
});
const count = async (sql: TestSql, table: string) => Number(await sql.value(`SELECT count(*) FROM ${table}`));
const csv = (lines: string[]) => Buffer.from('\uFEFF' + lines.join('\r\n') + '\r\n', 'utf8');
const HEAD = '区县代码,区县名称,乡镇代码,乡镇名称,便民服务中心地址,便民服务中心办理时间,便民服务中心电话,村居代码,村居名称';
const HOURS = '工作日 上午9:00-12:00，下午13:30-17:00';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('import and export of townships and villages (镇街与村居)', () => {
  it('round trip: the export imported as it is changes nothing, as CSV and as .xlsx', async () => {
    const { sql, services } = buildApp();
    const who = await admin(sql);
    for (const format of ['csv', 'xlsx'] as const) {
      const file = await services.transfer.export('places', who, format);
      const plan = await services.transfer.commit('places', file, who);
      expect(plan.errors).toEqual([]);
      // 兖州区's 37 villages and 曲阜市's 4
      expect(plan.counts).toEqual({ add: 0, change: 0, same: 41 });
    }
    expect(await count(sql, 'villages')).toBe(41);
  });

  it('adds a village with its plate and a new township, renames a township and sets its centre; the same file again changes nothing', async () => {
    const { app, sql, services } = buildApp();
    const who = await admin(sql);
    const file = csv([
      HEAD,
      `370812,兖州区,370812103,颜店镇新名,颜店镇便民服务中心（新址）,${HOURS},0537-1510099,370812103202,史村`,
      `370812,兖州区,370812103,颜店镇新名,颜店镇便民服务中心（新址）,${HOURS},0537-1510099,370812103299,新建村`,
      `370812,兖州区,370812120,新设镇,新设镇政府院内,工作日 9:00-17:00,,370812120001,新设社区`,
    ]);
    const villagesBefore = await count(sql, 'villages');
    const plan = await services.transfer.commit('places', file, who);
    expect(plan.counts).toEqual({ add: 2, change: 1, same: 0 });
    expect(await count(sql, 'villages')).toBe(villagesBefore + 2);
    expect(await sql.get("SELECT name, centre_address, centre_phone FROM towns WHERE code = '370812103'")).toEqual({
      name: '颜店镇新名',
      centre_address: '颜店镇便民服务中心（新址）',
      centre_phone: '0537-1510099',
    });
    expect(await sql.value("SELECT d.code FROM towns t JOIN districts d ON d.id = t.district_id WHERE t.code = '370812120'")).toBe('370812');
    const token = await sql.value<string>(
      "SELECT p.token FROM plates p JOIN villages v ON v.id = p.village_id WHERE v.code = '370812103299' AND p.kind = 'village'",
    );
    expect((await request(app).get(`/v/${token}`).expect(200)).text).toContain('新建村');

    const again = await services.transfer.dryRun('places', file, who);
    expect(again.counts).toEqual({ add: 0, change: 0, same: 3 });
  });

  it('a file with bad rows writes nothing: codes that do not nest, and one township named two ways', async () => {
    const { sql, services } = buildApp();
    const who = await admin(sql);
    const file = csv([
      HEAD,
      `370812,兖州区,370812103,颜店镇,颜店镇便民服务中心,${HOURS},0537-1510099,370812104001,错村`,
      `370812,兖州区,370812130,甲镇,甲镇政府,${HOURS},,370812130001,甲村`,
      `370812,兖州区,370812130,乙镇,甲镇政府,${HOURS},,370812130002,乙村`,
      `370812,兖州区,370812131,丙镇,丙镇政府,${HOURS},电话打不通,370812131001,丙村`,
    ]);
    const plan = await services.transfer.dryRun('places', file, who);
    expect(plan.errors).toEqual([
      { row: 2, column: '村居代码', message: '应为 12 位数字，前 9 位是乡镇代码' },
      { row: 5, column: '便民服务中心电话', message: '电话只能有数字、横线和括号' },
      { row: 4, column: '乡镇名称', message: '同一乡镇在第 3 行的名称或便民服务中心与这一行不同' },
    ]);
    const before = await count(sql, 'villages');
    await expect(services.transfer.commit('places', file, who)).rejects.toThrow(ValidationError);
    expect(await count(sql, 'villages')).toBe(before);
    expect(await count(sql, 'towns')).toBe(12);
  });

  it("经度 and 纬度 set, change and clear a village's coordinates; a file without the columns keeps them", async () => {
    const { sql, services } = buildApp();
    const who = await admin(sql);
    const coords = (code: string) => sql.get('SELECT latitude, longitude FROM villages WHERE code = ?', code);
    const row = (code: string, name: string, lngLat: string) =>
      `370812,兖州区,370812103,颜店镇,颜店镇人民政府院内 便民服务中心一楼大厅,${HOURS},0537-1511030,${code},${name}${lngLat}`;
    const before = await coords('370812103201');
    expect(before).toEqual({ latitude: expect.any(Number), longitude: expect.any(Number) });

    // a file of the old columns: nothing about coordinates, so nothing changes
    const old = await services.transfer.commit('places', csv([HEAD, row('370812103201', '屯二村', '')]), who);
    expect(old.counts).toEqual({ add: 0, change: 0, same: 1 });
    expect(await coords('370812103201')).toEqual(before);

    const plan = await services.transfer.commit(
      'places',
      csv([
        `${HEAD},经度,纬度`,
        row('370812103201', '屯二村', ',116.7502,35.6101'),
        row('370812103202', '史村', ',,'),
        row('370812103298', '新村甲', ',１１６.７６,３５.６２'),
        row('370812103299', '新村乙', ',,'),
      ]),
      who,
    );
    expect(plan.errors).toEqual([]);
    expect(plan.counts).toEqual({ add: 2, change: 2, same: 0 });
    expect(await coords('370812103201')).toEqual({ latitude: 35.6101, longitude: 116.7502 });
    expect(await coords('370812103202')).toEqual({ latitude: null, longitude: null });
    // full-width digits, as a Chinese input method may type them
    expect(await coords('370812103298')).toEqual({ latitude: 35.62, longitude: 116.76 });
    expect(await coords('370812103299')).toEqual({ latitude: null, longitude: null });
    // the export gives them back, and imported again changes nothing
    const exported = await services.transfer.export('places', who, 'csv');
    expect(exported.toString('utf8')).toContain('"370812103201","屯二村","116.7502","35.6101"');
    expect((await services.transfer.commit('places', exported, who)).counts).toMatchObject({ add: 0, change: 0 });
  });

  it('bad coordinates stop the import with a message per cell, in Chinese, and write nothing', async () => {
    const { sql, services } = buildApp();
    const who = await admin(sql);
    const row = (code: string, lngLat: string) =>
      `370812,兖州区,370812103,颜店镇,颜店镇人民政府院内 便民服务中心一楼大厅,${HOURS},0537-1511030,${code},村${code.slice(-2)},${lngLat}`;
    const file = csv([
      `${HEAD},经度,纬度`,
      row('370812103291', '116°45′,35.61'),
      row('370812103292', '35.61,116.75'),
      row('370812103293', '116.75,'),
      row('370812103294', '116.75,95'),
      row('370812103295', '-73.9857,40.7484'),
      row('370812103296', 'abc,xyz'),
    ]);
    const plan = await services.transfer.dryRun('places', file, who);
    expect(plan.errors).toEqual([
      { row: 2, column: '经度', message: '经度应是十进制度数，例如 116.8231（WGS-84，不要写度分秒）' },
      { row: 3, column: '经度', message: '经度应在 73.4 到 135.1 之间（中国境内）；是否把经度和纬度填反了？' },
      { row: 3, column: '纬度', message: '纬度应在 3.8 到 53.6 之间（中国境内）；是否把经度和纬度填反了？' },
      { row: 4, column: '纬度', message: '经度和纬度要一起填写，或者都不填' },
      { row: 5, column: '纬度', message: '纬度应在 3.8 到 53.6 之间（中国境内）；是否把经度和纬度填反了？' },
      { row: 6, column: '经度', message: '经度应在 73.4 到 135.1 之间（中国境内）；是否把经度和纬度填反了？' },
      { row: 7, column: '经度', message: '经度应是十进制度数，例如 116.8231（WGS-84，不要写度分秒）' },
      { row: 7, column: '纬度', message: '纬度应是十进制度数，例如 35.5512（WGS-84，不要写度分秒）' },
    ]);
    const before = await count(sql, 'villages');
    await expect(services.transfer.commit('places', file, who)).rejects.toThrow(ValidationError);
    expect(await count(sql, 'villages')).toBe(before);
  });

  it('only admins import or export them: staff get 403 and do not see them on the data page', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-data-'));
    dirs.push(dataDir);
    const { app, sql, services } = buildApp({ config: { dataDir } });
    const districtStaff = { role: 'staff' as const, scope: (await admin(sql)).scope };
    await expect(services.transfer.export('places', districtStaff, 'csv')).rejects.toThrow(ForbiddenError);
    await expect(services.transfer.dryRun('places', csv([HEAD]), districtStaff)).rejects.toThrow(ForbiddenError);

    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'district', code: '370812' }] });
    const staffAgent = await signIn(app, staff.username);
    expect((await staffAgent.get('/admin/data').expect(200)).text).not.toContain('/admin/data/places/preview');
    await staffAgent.get('/admin/data/places/export.csv').expect(403);

    const boss = await aUser(services, { role: 'admin' });
    const adminAgent = await signIn(app, boss.username);
    expect((await adminAgent.get('/admin/data').expect(200)).text).toContain('/admin/data/places/preview');
    const exported = await adminAgent.get('/admin/data/places/export.csv').expect(200);
    expect(exported.text).toContain(
      `${HEAD},经度,纬度`
        .split(',')
        .map((h) => `"${h}"`)
        .join(','),
    );
    expect(exported.text).toContain('"370812103202","史村"');
  });
});
