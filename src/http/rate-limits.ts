import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, ipKeyGenerator } from 'express-rate-limit';

const tooMany = (_req: Request, res: Response) => {
  const t = res.locals.t;
  res.status(429).render('errors/error', { title: t('errors.tooManyTitle'), body: t('errors.tooManyBody'), status: 429, stack: undefined });
};

export interface RateLimitSettings {
  /** submissions per IP per hour */
  submitPerIp: number;
  /** submissions per plate per hour */
  submitPerPlate: number;
  /** case look-ups by tracking number per IP per 15 minutes */
  lookupPerIp: number;
  /** sign-in attempts per IP per 15 minutes (accounts also lock after 5 failures) */
  loginPerIp: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitSettings = { submitPerIp: 10, submitPerPlate: 20, lookupPerIp: 5, loginPerIp: 20 };

/** Friendly 429 pages in Chinese; counters in memory (one process). */
export function createRateLimits(s: RateLimitSettings) {
  const ipKey = (req: Request) => ipKeyGenerator(req.ip ?? '');
  const onlyPosts = (req: Request) => req.method !== 'POST';
  const submitPerIp: RequestHandler = rateLimit({
    windowMs: 3600_000,
    limit: s.submitPerIp,
    keyGenerator: ipKey,
    skip: onlyPosts,
    handler: tooMany,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
  });
  const submitPerPlate: RequestHandler = rateLimit({
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
    windowMs: 15 * 60_000,
    limit: s.lookupPerIp,
    keyGenerator: ipKey,
    skip: onlyPosts,
    handler: tooMany,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
  });
  const villagerAction: RequestHandler = rateLimit({
    windowMs: 3600_000,
    limit: s.submitPerIp * 2,
    keyGenerator: ipKey,
    skip: onlyPosts,
    handler: tooMany,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
  });
  const login: RequestHandler = rateLimit({
    windowMs: 15 * 60_000,
    limit: s.loginPerIp,
    keyGenerator: ipKey,
    skip: onlyPosts,
    handler: tooMany,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
  });
  return { submitPerIp, submitPerPlate, lookup, villagerAction, login };
}

export type RateLimits = ReturnType<typeof createRateLimits>;
