import crypto from 'node:crypto';
import { BlockList, isIPv4 } from 'node:net';
import type { Request, RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AddressRule, Config } from '../config.js';

/** The database pool's figures (PostgreSQL), read at each scrape. */
export interface PoolStats {
  /** connections open, busy or idle */
  total: number;
  idle: number;
  /** queries waiting for a connection */
  waiting: number;
}

/**
 * Registers gauges of its own into the registry (a gauge's `collect` reads its value at each
 * scrape, and may be async): how features publish figures such as cases by state or the outbox.
 */
export type MetricsCollector = (registry: Registry) => void;

export interface MetricsOptions {
  /** `mashang_db_pool_*` gauges are published only when this is given */
  poolStats?: () => PoolStats;
  collectors?: readonly MetricsCollector[];
}

/** From 5 ms to 5 s: a resident page answers in tens of milliseconds, an export in seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Requests that matched no route share one label: the raw URL (with its tokens) never is one. */
const UNMATCHED = 'unmatched';

const ROUTE_LABEL = Symbol('metricsRoute');

/**
 * Prometheus metrics in a registry of their own: requests by route pattern, method and status,
 * their durations, the process' figures (event-loop lag included) and whatever collectors add.
 * Undefined when nobody may read them (neither a token nor an allow-list is configured): then
 * nothing is measured and /metrics is not served.
 */
export function createMetrics(access: Config['metrics'], opts: MetricsOptions = {}) {
  if (!access.token && access.allow.length === 0) return undefined;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to finishing its answer, by route pattern and method',
    labelNames: ['route', 'method'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  if (opts.poolStats) registerPoolGauges(registry, opts.poolStats);
  for (const collector of opts.collectors ?? []) collector(registry);

  /**
   * Counts every request. The route is taken when the router matches it (`req.route` is set, and
   * `req.baseUrl` is then that router's mount path), so a route in a mounted router keeps its
   * prefix, and an error handled further up still counts under the route that failed.
   */
  /** One request answered: under its route pattern, from `start` (process.hrtime.bigint()) until now. */
  const record = (route: string, method: string, status: number, start: bigint) => {
    requests.inc({ route, method, status: String(status) });
    durations.observe({ route, method }, Number(process.hrtime.bigint() - start) / 1e9);
  };
  const observe: RequestHandler = (req, res, next) => {
    const start = process.hrtime.bigint();
    let route: unknown;
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => route,
      set(value: { path?: unknown } | undefined) {
        route = value;
        (req as Request & { [ROUTE_LABEL]?: string })[ROUTE_LABEL] = value ? req.baseUrl + String(value.path) : undefined;
      },
    });
    res.on('finish', () => {
      record((req as Request & { [ROUTE_LABEL]?: string })[ROUTE_LABEL] ?? UNMATCHED, req.method, res.statusCode, start);
    });
    next();
  };

  const allowed = accessCheck(access);
  /** GET /metrics: the text format to an allowed scraper; anyone else gets the site's usual 404. */
  const serve: RequestHandler = async (req, res, next) => {
    if (!allowed(req)) {
      next();
      return;
    }
    const body = await registry.metrics();
    res.set('Cache-Control', 'no-store').type(registry.contentType).send(body);
  };

  return { registry, observe, serve, record };
}

export type Metrics = NonNullable<ReturnType<typeof createMetrics>>;

/** What the installation publishes of its work: open cases by state, and the notification outbox. */
export function serviceCollectors(services: {
  caseOffice: { stateCounts(): Promise<Record<string, number>> };
  notifications: { backlog(): Promise<{ pending: number; sending: number }> };
}): MetricsCollector[] {
  return [
    (registry) =>
      new Gauge({
        name: 'mashang_cases',
        help: 'Cases by state (from the per-village summaries)',
        labelNames: ['state'] as const,
        registers: [registry],
        async collect() {
          for (const [state, n] of Object.entries(await services.caseOffice.stateCounts())) this.set({ state }, Number(n));
        },
      }),
    (registry) =>
      new Gauge({
        name: 'mashang_notifications_backlog',
        help: 'Notifications not yet delivered: pending (waiting for their time or a retry) and being sent',
        labelNames: ['state'] as const,
        registers: [registry],
        async collect() {
          const b = await services.notifications.backlog();
          this.set({ state: 'pending' }, b.pending);
          this.set({ state: 'sending' }, b.sending);
        },
      }),
  ];
}

function registerPoolGauges(registry: Registry, stats: () => PoolStats): void {
  const gauge = (name: string, help: string, pick: (s: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(pick(stats()));
      },
    });
  gauge('mashang_db_pool_total', 'Database connections open in the pool (busy or idle)', (s) => s.total);
  gauge('mashang_db_pool_idle', 'Database connections open and idle', (s) => s.idle);
  gauge('mashang_db_pool_waiting', 'Queries waiting for a database connection', (s) => s.waiting);
}

/** Same length digests, compared in constant time: neither the token nor its length leaks by timing. */
function sameSecret(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/**
 * A scraper is allowed with `Authorization: Bearer <MASHANG_METRICS_TOKEN>`, or from an address of
 * MASHANG_METRICS_ALLOW. The address is Express's `req.ip`: behind a proxy, only as far as
 * TRUST_PROXY trusts it, so a client cannot claim an allowed address in X-Forwarded-For.
 */
function accessCheck(access: { token?: string; allow: readonly AddressRule[] }): (req: Request) => boolean {
  const list = new BlockList();
  for (const rule of access.allow) {
    if (rule.bits === undefined) list.addAddress(rule.address, rule.family);
    else list.addSubnet(rule.address, rule.bits, rule.family);
  }
  return (req) => {
    if (access.token) {
      const header = req.get('authorization') ?? '';
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (m?.[1] && sameSecret(m[1], access.token)) return true;
    }
    if (access.allow.length === 0) return false;
    const ip = req.ip ?? '';
    // An IPv4 client of a dual-stack socket shows as ::ffff:a.b.c.d.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
    const address = mapped ?? ip;
    try {
      return address !== '' && list.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
    } catch {
      return false;
    }
  };
}
