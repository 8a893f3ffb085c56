import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/index.js';
import { freePort, serverJs } from '../helpers/built.js';
import { urlWithDatabase } from '../helpers/engine.js';

/**
 * Two server processes, as `npm start` runs them, on one PostgreSQL database and one Redis: what
 * a load balancer in front of several instances needs them to share.
 */
const PG_URL = process.env.MASHANG_TEST_DATABASE_URL;
const REDIS_URL = process.env.MASHANG_TEST_REDIS_URL;
if (!PG_URL || !REDIS_URL) console.warn('multi-instance tests not run: they need MASHANG_TEST_DATABASE_URL and MASHANG_TEST_REDIS_URL');

async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; !ok();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Instance {
  base: string;
  child: ChildProcess;
  out: () => string;
}

/** A browser: one cookie jar for 127.0.0.1, whichever port (instance) it talks to. */
function browser() {
  const jar = new Map<string, string>();
  const go = async (url: string, init: { method?: string; form?: Record<string, string>; multipart?: Record<string, string> } = {}) => {
    let body: string | FormData | undefined;
    const headers: Record<string, string> = { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (init.multipart) {
      const fd = new FormData();
      for (const [k, v] of Object.entries(init.multipart)) fd.append(k, v);
      body = fd;
    }
    const res = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    return { status: res.status, location: res.headers.get('location') ?? '', text: await res.text() };
  };
  const csrfOf = (html: string) => {
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!token) throw new Error('no CSRF token on the page');
    return token;
  };
  return { go, csrfOf };
}

