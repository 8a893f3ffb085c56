/**
 * npm run bench:inbox [N]: fills a temporary database with N cases (default 100,000) over 3,037
 * villages (the demo district's, and more added to reach a city's count), then, in a fresh process
 * that starts as the server does (migrations and statistics), measures over HTTP the back office's
 * inbox — every tab, a filter, a flag, a page 100 deep (or as deep as there are pages) — and the
 * dashboard, for an admin (the whole district), township staff and a village cadre: p50 and p95 of
 * ROUNDS requests each, one at a time. Targets at 1M cases: inbox p95 < 50 ms, dashboard p95 < 100 ms.
 * BENCH_SQLITE=default measures with better-sqlite3's page cache (16 MB) and no mmap, to compare settings;
 * BENCH_DB=file keeps the filled database in that file, and measures it again on the next run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { createApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { migrate, openDb, optimize, transaction } from '../src/db/index.js';
import { sqliteDatabase } from '../src/db/database.js';
import { seedDemo } from '../src/features/seed/service.js';
import { createServices } from '../src/services.js';
import { insertManyCases } from './many-cases.js';

const PASSWORD = 'bench-password-inbox';
const VILLAGES = 3037;
const ROUNDS = Number(process.env.ROUNDS ?? 30);
const TOWN = '370812103';

async function main(): Promise<void> {
  if (process.argv[2] === '--measure') return measure(process.argv[3]!, Number(process.argv[4]));
  const n = Number(process.argv[2] ?? process.env.CASES ?? 100_000);
  if (!Number.isInteger(n) || n < 1) throw new Error(`usage: npm run bench:inbox -- [number of cases], not ${process.argv[2]}`);
  const kept = process.env.BENCH_DB;
  if (kept && fs.existsSync(kept)) {
    // A database filled by an earlier run (BENCH_DB), measured again, e.g. with other settings.
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--measure', kept, String(n)], { stdio: 'inherit', env: process.env });
    process.exitCode = child.status ?? 1;
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-inbox-'));
  try {
    const file = kept ?? path.join(dir, 'bench.sqlite');
    const db = openDb(file);
    migrate(db);
    const database = sqliteDatabase(db);
    const services = createServices(database, testConfig());
    await seedDemo(services, { tokenKey: 'inbox-bench' });
    db.pragma('synchronous = OFF');
    // A city's villages: the demo's, and more in its townships up to VILLAGES.
    const towns = db.prepare('SELECT id, code FROM towns ORDER BY code').all() as Array<{ id: number; code: string }>;
    const have = db.prepare('SELECT count(*) FROM villages').pluck().get() as number;
    const addVillage = db.prepare('INSERT INTO villages (town_id, code, name) VALUES (?, ?, ?)');
    transaction(db, () => {
      for (let i = 0; i < VILLAGES - have; i++) {
        const t = towns[i % towns.length]!;
        addVillage.run(t.id, `${t.code}${String(400 + Math.floor(i / towns.length)).padStart(3, '0')}`, `新增${i + 1}村`);
      }
    });
    const cadreId = db
      .prepare(
        `SELECT cv.cadre_id FROM cadre_villages cv JOIN villages v ON v.id = cv.village_id JOIN towns t ON t.id = v.town_id
      WHERE t.code = ? ORDER BY cv.cadre_id LIMIT 1`,
      )
      .pluck()
      .get(TOWN) as number;
    await services.staff.createUser({ username: 'bench-admin', displayName: '区管理员', password: PASSWORD, role: 'admin' });
    await services.staff.createUser({
      username: 'bench-town',
      displayName: '镇街人员',
      password: PASSWORD,
      role: 'staff',
      scopes: [{ level: 'town', code: TOWN }],
    });
    await services.staff.createUser({ username: 'bench-cadre', displayName: '村干部', password: PASSWORD, role: 'cadre', cadreId });
    const villages = db.prepare('SELECT id FROM villages ORDER BY id').pluck().all() as number[];
    const started = Date.now();
    await insertManyCases(database, { n, villageIds: villages, minutesApart: Math.max(0.05, (3 * 365 * 24 * 60) / n) });
    console.log(
      `filled ${n} cases over ${villages.length} villages in ${((Date.now() - started) / 1000).toFixed(0)} s (${(fs.statSync(file).size / 1024 / 1024).toFixed(0)} MB)`,
    );
    db.close();
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--measure', file, String(n)], { stdio: 'inherit', env: process.env });
    process.exitCode = child.status ?? 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(file: string, n: number): Promise<void> {
  const db = openDb(file);
  migrate(db);
  optimize(db);
  if (process.env.BENCH_SQLITE === 'default') {
    // better-sqlite3's own settings (it builds SQLite with a 16 MB page cache), as before they were chosen.
    db.pragma('cache_size = -16000');
    db.pragma('mmap_size = 0');
  }
  const services = createServices(db, testConfig());
  const app = createApp(services, { logger: pino({ level: 'silent' }) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const settings = `cache_size ${String(db.pragma('cache_size', { simple: true }))}, mmap_size ${String(db.pragma('mmap_size', { simple: true }))}`;
  const rows: string[] = [];
  const worst = { inbox: 0, dashboard: 0 };
  try {
    for (const [who, username] of [
      ['admin', 'bench-admin'],
      ['township', 'bench-town'],
      ['village', 'bench-cadre'],
    ] as const) {
      const cookie = await signIn(base, username);
      const get = async (url: string): Promise<string> => {
        const res = await fetch(base + url, { headers: { cookie }, redirect: 'manual' });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`${who} ${url} answered ${res.status}`);
        return text;
      };
      // Page 100 of 全部, reached by following 下一页 (or the last page when there are fewer).
      let deep = '/admin/cases?state=all';
      let depth = 1;
      for (; depth < 100; depth++) {
        const next = /href="(\/admin\/cases\?[^"]*after=[^"]+)" rel="next"/.exec(await get(deep))?.[1];
        if (!next) break;
        deep = next.replace(/&amp;/g, '&');
      }
      const pages: Array<[string, string]> = [
        ['inbox: 待办', '/admin/cases'],
        ['inbox: 全部', '/admin/cases?state=all'],
        ...['submitted', 'accepted', 'in_progress', 'resolved', 'closed', 'rejected', 'merged'].map((s): [string, string] => [
          `inbox: ${s}`,
          `/admin/cases?state=${s}`,
        ]),
        ['inbox: 全部 + 码上说', '/admin/cases?state=all&kind=speak'],
        ['inbox: 已超期', '/admin/cases?flag=red'],
        [`inbox: 全部, page ${depth}`, deep],
        ['dashboard', '/admin'],
      ];
      for (const [what, url] of pages) {
        await get(url);
        await get(url);
        const times: number[] = [];
        let bytes = 0;
        for (let i = 0; i < ROUNDS; i++) {
          const t0 = performance.now();
          bytes = (await get(url)).length;
          times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
        const kind = what === 'dashboard' ? 'dashboard' : 'inbox';
        worst[kind] = Math.max(worst[kind], q(0.95));
        rows.push(`| ${who} | ${what} | ${q(0.5).toFixed(1)} | ${q(0.95).toFixed(1)} | ${(bytes / 1024).toFixed(0)} |`);
      }
    }
    console.log(
      `\nInbox and dashboard benchmark — ${n} cases, ${VILLAGES} villages, ${settings}, node ${process.version}, ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    console.log('| user | page | p50 ms | p95 ms | KB |');
    console.log('|---|---|---:|---:|---:|');
    for (const r of rows) console.log(r);
    console.log(`\nworst inbox p95 ${worst.inbox.toFixed(1)} ms (target < 50 at 1M), dashboard p95 ${worst.dashboard.toFixed(1)} ms (target < 100 at 1M)`);
  } finally {
    server.close();
    db.close();
  }
}

async function signIn(base: string, username: string): Promise<string> {
  const cookiesOf = (res: Response) =>
    res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
  const form = await fetch(`${base}/admin/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!csrf) throw new Error('no CSRF token on the sign-in page');
  const res = await fetch(`${base}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookiesOf(form), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, username, password: PASSWORD }),
  });
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  return cookiesOf(res) || cookiesOf(form);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
