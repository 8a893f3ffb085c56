import type { Db } from './index.js';

/**
 * The sessions table, its one owner: the session store reads and writes it (sid → serialised
 * session, expiry in ms); staff end a user's sessions and drop expired ones through it.
 */
export function createSessionsRepo(db: Db) {
  const get = db.prepare('SELECT sess FROM sessions WHERE sid = ? AND expires > ?').pluck();
  const set = db.prepare(
    'INSERT INTO sessions (sid, sess, expires) VALUES (?, ?, ?) ON CONFLICT(sid) DO UPDATE SET sess = excluded.sess, expires = excluded.expires',
  );
  const touch = db.prepare('UPDATE sessions SET expires = ? WHERE sid = ?');
  const destroy = db.prepare('DELETE FROM sessions WHERE sid = ?');
  const prune = db.prepare('DELETE FROM sessions WHERE expires <= ?');
  const endForUser = db.prepare("DELETE FROM sessions WHERE json_extract(sess, '$.userId') = ? AND sid IS NOT ?");
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
    /** Removes sessions expired by `now` (ms); returns how many. */
    prune: (now: number) => prune.run(now).changes,
    /** Ends a user's sessions, all but `keepSid` when given; returns how many. */
    endForUser: (userId: number, keepSid: string | null) => endForUser.run(userId, keepSid).changes,
  };
}

export type SessionsRepo = ReturnType<typeof createSessionsRepo>;
