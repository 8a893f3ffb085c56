import session from 'express-session';
import type { SessionsRepo } from '../db/sessions.js';

/**
 * express-session store on the app's database: sessions survive a restart. express-session speaks
 * callbacks: each method hands the repo's outcome (or its error) to the callback.
 */
/**
 * A session's stored expiry is moved forward at most this often: a back-office user's every
 * request (a dashboard reloaded again and again) would otherwise be a write, and on SQLite a
 * synchronous commit on the server's one thread. The stored expiry then lags the cookie's by up to
 * this much, and at most a tenth of the idle time (MASHANG_IDLE_MINUTES may be 1): an idle session
 * ends up to a minute early, never late.
 */
export const TOUCH_EVERY_MS = 60_000;
/** sessions whose last written expiry is remembered (past it, the memory starts again) */
const REMEMBERED = 10_000;

export class SqliteSessionStore extends session.Store {
  private readonly s: SessionsRepo;
  /** the expiry last written for each session (by this process) */
  private readonly written = new Map<string, number>();

  private remember(sid: string, expires: number): void {
    if (this.written.size >= REMEMBERED) this.written.clear();
    this.written.set(sid, expires);
  }

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
    const expires = this.expiry(sess);
    this.s.set(sid, value, expires).then(
      () => {
        this.remember(sid, expires);
        cb?.();
      },
      (err: unknown) => cb?.(err),
    );
  }

  // express-session passes a failed touch on to the request's error handler.
  override touch(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    const expires = this.expiry(sess);
    const last = this.written.get(sid);
    const every = Math.min(TOUCH_EVERY_MS, (sess.cookie?.originalMaxAge ?? Infinity) / 10);
    if (last !== undefined && expires >= last && expires - last < every) {
      cb?.();
      return;
    }
    this.s.touch(sid, expires).then(
      () => {
        this.remember(sid, expires);
        cb?.();
      },
      (err: unknown) => cb?.(err),
    );
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.written.delete(sid);
    this.s.destroy(sid).then(
      () => cb?.(),
      (err: unknown) => cb?.(err),
    );
  }
}
