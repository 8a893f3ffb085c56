import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, aHousehold, aVillage } from '../helpers/builders.js';
import { ForbiddenError, ValidationError } from '../../src/errors.js';
import { refuseInsert } from '../helpers/refuse.js';
import type { TestSql } from '../helpers/sql.js';

/** A city administrator working on 兖州区 (the demo's first district, whose catalogue is the 862 items). */
const admin = async (sql: TestSql) => ({
  role: 'admin' as const,
  districtId: 1,
  scope: { all: true, districtIds: new Set<number>(), villageIds: new Set(await sql.column<number>('SELECT id FROM villages')) },
});
const townStaff = async (sql: TestSql, town: string) => ({
  role: 'staff' as const,
  scope: {
    all: false,
    districtIds: new Set<number>(),
    villageIds: new Set(await sql.column<number>('SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.code = ?', town)),
  },
});
const count = async (sql: TestSql, table: string) => Number(await sql.value(`SELECT count(*) FROM ${table}`));
const csv = (lines: string[]) => Buffer.from('\uFEFF' + lines.join('\r\n') + '\r\n', 'utf8');

async function shiCode(sql: TestSql) {
  return (await sql.value<string>("SELECT code FROM villages WHERE name = '史村'"))!;
}

describe('import and export of households', () => {
  it('round trip: export, import the file as it is — nothing changes; again as .xlsx — nothing changes', async () => {
    const { sql, services } = buildApp();
    const who = await admin(sql);
    const before = await count(sql, 'households');
    for (const format of ['csv', 'xlsx'] as const) {
      const file = await services.transfer.export('households', who, format);
      const plan = await services.transfer.dryRun('households', file, who);
      expect(plan.format).toBe(format);
      expect(plan.errors).toEqual([]);
      expect(plan.counts).toEqual({ add: 0, change: 0, same: before });
      await services.transfer.commit('households', file, who);
      expect(await count(sql, 'households')).toBe(before);
    }
  });

  it('adds new households with a plate each, changes contacts, leaves the rest; the same file again changes nothing', async () => {
    const { sql, services } = buildApp();
    const who = await admin(sql);
    const code = await shiCode(sql);
    const existing = (await sql.value<string>(
      'SELECT address FROM households h JOIN villages v ON v.id = h.village_id WHERE v.code = ? ORDER BY h.id LIMIT 1',
      code,
    ))!;
    const file = csv(['村居代码,门牌地址,户联系人,联系电话,备注', `${code},13胡同99号,史玉兰,139 1234 5678,新建房`, `${code},${existing},史德胜,13912340000,`]);
    const households = await count(sql, 'households');
    const plates = await count(sql, 'plates');
    const contact = () =>
      sql.value('SELECT contact_name FROM households WHERE address = ? AND village_id = (SELECT id FROM villages WHERE code = ?)', existing, code);
    const contactBefore = await contact();
    const plan = await services.transfer.dryRun('households', file, who);
    expect(plan.counts).toEqual({ add: 1, change: 1, same: 0 });
    // a dry run writes nothing: no household, no plate, no changed contact
    expect(await count(sql, 'households')).toBe(households);
    expect(await count(sql, 'plates')).toBe(plates);
    expect(await contact()).toBe(contactBefore);
    await services.transfer.commit('households', file, who);
    expect(await count(sql, 'households')).toBe(households + 1);
    const added = await sql.get(
      "SELECT h.contact_phone AS phone, p.status FROM households h JOIN plates p ON p.household_id = h.id WHERE h.address = '13胡同99号' AND h.village_id = (SELECT id FROM villages WHERE code = ?)",
      code,
    );
    expect(added).toEqual({ phone: '13912345678', status: 'active' });
    const again = await services.transfer.dryRun('households', file, who);
    expect(again.counts).toEqual({ add: 0, change: 0, same: 2 });
  });

  it('when writing fails part-way through a chunk, then no row of that chunk is written (neither household nor plate)', async () => {
    const { sql, database, services } = buildApp();
    const who = await admin(sql);
    const code = await shiCode(sql);
    const allow = await refuseInsert(database, { table: 'households', where: { column: 'address', value: '13胡同2号' } });
    const [households, plates] = [await count(sql, 'households'), await count(sql, 'plates')];
    const file = csv(['村居代码,门牌地址,户联系人,联系电话,备注', `${code},13胡同1号,史玉兰,,`, `${code},13胡同2号,史德胜,,`]);
    await expect(services.transfer.commit('households', file, who)).rejects.toThrow('disk full');
    expect([await count(sql, 'households'), await count(sql, 'plates')]).toEqual([households, plates]);
    await allow();
    expect((await services.transfer.dryRun('households', file, who)).counts).toEqual({ add: 2, change: 0, same: 0 });
  });

  it('households written in one call with the same address twice: added once with one plate, then given the later contact', async () => {
    const { sql, services } = buildApp();
    const v = await aVillage(sql);
    const row = (contactName: string) => ({ villageId: v.id, address: '40胡同1号', contactName, contactPhone: null, notes: '' });
    await services.places.upsertHouseholds([row('史玉兰'), row('史德胜')]);
    expect(
      await sql.all(
        'SELECT h.contact_name AS name, count(p.id) AS plates FROM households h JOIN plates p ON p.household_id = h.id WHERE h.village_id = ? GROUP BY h.id, h.contact_name',
        v.id,
      ),
    ).toEqual([{ name: '史德胜', plates: 1 }]);
  });

  it('reads a GBK file (as Excel on Chinese Windows saves it) and a UTF-8 file with a BOM alike', async () => {
    const { sql, services } = buildApp();
    const who = await admin(sql);
    const code = await shiCode(sql);
    const text = `村居代码,门牌地址,户联系人,联系电话,备注\r\n${code},14胡同2号,孔繁荣,,\r\n`;
    const gbk = iconv.encode(text, 'gbk');
    const gbkPlan = await services.transfer.dryRun('households', gbk, who);
    expect(gbkPlan.encoding).toBe('gbk');
    expect(gbkPlan.errors).toEqual([]);
    expect(gbkPlan.preview[0]!.cells).toEqual([code, '14胡同2号', '孔繁荣', '', '']);
    const bom = await services.transfer.dryRun('households', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), who);
    expect(bom.encoding).toBe('utf8');
    expect(bom.preview[0]!.cells).toEqual(gbkPlan.preview[0]!.cells);
  });

  it('a file with bad rows writes nothing and reports each bad row with its row number, column and a Chinese message', async () => {
    const { sql, services } = buildApp();
    const who = await admin(sql);
    const code = await shiCode(sql);
    const file = csv([
      '村居代码,门牌地址,户联系人,联系电话,备注',
      `${code},15胡同1号,王大,,`,
      `12345,15胡同2号,王二,,`,
      `${code},,王三,,`,
      `${code},15胡同4号,王四,0537-1234567,`,
      `${code},15胡同1号,王大重复,,`,
    ]);
    const before = await count(sql, 'households');
    const plan = await services.transfer.dryRun('households', file, who);
    expect(plan.errors).toEqual([
      { row: 3, column: '村居代码', message: '应为 12 位数字' },
      { row: 4, column: '门牌地址', message: '请填写门牌地址（不超过 50 个字）' },
      { row: 5, column: '联系电话', message: '手机号应为 11 位数字，以 1 开头' },
      { row: 6, column: '门牌地址', message: '与第 2 行重复' },
    ]);
    await expect(services.transfer.commit('households', file, who)).rejects.toThrow(ValidationError);
    expect(await count(sql, 'households')).toBe(before);
  });

  it('a file without the right columns is refused', async () => {
    const { sql, services } = buildApp();
    const plan = await services.transfer.dryRun('households', csv(['地址,电话', '1号,']), await admin(sql));
    expect(plan.errors.map((e) => e.column)).toEqual(['村居代码', '门牌地址']);
  });

  it('staff of another township can neither import into nor export from this one', async () => {
    const { sql, services } = buildApp();
    const code = await shiCode(sql); // 颜店镇
    const other = await townStaff(sql, '370812107'); // 漕河镇
    const plan = await services.transfer.dryRun('households', csv(['村居代码,门牌地址,户联系人,联系电话,备注', `${code},16胡同1号,,,`]), other);
    expect(plan.errors).toEqual([{ row: 2, column: '村居代码', message: '没有这个村居，或不在您的管理范围内' }]);
    const exported = (await services.transfer.export('households', other, 'csv')).toString('utf8');
    expect(exported).not.toContain(code);
    await expect(services.transfer.dryRun('households', csv(['a']), { role: 'cadre', scope: other.scope })).rejects.toThrow(ForbiddenError);
    await expect(services.transfer.export('calendar', other, 'csv')).rejects.toThrow(ForbiddenError);
  });

  it('formula-like cells are neutralised on export', async () => {
    const { sql, services } = buildApp();
    const v = await aVillage(sql);
    await aHousehold(sql, { villageId: v.id, address: '=HYPERLINK("http://evil.example")' });
    const exported = (await services.transfer.export('households', await admin(sql), 'csv')).toString('utf8');
    expect(exported).toContain(`"'=HYPERLINK(""http://evil.example"")"`);
  });
});

