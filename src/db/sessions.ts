import type { Db } from './index.js';

/** The sessions table as the session store uses it (sid → serialised session, expiry in ms). */
export function createSessionsRepo(db: Db) {
  const get = db.prepare('SELECT sess FROM sessions WHERE sid = ? AND expires > ?').pluck();
  const set = db.prepare(
    'INSERT INTO sessions (sid, sess, expires) VALUES (?, ?, ?) ON CONFLICT(sid) DO UPDATE SET sess = excluded.sess, expires = excluded.expires',
  );
  const touch = db.prepare('UPDATE sessions SET expires = ? WHERE sid = ?');
  const destroy = db.prepare('DELETE FROM sessions WHERE sid = ?');
  return {
    get: (sid: string, now: number) => get.get(sid, now) as string | undefined,
    set: (sid: string, sess: string, expires: number) => {
      set.run(sid, sess, expires);
    },
    touch: (sid: string, expires: number) => {
      touch.run(expires, sid);
    },
    destroy: (sid: string) => {
      destroy.run(sid);
    },
  };
}

export type SessionsRepo = ReturnType<typeof createSessionsRepo>;
