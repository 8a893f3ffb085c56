import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import type { Db } from '../db/index.js';
import type { SignedInUser, StaffService } from '../features/staff/service.js';
import type { Role } from '../features/staff/repo.js';
import { ForbiddenError } from '../errors.js';
import { SqliteSessionStore } from './session-store.js';

declare module 'express-session' {
  interface SessionData {
    userId?: number;
  }
}

export const SESSION_COOKIE = 'mashang.sid';

/**
 * Server-side sessions in SQLite for the back office (and for recognising a signed-in cadre who
 * scans a plate). The cookie is httpOnly and SameSite=Lax; it expires after `idleMinutes` without
 * a request (rolling).
 */
export function setUpSessions(app: Express, opts: { db: Db; secret: string; secure: boolean; idleMinutes: number }): SqliteSessionStore {
  const store = new SqliteSessionStore(opts.db);
  const middleware = session({
    name: SESSION_COOKIE,
    secret: opts.secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', secure: opts.secure, maxAge: opts.idleMinutes * 60_000, path: '/' },
  });
  // Only requests that carry the session cookie (or sign in) pay for the session look-up.
  app.use((req, res, next) => {
    if (req.path.startsWith('/admin') || req.cookies?.[SESSION_COOKIE]) middleware(req, res, next);
    else next();
  });
  return store;
}

/** Loads the signed-in user (res.locals.user) when there is one. */
export function loadUser(staff: StaffService): RequestHandler {
  return (req, res, next) => {
    const id = req.session?.userId;
    if (id !== undefined) {
      const user = staff.sessionUser(id);
      if (user) res.locals.user = user;
      else delete req.session.userId;
    }
    next();
  };
}

export function currentUser(res: Response): SignedInUser | undefined {
  return res.locals.user as SignedInUser | undefined;
}

/** Back-office pages: signed-in users of these roles; anyone else goes to the sign-in page. */
export function requireUser(...roles: Role[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const user = currentUser(res);
    if (!user) {
      if (req.method === 'GET') res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
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