describe('cadres and the calendar', () => {
  it('a township cannot import another township’s cadre by their public phone: a row error, nothing written', async () => {
    const { sql, services } = buildApp();
    const mine = await aVillage(sql, { name: '本镇村', townCode: '370812103' });
    const theirs = await aVillage(sql, { name: '他镇村', townCode: '370812107' });
    await aCadre(sql, { villageId: theirs.id, name: '真书记', role: 'party_secretary', phone: '19900007300' });
    const villageIds = new Set(await sql.column<number>("SELECT id FROM villages WHERE code LIKE '370812103%'"));
    const staff = { role: 'staff' as const, scope: { all: false, districtIds: new Set<number>(), villageIds } };
    const file = csv(['村居代码,姓名,职务,手机号,值班时间', `${mine.code},假书记,网格员,19900007300,`, `${mine.code},新网格员,网格员,19900007301,`]);
    const plan = await services.transfer.dryRun('cadres', file, staff);
    expect(plan.errors).toEqual([{ row: 2, column: '手机号', message: expect.stringContaining('其他镇街村居的干部') }]);
    await expect(services.transfer.commit('cadres', file, staff)).rejects.toThrow(ValidationError);
    expect(await sql.value("SELECT name FROM cadres WHERE phone = '19900007300'")).toBe('真书记');
    expect(Number(await sql.value("SELECT count(*) FROM cadres WHERE phone = '19900007301'"))).toBe(0);
  });

  it('cadres round-trip, and a new cadre is linked to the village', async () => {
    const { sql, services } = buildApp();
    const who = await admin(sql);
    const file = await services.transfer.export('cadres', who, 'xlsx');
    const plan = await services.transfer.dryRun('cadres', file, who);
    expect(plan.errors).toEqual([]);
    expect(plan.counts.add + plan.counts.change).toBe(0);
    const code = await shiCode(sql);
    await services.transfer.commit('cadres', csv(['村居代码,姓名,职务,手机号,值班时间', `${code},史红梅,网格员,19900009001,工作日 8:00-18:00`]), who);
    const cadre = await sql.get(
      "SELECT c.role, v.code FROM cadres c JOIN cadre_villages cv ON cv.cadre_id = c.id JOIN villages v ON v.id = cv.village_id WHERE c.phone = '19900009001'",
    );
    expect(cadre).toEqual({ role: 'grid_worker', code });
    const bad = await services.transfer.dryRun('cadres', csv(['村居代码,姓名,职务,手机号,值班时间', `${code},某人,村长,123,`]), who);
    expect(bad.errors.map((e) => e.column)).toEqual(['职务', '手机号']);
  });

  it('the next year’s calendar imports, and due dates follow it', async () => {
    const { sql, services } = buildApp();
    const who = await admin(sql);
    await services.transfer.commit('calendar', csv(['日期,类型,说明', '2027/1/1,放假,元旦', '2027-01-04,放假,示意']), who);
    expect((await services.calendar.dueAfter(new Date('2026-12-31T02:00:00Z'), 1)).toISOString()).toBe('2027-01-05T15:59:59.999Z');
    const bad = await services.transfer.dryRun('calendar', csv(['日期,类型,说明', '2027-02-30,放假,', '2027-03-01,上班,', '2027-13-01,放假,']), who);
    expect(bad.errors).toEqual([
      { row: 2, column: '日期', message: '应为日期，例如 2027-01-01' },
      { row: 3, column: '类型', message: '应为 放假 或 调休上班' },
      { row: 4, column: '日期', message: '应为日期，例如 2027-01-01' },
    ]);
  });
});

