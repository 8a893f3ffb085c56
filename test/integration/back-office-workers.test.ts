import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type TestApp } from '../helpers/app.js';
import { slowExportClient } from '../helpers/raw-http.js';
import { manyCases, aCase } from '../helpers/cases.js';
import { seededFileDb } from '../helpers/db.js';
import { onPostgres } from '../helpers/engine.js';
import { aUser, signIn } from '../helpers/staff.js';
import type { TestSql } from '../helpers/sql.js';
import { sqliteDatabase } from '../../src/db/database.js';
import { EXPORT_NICE } from '../../src/features/cases/export.js';
import { READER_NICE } from '../../src/features/stats/reader.js';
import { STATS_FRESH_MS } from '../../src/features/stats/service.js';
import { threadNice } from '../../src/workers/priority.js';
import { streamFromWorker } from '../../src/workers/stream.js';

const TOWN = '370812107';
const villagesOf = (sql: TestSql, townCode: string) =>
  sql.column<number>('SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.code = ? ORDER BY v.id', townCode);
const onLinux = process.platform === 'linux';

/** The niceness of every thread of this process, by thread id (Linux). */
const threadNices = (): Map<number, number | null> => new Map(fs.readdirSync('/proc/self/task').map((tid) => [Number(tid), threadNice(Number(tid))] as const));

const until = async (ok: () => boolean | Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanups.splice(0)) f();
});

/**
 * The app on a database a second connection can read, as in production: a SQLite file (tests'
 * databases are otherwise in memory), or the run's PostgreSQL database.
 */
function appOnSharedDatabase(opts: Parameters<typeof buildApp>[0] = {}): TestApp {
  if (onPostgres) return buildApp(opts);
  const file = seededFileDb();
  const stack = buildApp({ ...opts, db: sqliteDatabase(file.db) });
  cleanups.push(() => file.remove());
  return stack;
}

/** The same database served by an app that reads exports in its own thread (as on a database in memory). */
const inProcess = (stack: TestApp) => buildApp({ db: stack.database, override: (s) => ({ ...s, caseExports: { connection: undefined } }) });

