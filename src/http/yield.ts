import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Express, RequestHandler } from 'express';

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

/** Requests of this thread outside the back office (villagers' pages, the APIs) not yet answered. */
let othersInFlight = 0;

/**
 * Counts the requests of `app` outside /admin while they are answered (from Express's entry, so
 * that pages answered ahead of its router count too): install it last.
 */
export function countVillagers(app: Express): void {
  const entry = app as unknown as { handle: (req: IncomingMessage, res: ServerResponse, callback?: unknown) => void };
  const handle = entry.handle.bind(app);
  loopUtilisation(); // its measuring starts now, not with the first villager kept waiting
  entry.handle = (req, res, callback) => {
    if (!req.url?.startsWith('/admin')) {
      othersInFlight++;
      res.once('close', () => othersInFlight--);
    }
    handle(req, res, callback);
  };
}

/**
 * Whether villagers are kept waiting by this thread: its event loop is busy (BUSY_UTILISATION) and
 * requests outside the back office are under way. A lone administrator's own quick succession of
 * pages keeps the loop busy too, and then nobody is waiting for it.
 */
export const villagersWaiting = (): boolean => othersInFlight > 0 && loopUtilisation() >= BUSY_UTILISATION;

/**
 * Villagers first: while villagers are kept waiting (villagersWaiting), a back-office request waits,
 * up to `maxWaitMs`, before anything of it runs (its session, its user, its page), checking every
 * few milliseconds whether the thread has room. An administrator reloading a page again and again
 * then gets it a little later instead of taking the thread from villagers' plate pages; on a quiet
 * server nothing waits.
 */
export function yieldWhenBusy(maxWaitMs: number, busy: () => boolean = villagersWaiting): RequestHandler {
  return (_req, _res, next) => {
    if (maxWaitMs <= 0 || !busy()) return next();
    const until = performance.now() + maxWaitMs;
    const check = () => (!busy() || performance.now() >= until ? next() : setTimeout(check, 5));
    setTimeout(check, 5);
  };
}
