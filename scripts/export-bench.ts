/**
 * npm run bench:export [N]: fills a temporary database with N cases (default 1,000,000) over every
 * village of the demo district, then, in a fresh process, has the admin download /admin/cases.csv
 * (all states) over HTTP from another process, and measures the time, the peak growth of the
 * server process's memory (RSS) from just before the download, and the event loop's delay meanwhile. Checks that every case is in the file, the newest included.
 * Bound: peak RSS growth under 100 MB.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { createApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { migrate, openDb } from '../src/db/index.js';
import { sqliteDatabase } from '../src/db/database.js';
import { seedDemo } from '../src/features/seed/service.js';
import { createServices } from '../src/services.js';
import { insertManyCases } from './many-cases.js';

const USERNAME = 'bench-admin';
const PASSWORD = 'bench-password-export';
const BOUND_MB = 100;

/** Builds the database in this process, then measures the export in a fresh one. */
async function main(): Promise<void> {
  if (process.argv[2] === '--measure') return measure(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
  const n = Number(process.argv[2] ?? process.env.CASES ?? 1_000_000);
  if (!Number.isInteger(n) || n < 1) throw new Error(`usage: npm run bench:export -- [number of cases], not ${process.argv[2]}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-export-'));
  try {
    const file = path.join(dir, 'bench.sqlite');
    const db = openDb(file);
    migrate(db);
    const database = sqliteDatabase(db);
    const services = createServices(database, testConfig());
    await seedDemo(services, { tokenKey: 'export-bench' });
    db.pragma('synchronous = OFF');
    await services.staff.createUser({ username: USERNAME, displayName: '导出测试', password: PASSWORD, role: 'admin' });
    const villages = db.prepare('SELECT id FROM villages ORDER BY id').pluck().all() as number[];
    const started = Date.now();
    const { newest } = await insertManyCases(database, { n, villageIds: villages, minutesApart: Math.max(0.05, (3 * 365 * 24 * 60) / n) });
    const total = db.prepare('SELECT count(*) FROM cases').pluck().get() as number;
    console.log(
      `filled ${n} cases over ${villages.length} villages in ${((Date.now() - started) / 1000).toFixed(0)} s (${(fs.statSync(file).size / 1024 / 1024).toFixed(0)} MB)`,
    );
    db.close();
    const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--measure', file, newest, String(total)], {
      stdio: 'inherit',
      env: process.env,
    });
    process.exitCode = child.status ?? 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(file: string, newest: string, total: number): Promise<void> {
  const db = openDb(file);
  const services = createServices(db, testConfig());
  const app = createApp(services, { logger: pino({ level: 'silent' }) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const cookie = await signIn(base);
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    // Sampled every 20 ms; a late sample is the time the event loop was held (villagers waited).
    const lateness: number[] = [];
    let last = performance.now();
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
      const at = performance.now();
      lateness.push(Math.max(0, at - last - 20));
      last = at;
    }, 20);
    const started = process.hrtime.bigint();
    // The download is read by another process, so that only the server's memory is measured.
    const client = spawn(process.execPath, ['--input-type=module', '-e', CLIENT, `${base}/admin/cases.csv?state=all`, cookie], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let answer = '';
    client.stdout.on('data', (c: Buffer) => (answer += c.toString()));
    const code = await new Promise((resolve) => client.on('exit', resolve));
    if (code !== 0) throw new Error(`the download failed (${String(code)})`);
    const { rows, bytes, lastRow } = JSON.parse(answer) as { rows: number; bytes: number; lastRow: string };
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    lateness.sort((a, b) => a - b);
    const delay = (q: number) => (lateness[Math.min(lateness.length - 1, Math.floor(q * lateness.length))] ?? 0).toFixed(0);
    peak = Math.max(peak, process.memoryUsage().rss);
    const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
    console.log(
      `\nCases export benchmark — ${total} cases, node ${process.version}, ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    console.log(
      '| cases | rows in the file | newest included | seconds | rows/s | file MB | RSS before MB | peak RSS growth MB | event loop delay p99 / max ms |',
    );
    console.log('|---:|---:|:---:|---:|---:|---:|---:|---:|---:|');
    console.log(
      `| ${total} | ${rows} | ${lastRow.startsWith(`"${newest}"`) ? 'yes' : 'NO'} | ${seconds.toFixed(1)} | ${(rows / seconds).toFixed(0)} | ${mb(bytes)} | ${mb(before)} | ${mb(peak - before)} | ${delay(0.99)} / ${delay(1)} |`,
    );
    if (rows !== total || !lastRow.startsWith(`"${newest}"`)) {
      console.error(`the file is missing cases: ${rows} rows of ${total}, last row ${lastRow.slice(0, 20)}`);
      process.exitCode = 1;
    }
    if (peak - before > BOUND_MB * 1024 * 1024) {
      console.error(`over the bound (${BOUND_MB} MB of RSS growth)`);
      process.exitCode = 1;
    }
  } finally {
    server.close();
    db.close();
  }
}

/** Downloads argv[1] with cookie argv[2]; prints the rows (lines after the header), bytes and last row. */
const CLIENT = `
const res = await fetch(process.argv[1], { headers: { cookie: process.argv[2] } });
if (res.status !== 200) { console.error('export answered ' + res.status); process.exit(1); }
const decoder = new TextDecoder();
let lines = 0, bytes = 0, tail = '';
for await (const chunk of res.body) {
  bytes += chunk.length;
  const text = decoder.decode(chunk, { stream: true });
  // The cases written for the benchmark have no line breaks in their cells.
  for (let i = text.indexOf('\\n'); i !== -1; i = text.indexOf('\\n', i + 1)) lines++;
  tail = (tail + text).slice(-2000);
}
console.log(JSON.stringify({ rows: lines - 1, bytes, lastRow: tail.split('\\r\\n').at(-2) ?? '' }));
`;

/** Signs in through the real form; returns the session cookie. */
async function signIn(base: string): Promise<string> {
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
    body: new URLSearchParams({ _csrf: csrf, username: USERNAME, password: PASSWORD }),
  });
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  return cookiesOf(res) || cookiesOf(form);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
