import session from 'express-session';
import type { SessionsRepo } from '../db/sessions.js';

/** express-session store on the app's SQLite database: sessions survive a restart. */
export class SqliteSessionStore extends session.Store {
  private readonly s: SessionsRepo;

  constructor(sessions: SessionsRepo) {
    super();
    this.s = sessions;
  }

  private expiry(sess: session.SessionData): number {
    const cookie = sess.cookie;
    return cookie?.expires ? new Date(cookie.expires).getTime() : Date.now() + (cookie?.originalMaxAge ?? 86_400_000);
  }

  override get(sid: string, cb: (err: unknown, session?: session.SessionData | null) => void): void {
    try {
      const raw = this.s.get(sid, Date.now());
      cb(null, raw ? (JSON.parse(raw) as session.SessionData) : null);
    } catch (err) {
      cb(err);
    }
  }

  override set(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    try {
      this.s.set(sid, JSON.stringify(sess), this.expiry(sess));
      cb?.();
    } catch (err) {
      cb?.(err);
    }
  }

  override touch(sid: string, sess: session.SessionData, cb?: () => void): void {
    this.s.touch(sid, this.expiry(sess));
    cb?.();
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    try {
      this.s.destroy(sid);
      cb?.();
    } catch (err) {
      cb?.(err);
    }
  }
}
