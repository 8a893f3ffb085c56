import session from 'express-session';
import type { SessionsRepo } from '../db/sessions.js';

/**
 * express-session store on the app's database: sessions survive a restart. express-session speaks
 * callbacks: each method hands the repo's outcome (or its error) to the callback.
 */
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
    this.s
      .get(sid, Date.now())
      .then((raw) => (raw ? (JSON.parse(raw) as session.SessionData) : null))
      .then(
        (found) => cb(null, found),
        (err: unknown) => cb(err),
      );
  }

  override set(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    let value: string;
    try {
      value = JSON.stringify(sess);
    } catch (err) {
      cb?.(err);
      return;
    }
    this.s.set(sid, value, this.expiry(sess)).then(
      () => cb?.(),
      (err: unknown) => cb?.(err),
    );
  }

  // express-session passes a failed touch on to the request's error handler.
  override touch(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    this.s.touch(sid, this.expiry(sess)).then(
      () => cb?.(),
      (err: unknown) => cb?.(err),
    );
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.s.destroy(sid).then(
      () => cb?.(),
      (err: unknown) => cb?.(err),
    );
  }
}
