import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { Gauge } from 'prom-client';
import { ConfigError, loadConfig, parseAddressList, type Config } from '../../src/config.js';
import { buildApp } from '../helpers/app.js';
import { onPostgres } from '../helpers/engine.js';

const TOKEN = 'scrape-token-0123456789abcdef';

const metricsConfig = (m: { token?: string; allow?: string }): Partial<Config> => ({
  metrics: { token: m.token, allow: m.allow ? (parseAddressList(m.allow) ?? []) : [] },
});

/** The value of one sample line (name with its labels as Prometheus prints them), or undefined. */
function sample(text: string, nameWithLabels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(nameWithLabels + ' '));
  return line === undefined ? undefined : Number(line.slice(nameWithLabels.length + 1));
}

describe('/metrics', () => {
  it('is not served at all when neither a token nor an allow-list is configured', async () => {
    const { app } = buildApp();
    const res = await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    expect(res.status).toBe(404);
  });

  it('answers 404 like any unknown page without the token, with a wrong one, or from an address not allowed', async () => {
    const { app, sql } = buildApp({ config: metricsConfig({ token: TOKEN, allow: '10.0.0.0/8,192.0.2.7' }) });
    const unknown = await request(app).get('/no-such-page');
    const sessionsBefore = await sql.value('SELECT count(*) FROM sessions');
    for (const auth of [undefined, 'Bearer wrong-token-0123456789abcdef', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN]) {
      const req = request(app).get('/metrics');
      if (auth) req.set('Authorization', auth);
      const res = await req;
      expect(res.status, String(auth)).toBe(404);
      expect(res.text).not.toContain('http_requests_total');
      expect(res.headers['content-type']).toBe(unknown.headers['content-type']);
    }
    // Not trusted as a proxy: a client cannot claim an allowed address.
    const forged = await request(app).get('/metrics').set('X-Forwarded-For', '10.1.2.3');
    expect(forged.status).toBe(404);
    expect(await sql.value('SELECT count(*) FROM sessions')).toBe(sessionsBefore);
  });

  it('answers the bearer of the token in the Prometheus text format, making no session', async () => {
    const { app, sql } = buildApp({ config: metricsConfig({ token: TOKEN }) });
    const res = await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(res.text).toContain('# TYPE http_requests_total counter');
    // the process' own figures, event-loop lag included
    expect(res.text).toContain('process_cpu_user_seconds_total');
    expect(res.text).toContain('nodejs_eventloop_lag_seconds');
    // the event loop's delay as percentiles (monitorEventLoopDelay), as bench:scale reports it
    for (const p of ['p50', 'p90', 'p99', 'max']) expect(res.text).toMatch(new RegExp(`^nodejs_eventloop_lag_${p}_seconds \\d`, 'm'));
    // the pool gauges come with PostgreSQL's pool; SQLite has no pool, and no gauges
    expect(res.text.includes('mashang_db_pool_total')).toBe(onPostgres);
    expect(await sql.value('SELECT count(*) FROM sessions')).toBe(0);
  });

  it('answers a client from an allowed address (IPv4 or CIDR), as far as TRUST_PROXY trusts X-Forwarded-For', async () => {
    const direct = buildApp({ config: metricsConfig({ allow: '127.0.0.1' }) });
    expect((await request(direct.app).get('/metrics')).status).toBe(200);

    const behindProxy = buildApp({ config: { ...metricsConfig({ allow: '10.0.0.0/8' }), trustProxy: 1 } });
    expect((await request(behindProxy.app).get('/metrics').set('X-Forwarded-For', '10.20.30.40')).status).toBe(200);
    expect((await request(behindProxy.app).get('/metrics').set('X-Forwarded-For', '11.0.0.1')).status).toBe(404);
    expect((await request(behindProxy.app).get('/metrics')).status).toBe(404);
  });

  it('counts a resident page under its route pattern, never with its token, and times it', async () => {
    const { app, services } = buildApp({ config: metricsConfig({ token: TOKEN }) });
    const token = (await services.places.sampleTokens()).household!;
    expect(token).toBeTruthy();
    expect((await request(app).get(`/p/${token}`)).status).toBe(200);
    expect((await request(app).get(`/p/${token}`)).status).toBe(200);
    expect((await request(app).get('/p/no-such-plate-token')).status).toBe(404);
    expect((await request(app).get('/nowhere/at/all')).status).toBe(404);
    expect((await request(app).get('/admin/login')).status).toBe(200);

    const text = (await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`)).text;
    expect(sample(text, 'http_requests_total{route="/p/:token",method="GET",status="200"}')).toBe(2);
    expect(sample(text, 'http_requests_total{route="/p/:token",method="GET",status="404"}')).toBe(1);
    expect(sample(text, 'http_requests_total{route="unmatched",method="GET",status="404"}')).toBe(1);
    // a route of a router mounted at /admin keeps its prefix
    expect(sample(text, 'http_requests_total{route="/admin/login",method="GET",status="200"}')).toBe(1);
    expect(text).not.toContain(token);
    expect(text).not.toContain('no-such-plate-token');
    expect(text).not.toContain('/nowhere');
    // the histogram: buckets from 5 ms to 5 s, and every request counted
    expect(sample(text, 'http_request_duration_seconds_count{route="/p/:token",method="GET"}')).toBe(3);
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.005",route="/p/:token",method="GET"}');
    expect(text).toContain('http_request_duration_seconds_bucket{le="5",route="/p/:token",method="GET"}');
  });

  it('publishes the pool gauges when given a pool, and the gauges collectors register', async () => {
    const { app } = buildApp({
      config: metricsConfig({ token: TOKEN }),
      metrics: {
        poolStats: () => ({ total: 7, idle: 3, waiting: 2 }),
        collectors: [
          (registry) =>
            new Gauge({
              name: 'mashang_test_backlog',
              help: 'a collector registered by a feature',
              registers: [registry],
              collect() {
                this.set(42);
              },
            }),
        ],
      },
    });
    const text = (await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`)).text;
    expect(sample(text, 'mashang_db_pool_total')).toBe(7);
    expect(sample(text, 'mashang_db_pool_idle')).toBe(3);
    expect(sample(text, 'mashang_db_pool_waiting')).toBe(2);
    expect(sample(text, 'mashang_test_backlog')).toBe(42);
  });

  it('refuses a short token or a malformed allow-list at start-up', () => {
    const base = { NODE_ENV: 'test' as const };
    expect(() => loadConfig({ ...base, MASHANG_METRICS_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, MASHANG_METRICS_ALLOW: '10.0.0.0/33' })).toThrow(/MASHANG_METRICS_ALLOW/);
    expect(() => loadConfig({ ...base, MASHANG_METRICS_ALLOW: 'prometheus.local' })).toThrow(/MASHANG_METRICS_ALLOW/);
    const ok = loadConfig({ ...base, MASHANG_METRICS_TOKEN: TOKEN, MASHANG_METRICS_ALLOW: ' 10.0.0.5, 192.168.1.0/24 ,::1' });
    expect(ok.metrics.token).toBe(TOKEN);
    expect(ok.metrics.allow).toEqual([
      { address: '10.0.0.5', family: 'ipv4' },
      { address: '192.168.1.0', family: 'ipv4', bits: 24 },
      { address: '::1', family: 'ipv6' },
    ]);
  });
});
