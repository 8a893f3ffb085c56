import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, ipKeyGenerator, type Store } from 'express-rate-limit';
import type { Logger } from 'pino';

/**
 * What a page does when a limit is reached: a route may set `res.locals.onTooMany(minutes)` to show
 * its own form again with what was typed; otherwise a friendly page. Either way the wait it names is
 * the real one, and Retry-After says the same.
 */
const tooMany = (req: Request, res: Response) => {
  const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
  const minutes = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + 60_000) - Date.now()) / 60_000));
  res.set('Retry-After', String(minutes * 60));
  const own = res.locals.onTooMany as ((minutes: number) => void) | undefined;
  if (own) {
    own(minutes);
    return;
  }
  const t = res.locals.t;
  res.status(429).render('errors/error', { title: t('errors.tooManyTitle'), body: t('errors.tooManyBody', { minutes }), status: 429, stack: undefined });
};

export interface RateLimitSettings {
  /** cases filed per IP per hour (only filed ones count: a village may share one carrier address) */
  submitPerIp: number;
  /** rejected submissions (bad input, no CSRF token, junk) per IP per hour */
  invalidPerIp: number;
  /** cases filed per plate per hour */
  submitPerPlate: number;
  /** case look-ups by tracking number per IP per 15 minutes */
  lookupPerIp: number;
  /** sign-in attempts per IP per 15 minutes (accounts are also throttled per account and source) */
  loginPerIp: number;
  /** Open311 calls per API key per minute (optional: the feature has its default) */
  open311PerKeyPerMinute?: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitSettings = { submitPerIp: 30, invalidPerIp: 60, submitPerPlate: 20, lookupPerIp: 5, loginPerIp: 20 };

/**
 * Where a limiter keeps its counters, by the limiter's name (each name is one limiter, so stores
 * never mix their counts). `undefined` keeps them in this process's memory: right for one
 * instance only. Redis (shared-state.ts) counts across instances; a store in the database could be
 * plugged in here the same way.
 */
export type LimitStoreFactory = (name: string) => Store | undefined;

export const memoryLimitStore: LimitStoreFactory = () => undefined;

/** What a database-backed store needs: the throttle feature's rate-limit windows. */
export interface LimitWindows {
  hit(key: string, windowMs: number): Promise<{ hits: number; resetAt: Date }>;
  undo(key: string): Promise<void>;
  clear(key: string): Promise<void>;
}

/**
 * Limits counted in the database (the `rate_limits` table): every instance on one PostgreSQL
 * counts together without Redis, at the cost of a write per counted request.
 */
export function databaseLimitStore(windows: LimitWindows): LimitStoreFactory {
  return (name) => {
    let windowMs = 60_000;
    const key = (k: string) => `${name}:${k}`;
    const store: Store = {
      prefix: name,
      localKeys: false,
      init(options) {
        windowMs = options.windowMs;
      },
      async increment(k) {
        const { hits, resetAt } = await windows.hit(key(k), windowMs);
        return { totalHits: hits, resetTime: resetAt };
      },
      decrement: (k) => windows.undo(key(k)),
      resetKey: (k) => windows.clear(key(k)),
    };
    return store;
  };
}

/** A store failure is logged at most this often: an outage must not write a line per request. */
const STORE_ERROR_LOG_MS = 60_000;

/**
 * The store options every limiter of the app gets: its own store, and fail-open. A store that
 * errors (Redis away) lets the request through without counting rather than fail or hang the
 * page; it is logged at warn once a minute at most, with how many store calls failed since the
 * last line.
 */
export function limitStores(createLimitStore: LimitStoreFactory, logger: Logger, now: () => number = Date.now) {
  let lastLogged = -Infinity;
  let failures = 0;
  const warnThrottled = (name: string, err: unknown) => {
    failures++;
    const t = now();
    if (t - lastLogged < STORE_ERROR_LOG_MS) return;
    lastLogged = t;
    logger.warn(
      { limiter: name, err: err instanceof Error ? err.message : String(err), failures },
      'rate-limit store unavailable: requests pass without being counted',
    );
    failures = 0;
  };
  return (name: string) => ({
    store: createLimitStore(name),
    passOnStoreError: true,
    logger: {
      // express-rate-limit passes a message with store errors; its own configuration checks come alone.
      error: (err: unknown, message?: string) => (message ? warnThrottled(name, err) : logger.error({ err, limiter: name }, 'rate limiter')),
      warn: (err: unknown) => logger.warn({ err, limiter: name }, 'rate limiter'),
    },
  });
}

export type LimitStores = ReturnType<typeof limitStores>;

/** Friendly 429 pages in Chinese that name the real wait; counters where `stores` keeps them. */
export function createRateLimits(s: RateLimitSettings, stores: LimitStores) {
  const ipKey = (req: Request) => ipKeyGenerator(req.ip ?? '');
  const onlyPosts = (req: Request) => req.method !== 'POST';
  // Before the body is read: a flood of rejected posts stops here, cheaply.
  const invalidPerIp: RequestHandler = rateLimit({
    ...stores('invalid-ip'),
    windowMs: 3600_000,
    limit: s.invalidPerIp,
    keyGenerator: ipKey,
    skip: onlyPosts,
    skipSuccessfulRequests: true,
    handler: tooMany,
    standardHeaders: false,
    legacyHeaders: false,
  });
  // After the body is read and checked: only cases actually filed count, and the page that says
  // "wait" keeps what the villager typed.
  const submitPerIp: RequestHandler = rateLimit({
    ...stores('submit-ip'),
    windowMs: 3600_000,
    limit: s.submitPerIp,
    keyGenerator: ipKey,
    skip: onlyPosts,
    skipFailedRequests: true,
    handler: tooMany,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
  });
  const submitPerPlate: RequestHandler = rateLimit({
    ...stores('submit-plate'),
    windowMs: 3600_000,
    limit: s.submitPerPlate,
    keyGenerator: (req) => `plate:${String(req.params.token ?? 'none')}`,
    skip: onlyPosts,
    // Only cases actually filed count: junk posts (no CSRF token, bad input) must not lock a plate
    // that hangs on a public notice board for everyone else.
    skipFailedRequests: true,
    handler: tooMany,
    standardHeaders: false,
    legacyHeaders: false,
  });
  const lookup: RequestHandler = rateLimit({
    ...stores('lookup-ip'),
    windowMs: 15 * 60_000,
    limit: s.lookupPerIp,
    keyGenerator: ipKey,
    skip: onlyPosts,
    handler: tooMany,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
  });
  const villagerAction: RequestHandler = rateLimit({
    ...stores('villager-action'),
    windowMs: 3600_000,
    limit: s.submitPerIp * 2,
    keyGenerator: ipKey,
    skip: onlyPosts,
    handler: tooMany,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
  });
  const login: RequestHandler = rateLimit({
    ...stores('login-ip'),
    windowMs: 15 * 60_000,
    limit: s.loginPerIp,
    keyGenerator: ipKey,
    skip: onlyPosts,
    handler: tooMany,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
  });
  return { invalidPerIp, submitPerIp, submitPerPlate, lookup, villagerAction, login };
}

export type RateLimits = ReturnType<typeof createRateLimits>;
