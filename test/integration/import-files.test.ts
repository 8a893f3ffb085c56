import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aVillage } from '../helpers/builders.js';
import { openForm } from '../helpers/forms.js';
import { aUser, signIn } from '../helpers/staff.js';
import type { TestSql } from '../helpers/sql.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const dataDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-files-'));
  dirs.push(d);
  return d;
};
const admin = async (sql: TestSql) => ({
  role: 'admin' as const,
  scope: { all: true, districtIds: new Set<number>(), villageIds: new Set(await sql.column<number>('SELECT id FROM villages')) },
});
const kept = (dir: string) => (fs.existsSync(path.join(dir, 'imports')) ? fs.readdirSync(path.join(dir, 'imports')) : []);
const shiCode = async (sql: TestSql) => (await sql.value<string>("SELECT code FROM villages WHERE name = '史村'"))!;

describe('files waiting for confirmation in data/imports', () => {
  it('a checked file with errors, or with nothing to change, is not kept', async () => {
    const dir = dataDir();
    const { app, services, sql } = buildApp({ config: { dataDir: dir } });
    const agent = await signIn(app, (await aUser(services, { role: 'admin' })).username);
    const form = await openForm(agent, '/admin/data');
    await agent
      .post('/admin/data/calendar/preview')
      .field('_csrf', form.csrf)
      .attach('file', Buffer.from('日期,类型,说明\n2027-13-01,放假,\n'), 'c.csv')
      .expect(400);
    const unchanged = await services.transfer.export('households', await admin(sql), 'csv');
    const same = await agent.post('/admin/data/households/preview').field('_csrf', form.csrf).attach('file', unchanged, 'h.csv').expect(200);
    expect(same.text).toContain('没有需要导入的变化');
    expect(kept(dir)).toEqual([]);
  });

  it('a file left unconfirmed is removed by the jobs an hour later, and can no longer be confirmed; a newer one stays', async () => {
    const dir = dataDir();
    let clock = new Date('2026-11-30T08:00:00+08:00');
    const { app, services, sql } = buildApp({ config: { dataDir: dir }, now: () => clock });
    const user = await aUser(services, { role: 'admin' });
    let agent = await signIn(app, user.username);
    const form = await openForm(agent, '/admin/data');
    const code = await shiCode(sql);
    const preview = await agent
      .post('/admin/data/households/preview')
      .field('_csrf', form.csrf)
      .attach('file', Buffer.from(`村居代码,门牌地址\n${code},30胡同1号\n`), 'h.csv')
      .expect(200);
    const uploadId = /name="uploadId" value="([0-9a-f]{32})"/.exec(preview.text)![1]!;
    expect(kept(dir).sort()).toEqual([`${uploadId}.bin`, `${uploadId}.json`]);

    clock = new Date(clock.getTime() + 30 * 60_000);
    expect(services.pendingImports.prune()).toBe(0);
    agent = await signIn(app, user.username);
    const later = await openForm(agent, '/admin/data');
    const newer = await agent
      .post('/admin/data/households/preview')
      .field('_csrf', later.csrf)
      .attach('file', Buffer.from(`村居代码,门牌地址\n${code},30胡同2号\n`), 'h.csv')
      .expect(200);
    const newerId = /name="uploadId" value="([0-9a-f]{32})"/.exec(newer.text)![1]!;

    clock = new Date(clock.getTime() + 31 * 60_000);
    expect(services.pendingImports.prune()).toBe(1);
    expect(kept(dir).sort()).toEqual([`${newerId}.bin`, `${newerId}.json`]);
    const csrf = (await openForm(agent, '/admin/data')).csrf;
    await agent.post('/admin/data/households/commit').type('form').send({ _csrf: csrf, uploadId }).expect(404);
    await agent.post('/admin/data/households/commit').type('form').send({ _csrf: csrf, uploadId: newerId }).expect(303);
    expect(kept(dir)).toEqual([]);
  });
});

describe('export → import changes nothing', () => {
  it("cells the export protected against formulas with a leading ' come back as they were, as CSV and as .xlsx", async () => {
    const { sql, services } = buildApp();
    const v = await aVillage(sql);
    const who = await admin(sql);
    const add = (...values: unknown[]) => sql.run('INSERT INTO households (village_id, address, contact_name, notes) VALUES (?, ?, ?, ?)', ...values);
    await add(v.id, '=HYPERLINK("http://evil.example")', '=张三', '=SUM(A1:A2)');
    await add(v.id, '+86 路 1 号', '-', '-');
    await add(v.id, '@某人家', '@', "'=1+1"); // typed with a quote of its own: kept
    await add(v.id, "it's 4号", "'", "''=x");
    const total = Number(await sql.value('SELECT count(*) FROM households'));
    const stored = () => sql.all('SELECT address, contact_name, notes FROM households WHERE village_id = ? ORDER BY id', v.id);
    const before = await stored();
    for (const format of ['csv', 'xlsx'] as const) {
      const file = await services.transfer.export('households', who, format);
      const plan = await services.transfer.dryRun('households', file, who);
      expect(plan.errors).toEqual([]);
      expect(plan.counts, format).toEqual({ add: 0, change: 0, same: total });
      await services.transfer.commit('households', file, who);
      expect(await stored()).toEqual(before);
    }
  });
});

describe('.xlsx formula cells', () => {
  it('a formula cell reads as its last result; one without a result reads empty, never "[object Object]"', async () => {
    const { sql, services } = buildApp();
    const code = await shiCode(sql);
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('households');
    ws.addRow(['村居代码', '门牌地址', '户联系人', '联系电话', '备注']);
    ws.addRow([
      code,
      { formula: '"31胡同"&"1号"', result: '31胡同1号' },
      { formula: 'B3' },
      { formula: '13912345678', result: 13912345678 },
      { formula: 'NA()', result: { error: '#N/A' } },
    ]);
    ws.getCell('A2').numFmt = '@';
    const plan = await services.transfer.dryRun('households', Buffer.from(await wb.xlsx.writeBuffer()), await admin(sql));
    expect(plan.errors).toEqual([]);
    expect(plan.preview[0]!.cells).toEqual([code, '31胡同1号', '', '13912345678', '#N/A']);
  });
});
