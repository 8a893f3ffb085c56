import type { Express, Request } from 'express';
import { t } from '../i18n/index.js';

export const ELDER_COOKIE = 'mashang_elder';
export const HOME_COOKIE = 'mashang_home';
const YEAR_MS = 365 * 24 * 3600 * 1000;

/** Values every page may use: the translator, elder mode, the plate the phone came from. */
export function setUpLocals(app: Express): void {
  app.use((req, res, next) => {
    res.locals.t = t;
    res.locals.elder = req.cookies?.[ELDER_COOKIE] === '1';
    const home = req.cookies?.[HOME_COOKIE];
    res.locals.homePath = typeof home === 'string' && /^\/[pv]\/[A-Za-z0-9_-]{12}$/.test(home) ? home : null;
    res.locals.currentPath = req.originalUrl;
    res.locals.user = undefined;
    next();
  });
}

/** A path on this site to go back to after switching mode; anything else goes to the catalogue. */
export function safeBackPath(back: unknown): string {
  if (typeof back !== 'string' || !back.startsWith('/') || back.startsWith('//') || back.includes('\\') || back.length > 300) {
    return '/services';
  }
  return back;
}

export function cookieOptions(req: Request) {
  return { httpOnly: true, sameSite: 'lax' as const, secure: req.secure, maxAge: YEAR_MS, path: '/' };
}
