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
    clear: db.prepare('DELETE FROM throttles WHERE key = ?'),
    prune: db.prepare('DELETE FROM throttles WHERE updated_at < ? AND (locked_until IS NULL OR locked_until < ?)'),
  };
  return {
    get: (key: string) => s.get.get(key) as ThrottleRow | undefined,
    set: (key: string, failures: number, lockedUntil: number | null, now: number) => s.set.run(key, failures, lockedUntil, now),
    clear: (key: string) => s.clear.run(key),
    prune: (before: number, now: number) => s.prune.run(before, now).changes,
  };
}

export type ThrottleRepo = ReturnType<typeof createThrottleRepo>;
