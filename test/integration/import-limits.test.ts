import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { openForm } from '../helpers/forms.js';
import { aUser, PASSWORD } from '../helpers/staff.js';
import { bombXlsx, deflateParts, inlineRow, sheetEnd, sheetStart, xlsxOf } from '../helpers/xlsx.js';
import type { TestSql } from '../helpers/sql.js';

const dirs: string[] = [];
const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const admin = async (sql: TestSql) => ({
  role: 'admin' as const,
  scope: { all: true, districtIds: new Set<number>(), villageIds: new Set(await sql.column<number>('SELECT id FROM villages')) },
});

/** The app on a real port (so requests run concurrently), with an admin signed in. */
async function served() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-limits-'));
  dirs.push(dir);
  const built = buildApp({ config: { dataDir: dir } });
  const server = http.createServer(built.app).listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const user = await aUser(built.services, { role: 'admin' });
  const agent = request.agent(base);
  const login = await openForm(agent, '/admin/login');
  await agent.post('/admin/login').type('form').send({ _csrf: login.csrf, username: user.username, password: PASSWORD }).expect(303);
  const household = (await built.services.places.sampleTokens()).household!;
  return { ...built, base, agent, household };
}

/** Requests `url` back to back until `until` settles; returns each one's status and time. */
async function pollWhile(base: string, url: string, until: Promise<unknown>) {
  const seen: Array<{ status: number; ms: number }> = [];
  let done = false;
  void until.finally(() => (done = true));
  while (!done) {
    const started = performance.now();
    const res = await request(base).get(url);
    seen.push({ status: res.status, ms: performance.now() - started });
    await new Promise((r) => setTimeout(r, 20));
  }
  return seen;
}

/** Samples the process's resident memory (worker threads included) until `until` settles. */
function peakRss(until: Promise<unknown>): Promise<number> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  return until.then(
    () => (clearInterval(timer), peak),
    () => (clearInterval(timer), peak),
  );
}

/** A sheet of one cell holding `mb` MB of the same letter: a few hundred KB deflated. */
async function hugeCellXlsx(mb: number, declaredSize?: number): Promise<Buffer> {
  const chunk = Buffer.alloc(1024 * 1024, 'x');
  const head = Buffer.from(inlineRow(1, ['村居代码', '门牌地址']) + '<row r="2"><c r="A2" t="inlineStr"><is><t>');
  const sheet = await deflateParts([sheetStart, head, ...Array.from({ length: mb }, () => chunk), Buffer.from('</t></is></c></row>'), sheetEnd]);
  return xlsxOf(sheet, { declaredSize });
}

describe('an .xlsx that inflates far beyond its size (a decompression bomb)', () => {
  it('when a small .xlsx holds more rows than the cap, then the dry run refuses it with a Chinese message beside the upload, memory stays bounded, and the site answers meanwhile', async () => {
    const { sql, agent, base, household } = await served();
    const bomb = bombXlsx(300_000);
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const form = await openForm(agent, '/admin/data');
    // A first, ordinary check starts the reading thread, so what is measured below is the bomb.
    await agent
      .post('/admin/data/calendar/preview')
      .field('_csrf', form.csrf)
      .attach('file', Buffer.from('日期,类型,说明\n2027-01-01,放假,元旦\n'), 'c.csv')
      .expect(200);
    const households = await sql.value('SELECT count(*) FROM households');
    const before = process.memoryUsage().rss;

    const upload = agent
      .post('/admin/data/households/preview')
      .field('_csrf', form.csrf)
      .field('encoding', 'gbk')
      .attach('file', bomb, 'bomb.xlsx')
      .then((r) => r);
    const [res, health, pages, peak] = await Promise.all([
      upload,
      pollWhile(base, '/healthz', upload),
      pollWhile(base, `/p/${household}`, upload),
      peakRss(upload),
    ]);

    expect(res.status).toBe(400);
    const beside = /<p class="field-error" id="file-households-error">([^<]+)<\/p>/.exec(res.text)?.[1];
    expect(beside).toContain('一次最多导入 200000 行');
    expect(res.text).toContain('aria-describedby="file-households-error"');
    expect(res.text).toMatch(/<option value="gbk" selected>/); // what was chosen is kept
    expect(res.text).not.toContain('name="uploadId"');
    expect(await sql.value('SELECT count(*) FROM households')).toBe(households);
    const grew = (peak - before) / 1024 / 1024;
    console.log(`bomb: ${(bomb.length / 1024).toFixed(0)} KB, ${health.length + pages.length} requests during the check, RSS +${grew.toFixed(0)} MB`);
    expect(grew).toBeLessThan(300);
    for (const r of [...health, ...pages]) {
      expect(r.status).toBe(200);
      expect(r.ms).toBeLessThan(1000);
    }
  });

  it('when an .xlsx inflates to hundreds of MB, then it is refused from its directory, before anything is inflated', async () => {
    const { sql, services } = await served();
    const bomb = await hugeCellXlsx(300);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const before = process.memoryUsage().rss;
    const started = performance.now();
    await expect(services.transfer.dryRun('households', bomb, await admin(sql))).rejects.toThrow(/解压后太大/);
    expect(performance.now() - started).toBeLessThan(5000);
    expect((process.memoryUsage().rss - before) / 1024 / 1024).toBeLessThan(300);
  });

  it('when an .xlsx lies about its inflated size, then it is refused as soon as it inflates past what it declared', async () => {
    const { sql, services } = await served();
    const liar = await hugeCellXlsx(300, 4096);
    const started = performance.now();
    await expect(services.transfer.dryRun('households', liar, await admin(sql))).rejects.toThrow(/解压后太大/);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('when a sheet opens rows and cells that never close, then reading it still takes a moment, not minutes', async () => {
    const { sql, services } = await served();
    const unclosed = xlsxOf(
      inlineRow(1, ['村居代码', '门牌地址']) + '<row r="2">' + '<c r="A2" t="inlineStr"><is><t>x'.repeat(200_000) + '<row>'.repeat(200_000),
    );
    const started = performance.now();
    const plan = await services.transfer.dryRun('households', unclosed, await admin(sql));
    expect(plan.total).toBe(0);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('a file that is not a spreadsheet at all is refused with a message, not an error page', async () => {
    const { sql, services } = await served();
    const notZip = Buffer.concat([Buffer.from('PK'), Buffer.alloc(100, 1)]);
    await expect(services.transfer.dryRun('households', notZip, await admin(sql))).rejects.toThrow(/无法读取这个 Excel 文件/);
  });
});
