import crypto from 'node:crypto';
import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createClient } from 'redis';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildApp, type TestApp } from '../helpers/app.js';
import { sqliteDatabase, type Database } from '../../src/db/database.js';
import { seededDb } from '../helpers/db.js';
import { freshPostgresDatabase, onPostgres } from '../helpers/engine.js';
import { JURISDICTION_ID } from '../helpers/open311.js';

/**
 * Several instances behind a load balancer count the rate limits together in Redis
 * (MASHANG_REDIS_URL). Each buildApp is one instance with its own Redis client; they share one
 * database, as real instances do. Keys carry a prefix of their own per run and are deleted after.
 */
const REDIS = process.env.MASHANG_TEST_REDIS_URL;
if (!REDIS) console.warn('shared-rate-limits: MASHANG_TEST_REDIS_URL is not set, so the tests against a running Redis are skipped (.ci/run sets it)');

const opened: TestApp[] = [];
afterAll(async () => {
  await Promise.all(opened.map((t) => t.shared.close()));
});

/** An instance: its own app and Redis client, over the given database. */
function instance(opts: Parameters<typeof buildApp>[0]): TestApp {
  const t = buildApp(opts);
  opened.push(t);
  return t;
}

/** A logger whose warn-and-above lines the test can read. */
function capturingLogger() {
  const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

/** Until the instance's Redis client is connected: /healthz is green. */
async function connected(t: TestApp): Promise<void> {
  await expect.poll(async () => (await request(t.app).get('/healthz')).status, { timeout: 5000, interval: 50 }).toBe(200);
}

describe.skipIf(!REDIS)('rate limits shared through Redis', () => {
  const prefix = `mashang-test:${process.pid}:${crypto.randomUUID()}:`;
  // one database for every instance, on the run's engine (made when a test first needs it)
  let database: Database | undefined;
  const db = () => (database ??= onPostgres ? freshPostgresDatabase() : sqliteDatabase(seededDb()));
  const redis = createClient({ url: REDIS });

  afterAll(async () => {
    if (!redis.isOpen) return;
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) keys.push(...batch);
    if (keys.length) await redis.del(keys);
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
    await redis.close();
  });

  it('counts hits on one instance against the other: A plus B over the limit is refused on B', async () => {
    await redis.connect();
    const config = { redisUrl: REDIS };
    const a = instance({ db: db(), config, limitPrefix: prefix, rateLimits: { lookupPerIp: 3 } });
    const b = instance({ db: db(), config, limitPrefix: prefix, rateLimits: { lookupPerIp: 3 } });
    await connected(a);
    await connected(b);

    // Look-ups (even refused ones, here without a CSRF token) count per address.
    for (let i = 0; i < 2; i++) expect((await request(a.app).post('/track')).status).toBe(403);
    expect((await request(b.app).post('/track')).status).toBe(403);
    const refused = await request(b.app).post('/track');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await request(a.app).post('/track')).status).toBe(429);

    // The counter lives in Redis under the limiter's own prefix, not in either process.
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.length).toBe(1);
    expect(keys[0]).toMatch(new RegExp(`^${prefix}lookup-ip:`));
    expect(Number(await redis.get(keys[0]!))).toBe(5);

    // Another installation (another prefix) on the same Redis counts apart.
    const other = instance({ db: db(), config, limitPrefix: `${prefix}other:`, rateLimits: { lookupPerIp: 3 } });
    await connected(other);
    expect((await request(other.app).post('/track')).status).toBe(403);
  });

  it('shares the Open311 per-key limit too, in a counter of its own', async () => {
    const config = { redisUrl: REDIS };
    const a = instance({ db: db(), config, limitPrefix: prefix, rateLimits: { open311PerKeyPerMinute: 2 } });
    const b = instance({ db: db(), config, limitPrefix: prefix, rateLimits: { open311PerKeyPerMinute: 2 } });
    await connected(a);
    await connected(b);
    const key = (await a.services.open311.createKey('共享限速', null)).key;
    await request(a.app).get(`/open311/v2/services.json?api_key=${key}&jurisdiction_id=${JURISDICTION_ID}`).expect(200);
    await request(b.app).get(`/open311/v2/services.json?api_key=${key}&jurisdiction_id=${JURISDICTION_ID}`).expect(200);
    const refused = await request(a.app).get(`/open311/v2/services.json?api_key=${key}&jurisdiction_id=${JURISDICTION_ID}`);
    expect(refused.status).toBe(429);
    expect(await redis.keys(`${prefix}open311-key:*`)).toHaveLength(1);
  });

  it('when Redis comes only after the instance started, then the limits count once it is there', async () => {
    // A port where nothing listens yet; later a relay from it to the test's Redis.
    const target = new URL(REDIS!);
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const url = new URL(REDIS!);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    const t = instance({ db: db(), config: { redisUrl: url.toString() }, limitPrefix: `${prefix}late:`, rateLimits: { lookupPerIp: 2 } });
    // Redis away: nothing is counted, nothing refused.
    for (let i = 0; i < 3; i++) expect((await request(t.app).post('/track')).status).toBe(403);
    expect((await request(t.app).get('/healthz')).status).toBe(503);

    const sockets = new Set<net.Socket>();
    const relay = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
    try {
      await connected(t);
      expect((await request(t.app).post('/track')).status).toBe(403);
      expect((await request(t.app).post('/track')).status).toBe(403);
      expect((await request(t.app).post('/track')).status).toBe(429);
    } finally {
      await t.shared.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  it('closes its client: a closed instance holds no connection', async () => {
    const name = `mashang-test-${crypto.randomUUID()}`;
    const t = buildApp({ db: db(), config: { redisUrl: REDIS }, limitPrefix: prefix, redisClientName: name });
    await connected(t);
    const connections = async () => ((await redis.sendCommand(['CLIENT', 'LIST'])) as string).split('\n').filter((l) => l.includes(` name=${name} `)).length;
    expect(await connections()).toBe(1);
    await t.shared.close();
    await expect.poll(connections).toBe(0);
    expect(await t.shared.problem()).toBe('redis_unreachable');
  });
});

describe('rate limits when Redis is down', () => {
  // Nothing listens on port 1: every command fails at once.
  const down = 'redis://127.0.0.1:1';

  it('serves every request without waiting, lets limited ones through, and warns once', async () => {
    const { logger, lines } = capturingLogger();
    const t = instance({ config: { redisUrl: down }, logger, rateLimits: { lookupPerIp: 1, loginPerIp: 1 } });
    const token = (await t.services.places.sampleTokens()).household!;
    const timed = async (send: () => request.Test) => {
      const start = Date.now();
      const res = await send();
      expect(Date.now() - start).toBeLessThan(1500);
      return res.status;
    };
    for (let i = 0; i < 4; i++) {
      // over the limit of 1, yet each is answered (403: no CSRF token), never 429, never hung
      expect(await timed(() => request(t.app).post('/track'))).toBe(403);
      expect(await timed(() => request(t.app).post('/admin/login'))).toBe(403);
      expect(await timed(() => request(t.app).get(`/p/${token}`))).toBe(200);
    }
    const warnings = lines.filter((l) => l.msg.startsWith('rate-limit store unavailable'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.level).toBe(40);
    expect(JSON.stringify(lines)).not.toContain('error from store');
  });

  it('turns /healthz red with a reason that does not name the address', async () => {
    const t = instance({ config: { redisUrl: 'redis://:hunter2secret@127.0.0.1:1/0' } });
    const start = Date.now();
    const res = await request(t.app).get('/healthz');
    expect(Date.now() - start).toBeLessThan(1500);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'unavailable', problem: 'redis_unreachable' });
    expect(res.text).not.toContain('127.0.0.1');
    expect(res.text).not.toContain('hunter2');
  });

  it('takes only a redis:// or rediss:// URL, and names the variable but not the value when refused', () => {
    expect(loadConfig({ NODE_ENV: 'test', MASHANG_REDIS_URL: 'redis://:pw@10.0.0.9:6379/2' }).redisUrl).toBe('redis://:pw@10.0.0.9:6379/2');
    expect(loadConfig({ NODE_ENV: 'test', MASHANG_REDIS_URL: 'rediss://cache.internal' }).redisUrl).toBe('rediss://cache.internal');
    expect(loadConfig({ NODE_ENV: 'test' }).redisUrl).toBeUndefined();
    for (const bad of ['http://:pw1secret@cache:6379', 'cache:6379', '']) {
      expect(() => loadConfig({ NODE_ENV: 'test', MASHANG_REDIS_URL: bad })).toThrow(/MASHANG_REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
      expect(() => loadConfig({ NODE_ENV: 'test', MASHANG_REDIS_URL: bad })).not.toThrow(/pw1secret/);
    }
  });

  it('needs the shared state from the caller when MASHANG_REDIS_URL is set', async () => {
    const { createApp } = await import('../../src/app.js');
    const t = buildApp();
    expect(() => createApp({ ...t.services, config: { ...t.services.config, redisUrl: down } }, { logger: pino({ level: 'silent' }) })).toThrow(
      /openSharedState/,
    );
  });
});
