import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, aVillage } from '../helpers/builders.js';
import { openForm } from '../helpers/forms.js';
import { aUser, signIn } from '../helpers/staff.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const dataDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-data-'));
  dirs.push(d);
  return d;
};

describe('数据导入导出 in the back office', () => {
  it('staff upload a GBK CSV, see the preview, confirm, and the households are there; the file is not kept', async () => {
    const dir = dataDir();
    const { app, services, sql } = buildApp({ config: { dataDir: dir } });
    const code = (await sql.value("SELECT code FROM villages WHERE name = '史村'")) as string;
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(app, staff.username);
    const form = await openForm(agent, '/admin/data');
    const file = iconv.encode(`村居代码,门牌地址,户联系人,联系电话,备注\r\n${code},20胡同1号,史桂香,,\r\n${code},20胡同2号,,,\r\n`, 'gbk');
    const before = (await sql.value('SELECT count(*) FROM households')) as number;
    const preview = await agent
      .post('/admin/data/households/preview')
      .field('_csrf', form.csrf)
      .field('encoding', 'auto')
      .attach('file', file, 'huji.csv')
      .expect(200);
    expect(preview.text).toContain('新增 2，修改 0');
    expect(preview.text).toContain('史桂香');
    expect(await sql.value('SELECT count(*) FROM households')).toBe(before);
    const uploadId = /name="uploadId" value="([0-9a-f]{32})"/.exec(preview.text)![1]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(preview.text)![1]!;
    const done = await agent.post('/admin/data/households/commit').type('form').send({ _csrf: csrf, uploadId }).expect(303);
    expect(done.headers.location).toBe('/admin/data?add=2&change=0&same=0');
    expect((await agent.get(done.headers.location!).expect(200)).text).toContain('新增 2');
    expect(await sql.value('SELECT count(*) FROM households')).toBe(before + 2);
    expect(fs.readdirSync(path.join(dir, 'imports'))).toEqual([]);
    await agent.post('/admin/data/households/commit').type('form').send({ _csrf: csrf, uploadId }).expect(404);
  });

  it('a file with errors shows each bad row and offers no confirmation', async () => {
    const { app, services } = buildApp({ config: { dataDir: dataDir() } });
    const admin = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, admin.username);
    const form = await openForm(agent, '/admin/data');
    const res = await agent
      .post('/admin/data/calendar/preview')
      .field('_csrf', form.csrf)
      .attach('file', Buffer.from('日期,类型,说明\n2027-13-01,放假,\n'), 'c.csv')
      .expect(400);
    expect(res.text).toContain('一行也没有导入');
    expect(res.text).toContain('应为日期，例如 2027-01-01');
    expect(res.text).not.toContain('name="uploadId"');
  });

  it('downloads templates and exports; cadres may not; another user cannot confirm someone else’s upload', async () => {
    const { app, services, sql } = buildApp({ config: { dataDir: dataDir() } });
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(app, staff.username);
    const tpl = await agent.get('/admin/data/households/template.csv').expect(200);
    expect(tpl.text).toContain('村居代码');
    await agent.get('/admin/data/households/export.xlsx').expect(200);
    await agent.get('/admin/data/calendar/export.csv').expect(403);
    const v = await aVillage(sql);
    const cadre = await aUser(services, { role: 'cadre', cadreId: (await aCadre(sql, { villageId: v.id })).id });
    await (await signIn(app, cadre.username)).get('/admin/data').expect(403);

    const form = await openForm(agent, '/admin/data');
    const code = (await sql.value("SELECT code FROM villages WHERE name = '史村'")) as string;
    const preview = await agent
      .post('/admin/data/households/preview')
      .field('_csrf', form.csrf)
      .attach('file', Buffer.from(`村居代码,门牌地址\n${code},21胡同1号\n`), 'h.csv')
      .expect(200);
    const uploadId = /name="uploadId" value="([0-9a-f]{32})"/.exec(preview.text)![1]!;
    const other = await aUser(services, { role: 'admin' });
    const otherAgent = await signIn(app, other.username);
    const otherForm = await openForm(otherAgent, '/admin/data');
    await otherAgent.post('/admin/data/households/commit').type('form').send({ _csrf: otherForm.csrf, uploadId }).expect(404);
    await agent.post('/admin/data/households/preview').attach('file', Buffer.from('x'), 'h.csv').expect(403);
  });

  it('the banner on the data page is built from counts: text in the address is never shown', async () => {
    const { app, services } = buildApp({ config: { dataDir: dataDir() } });
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(app, staff.username);
    const spoof = await agent.get(`/admin/data?done=${encodeURIComponent('导入失败，请拨打 19900000000 联系技术支持')}&add=x`).expect(200);
    expect(spoof.text).not.toContain('技术支持');
    expect(spoof.text).not.toContain('role="status"');
  });
});
