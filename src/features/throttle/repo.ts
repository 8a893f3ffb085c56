import { sql } from 'kysely';
import type { Database } from '../../db/database.js';

export interface ThrottleRow {
  failures: number;
  /** ms since the epoch; null: not locked */
  lockedUntil: number | null;
  /** ms since the epoch of the last failure */
  updatedAt: number;
}

/** The `throttles` table: failure counts and locks by key (sign-in, case look-up). */
export function createThrottleRepo(db: Database) {
  return {
    /**
     * One more hit of a rate-limit key (the `rate_limits` table): a window of `windowMs` starts at
     * the first hit and when the last one has ended. One statement, so instances hitting the same key
     * at once each get their own count.
     */
    limitHit: async (key: string, now: number, windowMs: number) =>
      (await db.get<{ hits: number; resetAt: number }>(
        sql`INSERT INTO rate_limits (key, hits, reset_at) VALUES (${key}, 1, ${now + windowMs})
            ON CONFLICT (key) DO UPDATE SET
              hits = CASE WHEN rate_limits.reset_at <= ${now} THEN 1 ELSE rate_limits.hits + 1 END,
              reset_at = CASE WHEN rate_limits.reset_at <= ${now} THEN excluded.reset_at ELSE rate_limits.reset_at END
            RETURNING hits, reset_at AS "resetAt"`,
      ))!,
    /** Takes one hit back (a request the limiter decided not to count after all). */
    limitUndo: async (key: string) => db.run(sql`UPDATE rate_limits SET hits = hits - 1 WHERE key = ${key} AND hits > 0`),
    limitClear: async (key: string) => db.run(sql`DELETE FROM rate_limits WHERE key = ${key}`),
    /** Drops windows that ended before `now`; returns how many. */
    limitPrune: async (now: number) => (await db.run(sql`DELETE FROM rate_limits WHERE reset_at <= ${now}`)).changes,
    get: async (key: string) =>
      db.get<ThrottleRow>(sql`SELECT failures, locked_until AS "lockedUntil", updated_at AS "updatedAt" FROM throttles WHERE key = ${key}`),
    set: async (key: string, failures: number, lockedUntil: number | null, now: number) =>
      db.run(
        sql`INSERT INTO throttles (key, failures, locked_until, updated_at) VALUES (${key}, ${failures}, ${lockedUntil}, ${now})
            ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
      ),
    /**
     * Counts one more attempt and returns the count; undefined (and not counted) while the key is locked.
     * One statement: attempts that overlap (or come from several instances) each get their own count
     * (on PostgreSQL a concurrent attempt waits for the row and sees the other's count), and one that
     * arrives while the key is locked is not counted and gets no row back.
     */
    hit: async (key: string, now: number, quietBefore: number, afresh: boolean) => {
      const reset = sql`throttles.updated_at < ${quietBefore} OR (${afresh ? 1 : 0} = 1 AND throttles.locked_until <= ${now})`;
      const row = await db.get<{ failures: number }>(
        sql`INSERT INTO throttles (key, failures, locked_until, updated_at) VALUES (${key}, 1, NULL, ${now})
            ON CONFLICT (key) DO UPDATE SET
              failures = CASE WHEN ${reset} THEN 1 ELSE throttles.failures + 1 END,
              locked_until = CASE WHEN ${reset} THEN NULL ELSE throttles.locked_until END,
              updated_at = ${now}
            WHERE throttles.locked_until IS NULL OR throttles.locked_until <= ${now}
            RETURNING failures`,
      );
      return row?.failures;
    },
    /** Locks the key until `until` at least (a longer lock already there stays). */
    lock: async (key: string, until: number) =>
      db.run(
        sql`UPDATE throttles SET locked_until = CASE WHEN coalesce(locked_until, 0) > ${until} THEN coalesce(locked_until, 0) ELSE ${until} END
            WHERE key = ${key}`,
      ),
    clear: async (key: string) => db.run(sql`DELETE FROM throttles WHERE key = ${key}`),
    prune: async (before: number, now: number) =>
      (await db.run(sql`DELETE FROM throttles WHERE updated_at < ${before} AND (locked_until IS NULL OR locked_until < ${now})`)).changes,
  };
}

export type ThrottleRepo = ReturnType<typeof createThrottleRepo>;
