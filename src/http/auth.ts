import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import type { SessionsRepo } from '../db/sessions.js';
import type { SignedInUser, StaffService } from '../features/staff/service.js';
import type { Role } from '../features/staff/service.js';
import { ForbiddenError } from '../errors.js';
import { SqliteSessionStore } from './session-store.js';

declare module 'express-session' {
  interface SessionData {
    userId?: number;
    /** ms since the epoch: a session ends this long after sign-in however busy it is */
    signedInAt?: number;
  }
}

/**
 * The session cookie. Over https it carries the `__Host-` prefix: browsers then accept it only when
 * Secure, for the whole site and for this host alone (no Domain), so a sibling subdomain cannot
 * plant or overwrite it.
 */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-mashang.sid' : 'mashang.sid');
/** A random per-browser token remembered after a sign-in (see staff service: trusted devices). */
export const DEVICE_COOKIE = 'mashang.dev';

/**
 * Server-side sessions in the database for the back office (and for recognising a signed-in cadre who
 * scans a plate). The cookie is httpOnly and SameSite=Lax; it expires after `idleMinutes` without
 * a request (rolling). The cookie's signing secret (`opts.secret`, from the database) is read on the
 * first request that needs a session.
 */
export function setUpSessions(
  app: Express,
  opts: { sessions: SessionsRepo; secret: () => Promise<string>; secure: boolean; idleMinutes: number },
): SqliteSessionStore {
  const store = new SqliteSessionStore(opts.sessions);
  const SESSION_COOKIE = sessionCookieName(opts.secure);
  let middleware: RequestHandler | undefined;
  const build = (secret: string) =>
    session({
      name: SESSION_COOKIE,
      secret,
      store,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { httpOnly: true, sameSite: 'lax', secure: opts.secure, maxAge: opts.idleMinutes * 60_000, path: '/' },
    });
  // Only requests that carry the session cookie (or sign in) pay for the session look-up.
  app.use((req, res, next) => {
    if (!(req.cookies[SESSION_COOKIE] || req.path.startsWith('/admin'))) return next();
    if (middleware) return middleware(req, res, next);
    opts.secret().then((secret) => {
      middleware ??= build(secret);
      middleware(req, res, next);
    }, next);
  });
  return store;
}

/**
 * Loads the signed-in user (res.locals.user) when there is one. A session older than `maxHours`
 * since sign-in ends however active it was (an absolute lifetime on top of the idle timeout).
 */
export function loadUser(staff: StaffService, opts: { maxHours: number; now?: () => number }): RequestHandler {
  const now = opts.now ?? Date.now;
  const load: RequestHandler = async (req, res, next) => {
    const id = req.session?.userId;
    if (id !== undefined) {
      const fresh = (req.session.signedInAt ?? 0) > now() - opts.maxHours * 3600_000;
      const user = fresh ? await staff.sessionUser(id) : undefined;
      if (user) res.locals.user = user;
      else {
        delete req.session.userId;
        delete req.session.signedInAt;
        if (!fresh) res.locals.sessionExpired = true;
      }
    }
    next();
  };
  // Most requests carry no session (villagers): they go on at once, without a promise.
  return (req, res, next) => (req.session?.userId === undefined ? next() : load(req, res, next));
}

export function currentUser(res: Response): SignedInUser | undefined {
  return res.locals.user as SignedInUser | undefined;
}

/** Back-office pages: signed-in users of these roles; anyone else goes to the sign-in page. */
export function requireUser(...roles: Role[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const user = currentUser(res);
    if (!user) {
      // The way back rides along unless it is too long to be a page anyone bookmarked: escaped again
      // it could outgrow what a browser takes in one header.
      const query = [res.locals.sessionExpired ? 'expired=1' : '', req.originalUrl.length <= 2000 ? `next=${encodeURIComponent(req.originalUrl)}` : '']
        .filter(Boolean)
        .join('&');
      if (req.method === 'GET') res.redirect(303, `/admin/login${query ? `?${query}` : ''}`);
      else res.status(401).redirect(303, '/admin/login');
      return;
    }
    if (roles.length && !roles.includes(user.role)) {
      next(new ForbiddenError());
      return;
    }
    next();
  };
}
