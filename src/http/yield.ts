import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Express, RequestHandler } from 'express';

/** How long a back-office request waits, at most, while villagers need the thread (production). */
export const BACK_OFFICE_YIELD_MS = 50;
/**
 * How long an export's next 64 KB waits, at most, while villagers need the thread (production):
 * under a crowd of villagers an export goes on at about 2,000 cases a second instead of 90,000.
 * Its worker's low OS priority alone did not keep its reading from villagers on a machine of two
 * cores (measured with bench:scale: villagers kept 62% of their pages a second with a 50 ms wait,
 * 87% with 250 ms, 94% with 1 s).
 */
export const EXPORT_YIELD_MS = 500;

/** The window over which villagers' requests are counted, and how many in it make a crowd (100 a second). */
const WINDOW_MS = 100;
export const CROWD = 10;

/** Villagers' requests of this thread not yet answered, and those started in this window and the last. */
let underWay = 0;
let thisWindow = 0;
let lastWindow = 0;
let windowTimer: NodeJS.Timeout | undefined;

/** What is not a villager's request: the back office, its static files, monitors. */
const NOT_VILLAGERS = /^\/(admin|static|healthz|metrics)(\/|\?|$)/;

/**
 * Counts villagers' requests of `app` (pages and the APIs; from Express's entry, so that pages
 * answered ahead of its router count too): install it last.
 */
export function countVillagers(app: Express): void {
  const entry = app as unknown as { handle: (req: IncomingMessage, res: ServerResponse, callback?: unknown) => void };
  const handle = entry.handle.bind(app);
  windowTimer ??= setInterval(() => {
    lastWindow = thisWindow;
    thisWindow = 0;
  }, WINDOW_MS).unref();
  entry.handle = (req, res, callback) => {
    if (!NOT_VILLAGERS.test(req.url ?? '')) {
      thisWindow++;
      underWay++;
      res.once('close', () => underWay--);
    }
    handle(req, res, callback);
  };
}

/**
 * Whether villagers need this thread: a crowd of them (CROWD or more requests in the last window,
 * or in this one so far), or one of theirs under way. A kept page is answered within the turn of
 * the event loop it arrived in, so under a crowd few are ever under way when the back office asks:
 * the count of recent requests is what shows it. (The event loop's utilisation said nothing useful:
 * a lone administrator's quick succession of pages keeps it busy with nobody waiting, and a crowd
 * of villagers' kept pages left it under 80% while they took the machine's every CPU cycle.)
 */
export const villagersWaiting = (): boolean => underWay > 0 || thisWindow >= CROWD || lastWindow >= CROWD;

/**
 * Villagers first: while villagers' requests are under way (villagersWaiting), a back-office request waits,
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
