import type { ServerResponse } from 'node:http';
import type { Request, Response } from 'express';

/** Paths whose every response is personal: the back office, a villager's case, plate QR images. */
const PRIVATE_PATH = /^\/(?:admin|track|qr)(?:[/.]|$)/;

/** Nothing personal is kept by the browser or anything in between: not after sign-out, not on Back. */
export function noStore(res: Response): void {
  res.set('Cache-Control', 'no-store');
}

/**
 * Caching of dynamic responses (static files are answered before this). Every page may differ
 * by cookie: elder mode, the plate this phone came from, a signed-in cadre who gets the household
 * file under the plate's URL. Personal responses say no-store: the back office, case pages, QR
 * images, and whatever answers a form post (it shows what was typed). Public resident pages keep
 * sending no Cache-Control, as before. Run on every request, before anything else sets Vary.
 */
export function cachingHeaders(req: Request, res: Response): void {
  cachingHeadersFor(req.path, req.method, res);
}

/** The same, for a request's path and method (the fast lane's, before Express). */
export function cachingHeadersFor(path: string, method: string, res: ServerResponse): void {
  res.setHeader('Vary', 'Cookie');
  if (PRIVATE_PATH.test(path) || (method !== 'GET' && method !== 'HEAD')) res.setHeader('Cache-Control', 'no-store');
}
