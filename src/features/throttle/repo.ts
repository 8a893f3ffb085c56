import type { Db } from '../../db/index.js';

export interface ThrottleRow {
  failures: number;
  /** ms since the epoch; null: not locked */
  lockedUntil: number | null;
  /** ms since the epoch of the last failure */
  updatedAt: number;
}

/** The `throttles` table: failure counts and locks by key (sign-in, case look-up). */
export function createThrottleRepo(db: Db) {
  const s = {
    get: db.prepare('SELECT failures, locked_until AS lockedUntil, updated_at AS updatedAt FROM throttles WHERE key = ?'),
    set: db.prepare(
      'INSERT INTO throttles (key, failures, locked_until, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at',
    ),
    // One statement: attempts that overlap (or come from several instances) each get their own
    // count, and one that arrives while the key is locked is not counted and gets no row back.
    hit: db.prepare(`INSERT INTO throttles (key, failures, locked_until, updated_at) VALUES (@key, 1, NULL, @now)
      ON CONFLICT(key) DO UPDATE SET
        failures = CASE WHEN throttles.updated_at < @quietBefore OR (@afresh = 1 AND throttles.locked_until <= @now) THEN 1 ELSE throttles.failures + 1 END,
        locked_until = CASE WHEN throttles.updated_at < @quietBefore OR (@afresh = 1 AND throttles.locked_until <= @now) THEN NULL ELSE throttles.locked_until END,
        updated_at = @now
      WHERE throttles.locked_until IS NULL OR throttles.locked_until <= @now
      RETURNING failures`),
    lock: db.prepare('UPDATE throttles SET locked_until = max(coalesce(locked_until, 0), ?) WHERE key = ?'),
    clear: db.prepare('DELETE FROM throttles WHERE key = ?'),
    prune: db.prepare('DELETE FROM throttles WHERE updated_at < ? AND (locked_until IS NULL OR locked_until < ?)'),
  };
  return {
    get: (key: string) => s.get.get(key) as ThrottleRow | undefined,
    set: (key: string, failures: number, lockedUntil: number | null, now: number) => s.set.run(key, failures, lockedUntil, now),
    /** Counts one more attempt and returns the count; undefined (and not counted) while the key is locked. */
    hit: (key: string, now: number, quietBefore: number, afresh: boolean) =>
      s.hit.pluck().get({ key, now, quietBefore, afresh: afresh ? 1 : 0 }) as number | undefined,
    lock: (key: string, until: number) => s.lock.run(until, key),
    clear: (key: string) => s.clear.run(key),
    prune: (before: number, now: number) => s.prune.run(before, now).changes,
  };
}

export type ThrottleRepo = ReturnType<typeof createThrottleRepo>;
