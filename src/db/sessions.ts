import { sql } from 'kysely';
import type { Database } from './database.js';
import { jsonNumberIs } from './dialect.js';

/**
 * The sessions table, its one owner: the session store reads and writes it (sid → serialised
 * session, expiry in ms); staff end a user's sessions and drop expired ones through it.
 */
export function createSessionsRepo(db: Database) {
  return {
    get: async (sid: string, now: number) => (await db.get<{ sess: string }>(sql`SELECT sess FROM sessions WHERE sid = ${sid} AND expires > ${now}`))?.sess,
    set: async (sid: string, sess: string, expires: number) => {
      await db.run(
        sql`INSERT INTO sessions (sid, sess, expires) VALUES (${sid}, ${sess}, ${expires})
            ON CONFLICT (sid) DO UPDATE SET sess = excluded.sess, expires = excluded.expires`,
      );
    },
    touch: async (sid: string, expires: number) => {
      await db.run(sql`UPDATE sessions SET expires = ${expires} WHERE sid = ${sid}`);
    },
    destroy: async (sid: string) => {
      await db.run(sql`DELETE FROM sessions WHERE sid = ${sid}`);
    },
    /** Removes sessions expired by `now` (ms); returns how many. */
    prune: async (now: number) => (await db.run(sql`DELETE FROM sessions WHERE expires <= ${now}`)).changes,
    /** Ends a user's sessions, all but `keepSid` when given; returns how many. */
    endForUser: async (userId: number, keepSid: string | null) =>
      (await db.run(sql`DELETE FROM sessions WHERE ${jsonNumberIs(db, sql`sess`, 'userId', userId)} AND sid IS DISTINCT FROM ${keepSid}`)).changes,
  };
}

export type SessionsRepo = ReturnType<typeof createSessionsRepo>;
