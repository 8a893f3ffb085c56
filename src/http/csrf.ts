import crypto from 'node:crypto';
import type { Express, Request, RequestHandler } from 'express';
import { doubleCsrf } from 'csrf-csrf';
import { CsrfError } from '../errors.js';

export const BROWSER_ID_COOKIE = 'mashang_bid';

/**
 * CSRF protection on every form post (double-submit cookie, HMAC-signed and bound to a random
 * per-browser id, so anonymous villagers need no server session). Views put `csrfToken` in a
 * hidden `_csrf` field.
 */
export function setUpCsrf(app: Express, opts: { secret: string; secure: boolean }): { protect: RequestHandler } {
  // A random id per browser that the token is bound to.
  app.use((req, res, next) => {
    let id = req.cookies?.[BROWSER_ID_COOKIE] as string | undefined;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(id)) {
      id = crypto.randomBytes(16).toString('base64url');
      req.cookies[BROWSER_ID_COOKIE] = id;
      res.cookie(BROWSER_ID_COOKIE, id, { httpOnly: true, sameSite: 'lax', secure: opts.secure, path: '/' });
    }
    next();
  });

  const { generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => opts.secret,
    getSessionIdentifier: (req: Request) => String(req.cookies?.[BROWSER_ID_COOKIE] ?? ''),
    cookieName: opts.secure ? '__Host-mashang.csrf' : 'mashang_csrf',
    cookieOptions: { sameSite: 'lax', secure: opts.secure, httpOnly: true, path: '/' },
    getCsrfTokenFromRequest: (req: Request) => (req.body as Record<string, unknown> | undefined)?._csrf as string | undefined,
  });

  // Every page can render a form: give it a token lazily (only pages that ask set the cookie).
  app.use((req, res, next) => {
    let token: string | undefined;
    Object.defineProperty(res.locals, 'csrfToken', {
      get: () => (token ??= generateCsrfToken(req, res)),
      enumerable: true,
      configurable: true,
    });
    next();
  });

  const protect: RequestHandler = (req, _res, next) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method) || validateRequest(req)) {
      next();
      return;
    }
    next(new CsrfError());
  };
  return { protect };
}
