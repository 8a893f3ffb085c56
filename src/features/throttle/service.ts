import type { UnitOfWork } from '../../db/unit-of-work.js';
import type { ThrottleRepo, ThrottleRow } from './repo.js';

/** Counts are forgotten after a quiet day. */
export const QUIET_RESET_MS = 24 * 3600_000;

/**
 * Failure counting by key with locks (sign-in per account and source, case look-up per tracking
 * number). Kept in the database, so every instance and restart sees the same counts.
 */
export function createThrottleService(repo: ThrottleRepo, uow: UnitOfWork, now: () => Date = () => new Date()) {
  return {
    /**
     * Rate-limit windows in the database (when instances share no Redis): `hit` counts one request
     * of `key` in a window of `windowMs` and says how many there were and when the window ends.
     */
    limits: {
      hit: async (key: string, windowMs: number): Promise<{ hits: number; resetAt: Date }> => {
        const r = await repo.limitHit(key, now().getTime(), windowMs);
        return { hits: r.hits, resetAt: new Date(r.resetAt) };
      },
      undo: async (key: string): Promise<void> => {
        await repo.limitUndo(key);
      },
      clear: async (key: string): Promise<void> => {
        await repo.limitClear(key);
      },
      /** Forgets windows that have ended (a background job). */
      prune: async (): Promise<number> => repo.limitPrune(now().getTime()),
    },
    /**
     * A throttle as it stands now: forgotten after a quiet day; with `afreshAfterLock`, counted from
     * zero again once its lock has expired.
     */
    async current(key: string, opts: { afreshAfterLock: boolean }): Promise<ThrottleRow | undefined> {
      const t = now().getTime();
      const row = await repo.get(key);
      if (!row || t - row.updatedAt > QUIET_RESET_MS) return undefined;
      if (opts.afreshAfterLock && row.lockedUntil !== null && row.lockedUntil <= t) return undefined;
      return row;
    },
    /** Records a failure; `lockMinutes(failures)` says how long the key then waits (0: not at all). */
    async fail(key: string, previous: ThrottleRow | undefined, lockMinutes: (failures: number) => number): Promise<number> {
      const t = now().getTime();
      const failures = (previous?.failures ?? 0) + 1;
      const minutes = lockMinutes(failures);
      await repo.set(key, failures, minutes > 0 ? t + minutes * 60_000 : null, t);
      return failures;
    },
    /**
     * Counts an attempt before its outcome is known (before a slow password hash), atomically, and
     * locks the key for `lockMinutes(count)` when that is more than 0. Returns the count, this
     * attempt included (overlapping attempts each see their own number), or 'locked' when another
     * attempt locked the key first: then this one is not counted and must not be checked. The count
     * and its lock are one transaction, so no overlapping attempt is counted between them.
     */
    hit(key: string, opts: { afreshAfterLock: boolean }, lockMinutes: (attempts: number) => number): Promise<number | 'locked'> {
      return uow.run(async () => {
        const t = now().getTime();
        const n = await repo.hit(key, t, t - QUIET_RESET_MS, opts.afreshAfterLock);
        if (n === undefined) return 'locked';
        const minutes = lockMinutes(n);
        if (minutes > 0) await repo.lock(key, t + minutes * 60_000);
        return n;
      });
    },
    /** Minutes left on a lock (rounded up), 0 when not locked. */
    waitMinutes(row: ThrottleRow | undefined): number {
      const left = (row?.lockedUntil ?? 0) - now().getTime();
      return left > 0 ? Math.ceil(left / 60_000) : 0;
    },
    clear: async (key: string): Promise<void> => {
      await repo.clear(key);
    },
    prune: () => repo.prune(now().getTime() - QUIET_RESET_MS, now().getTime()),
  };
}

export type ThrottleService = ReturnType<typeof createThrottleService>;
