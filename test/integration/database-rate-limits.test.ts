import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresDatabase, postgresPool, type Database } from '../../src/db/database.js';
import { migratePostgres } from '../../src/db/migrate-postgres.js';
import { buildApp } from '../helpers/app.js';
import { urlWithDatabase } from '../helpers/engine.js';
import { emptyDb } from '../helpers/db.js';

/**
 * Without Redis, instances on one PostgreSQL count their rate limits in the database (the
 * `rate_limits` table, written by the throttle feature): the windows themselves on both engines,
 * then two apps on one PostgreSQL database sharing a limit.
 */
const PG_URL = process.env.MASHANG_TEST_DATABASE_URL;
if (!PG_URL) console.warn('PostgreSQL tests not run: MASHANG_TEST_DATABASE_URL is not set');

const name = `mashang_rl_${process.pid}_${Date.now().toString(36)}`;
const admin = PG_URL ? new pg.Pool({ connectionString: PG_URL, max: 1 }) : undefined;
const pools: pg.Pool[] = [];
const onPostgres = (): Database => {
  const pool = postgresPool(urlWithDatabase(PG_URL!, name), { max: 3 });
  pools.push(pool);
  return postgresDatabase(pool);
};

beforeAll(async () => {
  if (!admin) return;
  await admin.query(`CREATE DATABASE ${name}`);
  const pool = postgresPool(urlWithDatabase(PG_URL!, name), { max: 1 });
  await migratePostgres(pool);
  await pool.end();
}, 60_000);

afterAll(async () => {
  for (const p of pools) await p.end();
  if (!admin) return;
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}, 60_000);

const engines: Array<[string, () => Database | ReturnType<typeof emptyDb>]> = [['SQLite', emptyDb]];
if (PG_URL) engines.push(['PostgreSQL', onPostgres]);

describe.each(engines)('rate-limit windows in the database (%s)', (_engine, open) => {
  it('counts hits in a window, starts a new one when it ends, takes a hit back, forgets ended windows', async () => {
    let t = new Date('2026-11-30T02:00:00Z');
    const { services } = buildApp({ db: open(), now: () => t });
    const limits = services.throttle.limits;
    const key = `k-${Math.random().toString(36).slice(2)}`;
    expect((await limits.hit(key, 60_000)).hits).toBe(1);
    const second = await limits.hit(key, 60_000);
    expect(second).toEqual({ hits: 2, resetAt: new Date('2026-11-30T02:01:00Z') });
    await limits.undo(key);
    expect((await limits.hit(key, 60_000)).hits).toBe(2);
    // twenty at once, as from several instances: each gets its own count
    const counts = await Promise.all(Array.from({ length: 20 }, () => limits.hit(key, 60_000)));
    expect(counts.map((c) => c.hits).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 3));
    t = new Date('2026-11-30T02:01:00Z');
    expect(await limits.hit(key, 60_000)).toEqual({ hits: 1, resetAt: new Date('2026-11-30T02:02:00Z') });
    await limits.clear(key);
    expect((await limits.hit(key, 60_000)).hits).toBe(1);
    t = new Date('2026-11-30T03:00:00Z');
    expect(await limits.prune()).toBeGreaterThanOrEqual(1);
  });
});

describe.skipIf(!PG_URL)('two instances on one PostgreSQL, no Redis', () => {
  it('count one case look-up limit together: hits on one and the other add up to the 429', async () => {
    const a = buildApp({ db: onPostgres(), rateLimits: { lookupPerIp: 3 } });
    const b = buildApp({ db: onPostgres(), rateLimits: { lookupPerIp: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const agent = request.agent(i % 2 === 0 ? a.app : b.app);
      const page = await agent.get('/track').expect(200);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
      const res = await agent.post('/track').type('form').send({ _csrf: csrf, trackingNo: '20260101-0001', phone: '13912345678' });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 3)).not.toContain(429);
    expect(statuses[3]).toBe(429);
    const { rows } = await pools[pools.length - 1]!.query<{ n: number }>("SELECT count(*)::int AS n FROM rate_limits WHERE key LIKE 'lookup%'");
    expect(rows[0]!.n).toBeGreaterThan(0);
  });
});