describe.skipIf(!PG_URL || !REDIS_URL)('two instances on one PostgreSQL and Redis', () => {
  const name = `mashang_multi_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  let pool: pg.Pool;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-multi-'));
  const instances: Instance[] = [];
  const prefix = `multi-${process.pid}-${Date.now().toString(36)}`;

  const start = async (): Promise<Instance> => {
    const port = await freePort();
    const child = spawn(process.execPath, [serverJs], {
      cwd: projectRoot,
      env: {
        PATH: process.env.PATH ?? '',
        LOG_LEVEL: 'info',
        PORT: String(port),
        MASHANG_DATABASE_URL: urlWithDatabase(PG_URL!, name),
        MASHANG_REDIS_URL: REDIS_URL,
        MASHANG_REDIS_PREFIX: prefix,
        MASHANG_DATA_DIR: dataDir,
        MASHANG_ADMIN_PASSWORD: 'county-secret-2026',
        MASHANG_DEMO: '1',
        // SMS wait for the morning at night: this test sends at any hour
        MASHANG_SMS_QUIET_HOURS: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const instance = { base: `http://127.0.0.1:${port}`, child, out: () => out };
    instances.push(instance);
    return instance;
  };

  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    await admin.query(`CREATE DATABASE ${name}`);
    pool = new pg.Pool({ connectionString: urlWithDatabase(PG_URL!, name), max: 2 });
    // Both start at once on the empty database: one migrates and seeds, the other waits and finds it done.
    [a, b] = await Promise.all([start(), start()]);
    await until(() => a.out().includes('is running at') && b.out().includes('is running at'), 90_000, 'both instances to start');
  }, 180_000);

  afterAll(async () => {
    for (const i of instances) if (i.child.exitCode === null) i.child.kill('SIGKILL');
    await pool?.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('started together on an empty database: seeded once, one admin, both healthy', async () => {
    const { rows } = await pool.query<{ villages: number; admins: number }>(
      "SELECT (SELECT count(*)::int FROM villages) AS villages, (SELECT count(*)::int FROM users WHERE username = 'admin') AS admins",
    );
    expect(rows[0]!.villages).toBeGreaterThan(0);
    expect(rows[0]!.admins).toBe(1);
    // the server's log reaches its output in blocks, at the latest a second after a line: wait for
    // the seeding's line, then long enough for any other instance's to have come too
    const seeded = () => [a.out(), b.out()].filter((o) => o.includes('demo district seeded'));
    await until(() => seeded().length > 0, 10_000, 'the seeding to be logged');
    await new Promise((r) => setTimeout(r, 2_000));
    expect(seeded()).toHaveLength(1);
    for (const i of [a, b]) expect((await fetch(`${i.base}/healthz`)).status).toBe(200);
  });

  it('a back-office session made on one instance works on the other, CSRF tokens included', async () => {
    const web = browser();
    const login = await web.go(`${a.base}/admin/login`);
    const signedIn = await web.go(`${a.base}/admin/login`, { form: { _csrf: web.csrfOf(login.text), username: 'admin', password: 'county-secret-2026' } });
    expect(signedIn.status).toBe(303);
    const onB = await web.go(`${b.base}/admin/password`);
    expect(onB.status).toBe(200);
    expect(onB.text).toContain('name="_csrf"');
    // a form opened on B and sent to A: the same signing secret on both
    const wrong = await web.go(`${a.base}/admin/password`, {
      form: { _csrf: web.csrfOf(onB.text), current: 'not-the-password', password: 'x', confirm: 'x' },
    });
    expect(wrong.status).not.toBe(403);
  });

  it('a case filed on one instance is in the other’s inbox; a stale edit on one gets 409 against the other’s change; notified once', async () => {
    const { rows } = await pool.query<{ token: string }>("SELECT token FROM plates WHERE kind = 'household' AND status = 'active' ORDER BY id LIMIT 1");
    const villager = browser();
    const form = await villager.go(`${a.base}/p/${rows[0]!.token}/help/request`);
    const idempotencyKey = /name="idempotencyKey" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
    const filed = await villager.go(`${a.base}/p/${rows[0]!.token}/help/request`, {
      multipart: {
        _csrf: villager.csrfOf(form.text),
        idempotencyKey,
        name: '张秀兰',
        phone: '139 1234 5678',
        content: '村口的路灯坏了三天了，晚上看不见路',
        callbackTime: 'morning',
        notifySms: 'on',
      },
    });
    expect(filed.status).toBe(303);
    const { rows: cases } = await pool.query<{ id: number; tracking_no: string }>('SELECT id, tracking_no FROM cases ORDER BY id DESC LIMIT 1');
    const filedCase = cases[0]!;

    const cadre = browser();
    const login = await cadre.go(`${b.base}/admin/login`);
    await cadre.go(`${b.base}/admin/login`, { form: { _csrf: cadre.csrfOf(login.text), username: 'admin', password: 'county-secret-2026' } });
    const inbox = await cadre.go(`${b.base}/admin/cases`);
    expect(inbox.status).toBe(200);
    expect(inbox.text).toContain(filedCase.tracking_no);

    // the same version, sent once to each instance: the second one is stale
    const page = await cadre.go(`${b.base}/admin/cases/${filedCase.id}`);
    const csrf = cadre.csrfOf(page.text);
    const onB = await cadre.go(`${b.base}/admin/cases/${filedCase.id}/action`, { form: { _csrf: csrf, action: 'accept', version: '1' } });
    expect(onB.status).toBe(303);
    const onA = await cadre.go(`${a.base}/admin/cases/${filedCase.id}/action`, { form: { _csrf: csrf, action: 'accept', version: '1' } });
    expect(onA.status).toBe(409);

    // the villager's "received" SMS: planned and sent once, though both instances deliver
    await until(() => /"msg":"notifications delivered"/.test(a.out() + b.out()) && /"sent":1/.test(a.out() + b.out()), 30_000, 'the SMS to be sent');
    await new Promise((r) => setTimeout(r, 1500));
    const { rows: sent } = await pool.query<{ deliveries: number; attempts: number }>(
      `SELECT count(DISTINCT d.id)::int AS deliveries, count(t.id)::int AS attempts
       FROM notification_deliveries d LEFT JOIN notification_attempts t ON t.delivery_id = d.id WHERE d.case_id = $1 AND d.channel = 'sms'`,
      [filedCase.id],
    );
    expect(sent[0]).toEqual({ deliveries: 1, attempts: 1 });
  });

  it('rate limits count across both instances', async () => {
    // case look-ups: 5 per address per 15 minutes, whichever instance answers
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const web = browser();
      const base = i % 2 === 0 ? a.base : b.base;
      const form = await web.go(`${base}/track`);
      const res = await web.go(`${base}/track`, { form: { _csrf: web.csrfOf(form.text), trackingNo: '20260101-0001', phone: '13912345678' } });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 5)).not.toContain(429);
    expect(statuses[5]).toBe(429);
  });

  it('the auto-close job runs on one instance, not on both', async () => {
    // a case resolved 30 days ago, then both instances run their jobs at the same moment (a restart of both)
    const { rows } = await pool.query<{ id: number }>(
      `UPDATE cases SET state = 'resolved', resolved_at = $1, version = version + 1 WHERE id = (SELECT min(id) FROM cases) RETURNING id`,
      [new Date(Date.now() - 30 * 86_400_000).toISOString()],
    );
    const id = rows[0]!.id;
    for (const i of [a, b]) i.child.kill('SIGTERM');
    await until(() => a.child.exitCode !== null && b.child.exitCode !== null, 15_000, 'both to stop');
    [a, b] = await Promise.all([start(), start()]);
    await until(() => a.out().includes('is running at') && b.out().includes('is running at'), 60_000, 'both instances to restart');
    await until(() => a.out().includes('"closed":1') || b.out().includes('"closed":1'), 20_000, 'the job');
    await new Promise((r) => setTimeout(r, 1000));
    const { rows: events } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM case_events WHERE case_id = $1 AND type = 'auto_closed'", [id]);
    expect(events[0]!.n).toBe(1);
    expect([a.out(), b.out()].filter((o) => o.includes('"closed":1'))).toHaveLength(1);
  }, 120_000);
});
