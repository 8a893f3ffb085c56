import type { ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import { t } from '../i18n/index.js';

export const ELDER_COOKIE = 'mashang_elder';
export const HOME_COOKIE = 'mashang_home';
const YEAR_MS = 365 * 24 * 3600 * 1000;

const HOME_PATH = /^\/[pv]\/[A-Za-z0-9_-]{12}$/;

/** Values every page may use: the translator, elder mode, the plate the phone came from (after readCookies). */
export function pageLocals(req: Request, res: Response): void {
  const locals = res.locals;
  locals.t = t;
  locals.elder = req.cookies[ELDER_COOKIE] === '1';
  const home = req.cookies[HOME_COOKIE];
  locals.homePath = typeof home === 'string' && HOME_PATH.test(home) ? home : null;
  locals.currentPath = req.originalUrl;
  locals.user = undefined;
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

/** The home cookie's expiry as text, worked out once a second (it has a second's precision). */
let homeExpiry = { second: -1, text: '' };

/**
 * Sets the home cookie to a plate's path (`/p/…` or `/v/…`, token characters only): the same
 * header res.cookie(HOME_COOKIE, path, cookieOptions(req)) writes (secure: req.secure), without
 * building and checking it anew on every scan.
 */
export function setHomeCookie(res: ServerResponse, path: string, secure: boolean): void {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== homeExpiry.second) homeExpiry = { second, text: new Date(now + YEAR_MS).toUTCString() };
  res.appendHeader(
    'Set-Cookie',
    `${HOME_COOKIE}=${encodeURIComponent(path)}; Max-Age=${YEAR_MS / 1000}; Path=/; Expires=${homeExpiry.text}; HttpOnly${secure ? '; Secure' : ''}; SameSite=Lax`,
  );
}