describe('the cases export is read and written by a worker thread of its own', () => {
  it(
    'the worker’s file is the one read in this thread, byte for byte, for an admin and for a township’s staff (phones masked); each download is audited with its rows',
    { timeout: 120_000 },
    async () => {
      const stack = appOnSharedDatabase();
      const { app, sql, database, services } = stack;
      expect(services.caseExports.connection?.engine).toBe(onPostgres ? 'postgres' : 'sqlite');
      const tricky = ['=1+2,"危险"\n第二行', '+SUM(A1)', '普通, "引号"'];
      await manyCases(database, { n: 3, villageIds: await villagesOf(sql, TOWN), content: (i) => tricky[i]! });
      await manyCases(database, { n: 2_500, villageIds: await villagesOf(sql, TOWN) });
      await manyCases(database, { n: 1_500, villageIds: await sql.column<number>('SELECT id FROM villages ORDER BY id') });
      const here = inProcess(stack);
      const admin = await aUser(services, { role: 'admin' });
      const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: TOWN }] });
      for (const [user, url] of [
        [admin, '/admin/cases.csv?state=all'],
        [admin, '/admin/cases.csv?state=open'],
        [staff, '/admin/cases.csv?state=all'],
      ] as const) {
        const viaWorker = await (await signIn(app, user.username)).get(url).expect(200);
        const viaHere = await (await signIn(here.app, user.username)).get(url).expect(200);
        expect(viaWorker.headers['content-type']).toBe('text/csv; charset=utf-8');
        expect(viaWorker.headers['content-disposition']).toBe(viaHere.headers['content-disposition']);
        expect(viaWorker.text.length).toBeGreaterThan(100_000);
        expect(viaWorker.text).toBe(viaHere.text);
      }
      const total = Number(await sql.value('SELECT count(*) FROM cases'));
      const open = Number(await sql.value("SELECT count(*) FROM cases WHERE state IN ('submitted', 'accepted', 'in_progress')"));
      const inTown = Number(
        await sql.value('SELECT count(*) FROM cases c JOIN villages v ON v.id = c.village_id JOIN towns t ON t.id = v.town_id WHERE t.code = ?', TOWN),
      );
      expect(await sql.column("SELECT detail FROM audit_log WHERE action = 'cases_exported' ORDER BY id")).toEqual(
        [total, total, open, open, inTown, inTown].map(String),
      );
    },
  );

  it(
    'the worker runs at the lowest priority while the main thread keeps its own; it stops when the client leaves, and the rows it read are audited',
    { timeout: 120_000 },
    async () => {
      const stack = appOnSharedDatabase();
      const { sql, database, services } = stack;
      // Long rows: the whole file is far larger than what sockets can hold on the way.
      await manyCases(database, {
        n: 30_000,
        villageIds: await villagesOf(sql, TOWN),
        content: (i) => `第${i}件：${'村东头的排水沟堵了，雨天积水漫进院子。'.repeat(20)}`,
      });
      const before = onLinux ? threadNices() : new Map();
      const client = await slowExportClient(stack.app, services);
      try {
        if (onLinux) {
          // A new thread at EXPORT_NICE while the client reads nothing; the main thread unchanged.
          await until(() => [...threadNices()].some(([tid, nice]) => !before.has(tid) && nice === EXPORT_NICE));
          expect(threadNice(process.pid)).toBe(before.get(process.pid));
        }
        client.response.destroy();
        await until(async () => Number(await sql.value("SELECT count(*) FROM audit_log WHERE action = 'cases_exported'")) === 1);
        const read = Number(await sql.value("SELECT detail FROM audit_log WHERE action = 'cases_exported'"));
        expect(read).toBeGreaterThan(0);
        expect(read).toBeLessThan(30_000);
        if (onLinux) await until(() => ![...threadNices()].some(([tid, nice]) => !before.has(tid) && nice === EXPORT_NICE));
      } finally {
        await client.close();
      }
    },
  );

  it('a worker that cannot open the database answers with an error page, not a CSV, and nothing is audited', async () => {
    const stack = appOnSharedDatabase();
    const broken = buildApp({
      db: stack.database,
      override: (s) => ({ ...s, caseExports: { connection: { engine: 'sqlite', file: '/nonexistent/folder/cases.sqlite' } } }),
    });
    const admin = await signIn(broken.app, (await aUser(broken.services, { role: 'admin' })).username);
    const res = await admin.get('/admin/cases.csv?state=all').expect(500);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-disposition']).toBeUndefined();
    expect(await broken.sql.value("SELECT count(*) FROM audit_log WHERE action = 'cases_exported'")).toBe(0);
  });
});

