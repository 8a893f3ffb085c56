import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';

/** The share of the last window the event loop spent working past which this thread counts as busy. */
export const BUSY_UTILISATION = 0.8;
/** How long a back-office request waits, at most, for a busy thread to have room (production). */
export const BACK_OFFICE_YIELD_MS = 50;
const WINDOW_MS = 100;

let gauge: { utilisation: number } | undefined;

/**
 * The event loop's utilisation over the last WINDOW_MS (0 to 1), measured by one timer per thread
 * (started on first use, never keeping the process alive).
 */
export function loopUtilisation(): number {
  if (!gauge) {
    const g = { utilisation: 0 };
    let last = performance.eventLoopUtilization();
    setInterval(() => {
      const now = performance.eventLoopUtilization();
      g.utilisation = performance.eventLoopUtilization(now, last).utilization;
      last = now;
    }, WINDOW_MS).unref();
    gauge = g;
  }
  return gauge.utilisation;
}

/**
 * Villagers first: while the event loop is busy (BUSY_UTILISATION), a back-office request waits,
 * up to `maxWaitMs`, before anything of it runs (its session, its user, its page), checking every
 * few milliseconds whether the thread has room. An administrator reloading a page again and again
 * then gets it a little later instead of taking the thread from villagers' plate pages; on a quiet
 * server nothing waits.
 */
export function yieldWhenBusy(maxWaitMs: number, busy: () => boolean = () => loopUtilisation() >= BUSY_UTILISATION): RequestHandler {
  return (_req, _res, next) => {
    if (maxWaitMs <= 0 || !busy()) return next();
    const until = performance.now() + maxWaitMs;
    const check = () => (!busy() || performance.now() >= until ? next() : setTimeout(check, 5));
    setTimeout(check, 5);
  };
}