describe('the catalogue', () => {
  it('round-trips all 862 items with materials, fees and FAQs, as CSV and as .xlsx', async () => {
    const { sql, services } = buildApp();
    const who = await admin(sql);
    // with two districts, a city administrator names the catalogue's
    await expect(services.transfer.export('catalog', { ...who, districtId: undefined }, 'csv')).rejects.toThrow(ValidationError);
    for (const format of ['csv', 'xlsx'] as const) {
      const file = await services.transfer.export('catalog', who, format);
      const plan = await services.transfer.dryRun('catalog', file, who);
      expect(plan.errors).toEqual([]);
      expect(plan.counts).toEqual({ add: 0, change: 0, same: 862 });
    }
  });

  it('an edited row changes that item only (materials too), unpublishing hides it from villagers; bad cells are reported', async () => {
    const { sql, services } = buildApp();
    const who = await admin(sql);
    const { parse } = await import('csv-parse/sync');
    const rows = parse((await services.transfer.export('catalog', who, 'csv')).toString('utf8'), { bom: true }) as string[][];
    const header = rows[0]!;
    const col = (name: string) => header.indexOf(name);
    const target = rows.find((r) => r[col('事项名称')] === '最低生活保障')!;
    target[col('申请材料')] = '居民身份证|必要|纸质|申请人自备|1|\n户口簿|必要|纸质|申请人自备|1|';
    target[col('是否发布')] = '否';
    const { toCsv } = await import('../../src/http/csv.js');
    const file = Buffer.from(toCsv([header, target]), 'utf8');
    const plan = await services.transfer.dryRun('catalog', file, who);
    expect(plan.counts).toEqual({ add: 0, change: 1, same: 0 });
    await services.transfer.commit('catalog', file, who);
    const id = await sql.value("SELECT id FROM catalog_items WHERE district_id = 1 AND name = '最低生活保障'");
    expect(await sql.column('SELECT name FROM catalog_materials WHERE item_id = ? ORDER BY seq', id)).toEqual(['居民身份证', '户口簿']);
    expect((await services.catalog.search((await services.places.districtByCode('370812'))!.id, { q: '低保' })).items.map((i) => i.name)).not.toContain(
      '最低生活保障',
    );

    target[col('事项类型编码')] = '99';
    target[col('法定办结时限')] = '十天';
    target[col('申请材料')] = '只有名称|随便';
    const bad = await services.transfer.dryRun('catalog', Buffer.from(toCsv([header, target]), 'utf8'), who);
    expect(bad.errors.map((e) => e.column).sort()).toEqual(['事项类型编码', '法定办结时限', '申请材料'].sort());
  });

  it('only admins and district-wide staff may change the catalogue', async () => {
    const { sql, services } = buildApp();
    await expect(services.transfer.export('catalog', await townStaff(sql, '370812103'), 'csv')).rejects.toThrow(ForbiddenError);
  });
});
