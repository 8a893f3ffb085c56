import session from 'express-session';
import type { Db } from '../db/index.js';

/** express-session store on the app's SQLite database: sessions survive a restart. */
export class SqliteSessionStore extends session.Store {
  private readonly s;

  constructor(db: Db) {
    super();
    this.s = {
      get: db.prepare('SELECT sess FROM sessions WHERE sid = ? AND expires > ?').pluck(),
      set: db.prepare(
        'INSERT INTO sessions (sid, sess, expires) VALUES (?, ?, ?) ON CONFLICT(sid) DO UPDATE SET sess = excluded.sess, expires = excluded.expires',
      ),
      touch: db.prepare('UPDATE sessions SET expires = ? WHERE sid = ?'),
      destroy: db.prepare('DELETE FROM sessions WHERE sid = ?'),
    };
  }

  private expiry(sess: session.SessionData): number {
    const cookie = sess.cookie;
    return cookie?.expires ? new Date(cookie.expires).getTime() : Date.now() + (cookie?.originalMaxAge ?? 86_400_000);
  }

  override get(sid: string, cb: (err: unknown, session?: session.SessionData | null) => void): void {
    try {
      const raw = this.s.get.get(sid, Date.now()) as string | undefined;
      cb(null, raw ? (JSON.parse(raw) as session.SessionData) : null);
    } catch (err) {
      cb(err);
    }
  }

  override set(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    try {
      this.s.set.run(sid, JSON.stringify(sess), this.expiry(sess));
      cb?.();
    } catch (err) {
      cb?.(err);
    }
  }

  override touch(sid: string, sess: session.SessionData, cb?: () => void): void {
    this.s.touch.run(this.expiry(sess), sid);
    cb?.();
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    try {
      this.s.destroy.run(sid);
      cb?.();
    } catch (err) {
      cb?.(err);
    }
  }

}
