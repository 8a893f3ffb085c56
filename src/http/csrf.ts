import crypto from 'node:crypto';
import type { Express, Request, RequestHandler } from 'express';
import { doubleCsrf } from 'csrf-csrf';
import { CsrfError } from '../errors.js';

export const BROWSER_ID_COOKIE = 'mashang_bid';

/**
 * CSRF protection on every form post (double-submit cookie, HMAC-signed and bound to a random
 * per-browser id, so anonymous villagers need no server session). Views put `csrfToken` in a
 * hidden `_csrf` field. The signing secret is read (`opts.secret`, from the database) on the first
 * request that passes here; tokens are made and checked only after that.
 */
export function setUpCsrf(app: Express, opts: { secret: () => Promise<string>; secure: boolean }): { protect: RequestHandler } {
  let secret: string | undefined;
  const { generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => {
      if (secret === undefined) throw new Error('CSRF secret not loaded yet');
      return secret;
    },
    getSessionIdentifier: (req: Request) => String(req.cookies?.[BROWSER_ID_COOKIE] ?? ''),
    cookieName: opts.secure ? '__Host-mashang.csrf' : 'mashang_csrf',
    cookieOptions: { sameSite: 'lax', secure: opts.secure, httpOnly: true, path: '/' },
    getCsrfTokenFromRequest: (req: Request) => (req.body as Record<string, unknown> | undefined)?._csrf as string | undefined,
  });

  // A function, not a value: only pages that render a form create a token and set the cookies
  // (Express copies locals into every render, which would run a getter on every page).
  app.use((req, res, next) => {
    if (secret === undefined) {
      opts.secret().then((s) => {
        secret ??= s;
        tokenMaker(req, res, next);
      }, next);
      return;
    }
    tokenMaker(req, res, next);
  });
  const tokenMaker: RequestHandler = (req, res, next) => {
    let token: string | undefined;
    res.locals.csrfToken = (): string => {
      if (token) return token;
      // The random per-browser id the token is bound to.
      const id = req.cookies?.[BROWSER_ID_COOKIE] as unknown;
      if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(id)) {
        const fresh = crypto.randomBytes(16).toString('base64url');
        req.cookies[BROWSER_ID_COOKIE] = fresh;
        res.cookie(BROWSER_ID_COOKIE, fresh, { httpOnly: true, sameSite: 'lax', secure: opts.secure, path: '/' });
      }
      return (token = generateCsrfToken(req, res));
    };
    next();
  };

  const protect: RequestHandler = (req, _res, next) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method) || validateRequest(req)) {
      next();
      return;
    }
    next(new CsrfError());
  };
  return { protect };
}
