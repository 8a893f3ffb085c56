import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { seededDb } from '../helpers/db.js';
import { onPostgres } from '../helpers/engine.js';
import { openForm, postMultipart } from '../helpers/forms.js';
import { aUser, PASSWORD } from '../helpers/staff.js';
import { refuseInsert } from '../helpers/refuse.js';
import type { TestSql } from '../helpers/sql.js';
import { cliInThread } from '../helpers/threads.js';
import { openDb, type Db } from '../../src/db/index.js';

const dirs: string[] = [];
const servers: http.Server[] = [];
const dbs: Db[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  for (const d of dbs.splice(0)) d.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * The demo served on a real port: on SQLite from a database file (WAL, busy timeout: as the server
 * opens it), so that another connection can write to it; on PostgreSQL from the app's own database.
 */
async function served() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-load-'));
  dirs.push(dir);
  const file = path.join(dir, 'm.sqlite');
  let db: Db | undefined;
  if (!onPostgres) {
    const image = seededDb();
    fs.writeFileSync(file, image.serialize());
    image.close();
    db = openDb(file);
    dbs.push(db);
  }
  const built = buildApp({ db, config: { dataDir: dir }, rateLimits: { submitPerIp: 10_000, submitPerPlate: 10_000 } });
  const server = http.createServer(built.app).listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { ...built, dir, file, base, household: (await built.services.places.sampleTokens()).household! };
}

/** `n` new households spread over every village, as a CSV. */
async function householdsCsv(sql: TestSql, n: number, tag = '新村'): Promise<Buffer> {
  const villages = await sql.column<string>('SELECT code FROM villages ORDER BY code');
  const lines = ['村居代码,门牌地址,户联系人,联系电话,备注'];
  for (let i = 0; i < n; i++) lines.push(`${villages[i % villages.length]},${tag}${Math.floor(i / villages.length)}号,住户${i},,`);
  return Buffer.from('\uFEFF' + lines.join('\r\n'), 'utf8');
}

/**
 * A villager's round, again and again until `until` settles: open the household page, then file
 * feedback through the form. Returns each request's status and time.
 */
async function villagersWhile(base: string, token: string, until: Promise<unknown>) {
  const seen: Array<{ what: string; status: number; ms: number }> = [];
  let done = false;
  void until.finally(() => (done = true));
  const agent = request.agent(base);
  const timed = async (what: string, send: () => Promise<{ status: number }>) => {
    const started = performance.now();
    const res = await send();
    seen.push({ what, status: res.status, ms: performance.now() - started });
    return res;
  };
  while (!done) {
    await timed('page', () => agent.get(`/p/${token}`));
    const form = await openForm(agent, `/p/${token}/speak`);
    await timed('submission', () =>
      postMultipart(agent, `/p/${token}/speak`, {
        category: 'suggestion',
        content: '建议村口装路灯',
        anonymous: '1',
        _csrf: form.csrf,
        idempotencyKey: form.idempotencyKey,
      }),
    );
    await new Promise((r) => setTimeout(r, 20)); // a villager, not a load generator
  }
  return seen;
}

const summary = (seen: Array<{ ms: number }>) => {
  const ms = seen.map((s) => s.ms).sort((a, b) => a - b);
  return `${seen.length} requests, p50 ${ms[Math.floor(ms.length / 2)]?.toFixed(0)} ms, max ${ms.at(-1)?.toFixed(0)} ms`;
};

describe('villagers are answered while a large import is written', () => {
  // The command line opens the SQLite file MASHANG_DB only (it does not read MASHANG_DATABASE_URL):
  // on PostgreSQL, the back-office import below is the large write that runs beside villagers.
  it.runIf(!onPostgres)(
    'when the command line imports 30,000 households into the same database, then household pages and submissions keep answering, none fails and none waits long',
    async () => {
      const { sql, dir, file, base, household } = await served();
      const csv = path.join(dir, 'households.csv');
      fs.writeFileSync(csv, await householdsCsv(sql, 30_000));
      const before = Number(await sql.value('SELECT count(*) FROM households'));

      const importing = cliInThread(['import', 'households', csv], { MASHANG_DB: file, LOG_LEVEL: 'silent' });
      const seen = await villagersWhile(base, household, importing);

      expect(await importing).toBe(0);
      expect(Number(await sql.value('SELECT count(*) FROM households'))).toBe(before + 30_000);
      console.log(`command-line import: ${summary(seen)}`);
      expect(seen.filter((s) => s.what === 'submission').length).toBeGreaterThan(5);
      for (const s of seen) {
        expect(s.status, s.what).toBeLessThan(400);
        expect(s.ms, s.what).toBeLessThan(1000);
      }
    },
    120_000,
  );

  it('when staff import 30,000 households from the back office, then household pages and submissions keep answering meanwhile', async () => {
    const { sql, services, base, household } = await served();
    const user = await aUser(services, { role: 'admin' });
    const staff = request.agent(base);
    const login = await openForm(staff, '/admin/login');
    await staff.post('/admin/login').type('form').send({ _csrf: login.csrf, username: user.username, password: PASSWORD }).expect(303);
    const form = await openForm(staff, '/admin/data');
    const preview = await staff
      .post('/admin/data/households/preview')
      .field('_csrf', form.csrf)
      .attach('file', await householdsCsv(sql, 30_000), 'h.csv')
      .expect(200);
    const uploadId = /name="uploadId" value="([0-9a-f]{32})"/.exec(preview.text)![1]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(preview.text)![1]!;
    const before = Number(await sql.value('SELECT count(*) FROM households'));

    const importing = staff
      .post('/admin/data/households/commit')
      .type('form')
      .send({ _csrf: csrf, uploadId })
      .then((r) => r);
    const seen = await villagersWhile(base, household, importing);

    expect((await importing).status).toBe(303);
    expect(Number(await sql.value('SELECT count(*) FROM households'))).toBe(before + 30_000);
    console.log(`back-office import: ${summary(seen)}`);
    expect(seen.filter((s) => s.what === 'submission').length).toBeGreaterThan(5);
    for (const s of seen) {
      expect(s.status, s.what).toBeLessThan(400);
      expect(s.ms, s.what).toBeLessThan(1000);
    }
  }, 120_000);

  it('when writing fails part-way, then whole chunks stay written and running the same file again completes it, each household once with one plate', async () => {
    const { sql, database, services } = buildApp();
    const who = {
      role: 'admin' as const,
      scope: { all: true, districtIds: new Set<number>(), villageIds: new Set(await sql.column<number>('SELECT id FROM villages')) },
    };
    const file = await householdsCsv(sql, 3000, '续村');
    const count = async () => Number(await sql.value('SELECT count(*) FROM households'));
    const before = await count();
    // The disk fills up at the 2,000th new household.
    const failAt = (file.toString('utf8').split('\r\n')[2000] ?? '').split(',')[1]!;
    const allow = await refuseInsert(database, { table: 'households', where: { column: 'address', value: failAt } });
    await expect(services.transfer.commit('households', file, who)).rejects.toThrow('disk full');
    const written = (await count()) - before;
    expect(written).toBeGreaterThan(0);
    expect(written % 500).toBe(0);

    await allow();
    const rest = await services.transfer.dryRun('households', file, who);
    expect(rest.counts).toEqual({ add: 3000 - written, change: 0, same: written });
    await services.transfer.commit('households', file, who);
    expect(await count()).toBe(before + 3000);
    expect(
      Number(await sql.value("SELECT count(*) FROM households h LEFT JOIN plates p ON p.household_id = h.id AND p.status = 'active' WHERE p.id IS NULL")),
    ).toBe(0);
  });
});