describe('a download from a worker that fails part-way', () => {
  it('is cut off, never ended as if complete: the client sees an aborted response', async () => {
    const app = express();
    let failure: unknown;
    app.get('/file.csv', async (_req, res, next) => {
      try {
        await streamFromWorker(new URL('../fixtures/failing-stream-worker.js', import.meta.url), { rows: 3000 }, res, () => res.type('text/csv'));
        res.end();
      } catch (err) {
        failure = err;
        next(err);
      }
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const outcome = await new Promise<{ status: number; bytes: number; complete: boolean }>((resolve) => {
        http.get({ host: '127.0.0.1', port, path: '/file.csv', agent: false }, (res) => {
          let bytes = 0;
          res.on('data', (d: Buffer) => (bytes += d.length));
          const done = () => resolve({ status: res.statusCode!, bytes, complete: res.complete });
          res.on('end', done);
          res.on('close', done);
          res.on('error', () => undefined);
        });
      });
      expect(outcome.status).toBe(200);
      expect(outcome.bytes).toBeGreaterThan(0);
      expect(outcome.complete).toBe(false);
      expect(String(failure)).toMatch(/worker crashed/);
      expect(String((failure as Error).cause)).toMatch(/the reading failed at row 2000/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('the dashboard', () => {
  it(
    onPostgres
      ? 'on PostgreSQL reads in this thread (asynchronously)'
      : 'on a SQLite file reads in a worker thread of lower priority, with the same figures as read here',
    { timeout: 60_000 },
    async () => {
      const stack = appOnSharedDatabase();
      const { app, sql, database, services } = stack;
      if (onPostgres) {
        expect(services.stats.reader).toBeUndefined();
        return;
      }
      await manyCases(database, { n: 5_000, villageIds: await sql.column<number>('SELECT id FROM villages ORDER BY id') });
      const admin = await signIn(app, (await aUser(services, { role: 'admin' })).username);
      const page = (await admin.get('/admin').expect(200)).text;
      const here = buildApp({ db: sqliteDatabase(stack.db), override: (s) => ({ ...s, stats: { ...s.stats, reader: undefined } }) });
      // the same figures as the repo reads on the app's own connection
      const scope = { all: true, districtIds: new Set<number>(), villageIds: new Set(await sql.column<number>('SELECT id FROM villages')) };
      const viaReader = await services.stats.dashboard(scope);
      const { createStatsService } = await import('../../src/features/stats/service.js');
      const { createStatsRepo } = await import('../../src/features/stats/repo.js');
      const direct = await createStatsService(createStatsRepo(here.database), here.services.calendar).dashboard(scope);
      expect({ ...viaReader, computedAt: '' }).toEqual({ ...direct, computedAt: '' });
      expect(page).toContain(`<b>${direct.open}</b>`);
      const thread = await services.stats.reader!.thread();
      if (onLinux) {
        expect(thread.nice).toBe(READER_NICE);
        expect(threadNice(thread.tid!)).toBe(READER_NICE);
        expect(threadNice(process.pid)).toBe(0);
      } else expect(thread).toEqual({ tid: null, nice: null });
    },
  );

  it('keeps a scope’s figures for a few seconds: a case filed here shows at once, one written by another instance within STATS_FRESH_MS; the page says when they were read', async () => {
    let clock = new Date();
    const { app, sql, database, services } = buildApp({ now: () => clock });
    const admin = await signIn(app, (await aUser(services, { role: 'admin' })).username);
    const open = async () => {
      const text = (await admin.get('/admin').expect(200)).text;
      const n = /<b>(\d+)<\/b><span>办理中（未办结）<\/span>/.exec(text)?.[1];
      const asOf = /id="as-of">([^<]*)</.exec(text)?.[1];
      return { n: Number(n), asOf };
    };
    const first = await open();
    expect(first.asOf).toMatch(new RegExp(`^数据统计于 \\d\\d:\\d\\d:\\d\\d（北京时间），至多延迟 ${STATS_FRESH_MS / 1000} 秒。$`));

    // Filed through this instance: its event drops the kept figures.
    await aCase(sql, services);
    expect((await open()).n).toBe(first.n + 1);

    // Written by another instance (no event here): the kept figures stay until STATS_FRESH_MS.
    const [villageId] = await villagesOf(sql, TOWN);
    await manyCases(database, { n: 2, villageIds: [villageId!] });
    clock = new Date(clock.getTime() + STATS_FRESH_MS - 1000);
    const kept = await open();
    expect(kept.n).toBe(first.n + 1);
    clock = new Date(clock.getTime() + 1000);
    const fresh = await open();
    expect(fresh.n).toBe(first.n + 3);
    expect(fresh.asOf).not.toBe(kept.asOf);

    // A staff action through this instance (a case resolved) shows at once too.
    const id = Number(await sql.value("SELECT id FROM cases WHERE state = 'submitted' ORDER BY id DESC LIMIT 1"));
    const user = (await services.staff.sessionUser((await aUser(services, { role: 'admin' })).id))!;
    const version = Number(await sql.value('SELECT version FROM cases WHERE id = ?', id));
    await services.caseOffice.acceptAndResolve({ user, caseId: id, version, ip: '127.0.0.1', text: '已处理完毕，管道已更换。' });
    expect((await open()).n).toBe(first.n + 2);
  });
});
