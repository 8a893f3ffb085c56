import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, Request, Response } from 'express';
import { readCookies } from './cookies.js';
import { pageLocals } from './locals.js';

/** A request as the fast lane hands it on: Node's own, its cookies read, its URL as Express would call it. */
export interface LaneRequest extends IncomingMessage {
  cookies: Record<string, string>;
  originalUrl: string;
}

/** A response as the fast lane hands it on: Node's own, with the views' values (pageLocals). */
export interface LaneResponse extends ServerResponse {
  locals: Record<string, unknown>;
}

/**
 * A page the lane may answer: `path` is the URL's path it is for (exactly); `answer` looks the page
 * up and gives back what sends it, or undefined to leave the request to Express. It must not touch
 * the response itself: the lane sets the headers every page carries before the sender runs.
 * `secure` says whether the request came over https (as Express's req.secure, behind a trusted proxy).
 */
export interface LanePage {
  path: string | RegExp;
  /** the route pattern /metrics counts the page under, as Express's route would be (/p/:token) */
  route: (path: string) => string;
  answer: (req: LaneRequest, res: LaneResponse, secure: () => boolean) => Promise<(() => void) | undefined>;
}

/**
 * Pages served from memory (kept plate pages and 码上查 lists) answered ahead of Express. Express
 * costs a bare hello five times what Node's own HTTP server does (it changes the prototypes of
 * every request and response and walks its router), which was most of a kept page's cost. A
 * GET or HEAD for one of `pages`' paths has its cookies and the views' values read as the app's
 * first step does, and is asked of the page; a page that answers gets what every page carries —
 * the security headers with this response's nonce (`headers`), Vary: Cookie (`caching`) and its
 * line in the request log (`log`) — and is sent. Anything else, and any failure, goes to Express
 * as if the lane were not there (the page has set nothing on the response). With /metrics on, a
 * page the lane answers is counted under its route as the metrics middleware counts it (`count`).
 */
export function installFastLane(
  app: Express,
  opts: {
    pages: LanePage[];
    headers: (res: LaneResponse) => void;
    caching: (path: string, method: string, res: ServerResponse) => void;
    log?: (req: Request, res: Response) => void;
    /** counts an answered page in /metrics: its route, method, status and the time it started */
    count?: (route: string, method: string, status: number, start: bigint) => void;
  },
): void {
  const count = opts.count;
  // Express's entry point (app(req, res) calls app.handle), which its types do not declare
  const entry = app as unknown as { handle: (req: IncomingMessage, res: ServerResponse, callback?: unknown) => void };
  const express = entry.handle.bind(app);
  const trust = app.get('trust proxy fn') as (addr: string | undefined, i: number) => boolean;
  const secureOf = (req: IncomingMessage) => () => {
    // as Express's req.protocol: X-Forwarded-Proto (its first value) only from a trusted proxy
    const own = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    if (!trust(req.socket.remoteAddress, 0)) return own === 'https';
    const header = req.headers['x-forwarded-proto'];
    const proto = typeof header === 'string' && header ? header : own;
    const comma = proto.indexOf(',');
    return (comma === -1 ? proto : proto.slice(0, comma)).trim() === 'https';
  };
  const lane = async (page: LanePage, path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const start = count ? process.hrtime.bigint() : 0n;
    const r = req as LaneRequest;
    const s = res as LaneResponse;
    r.originalUrl = req.url!;
    readCookies(r as unknown as Request);
    s.locals = Object.create(null) as Record<string, unknown>;
    pageLocals(r as unknown as Request, s as unknown as Response);
    const send = await page.answer(r, s, secureOf(req));
    if (!send) return false;
    opts.headers(s);
    opts.caching(path, req.method!, res);
    opts.log?.(r as unknown as Request, s as unknown as Response);
    if (count) res.on('finish', () => count(page.route(path), req.method!, res.statusCode, start));
    send();
    return true;
  };
  entry.handle = (req: IncomingMessage, res: ServerResponse, callback?: unknown) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      const url = req.url ?? '';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const page = opts.pages.find((p) => (typeof p.path === 'string' ? p.path === path : p.path.test(path)));
      if (page) {
        lane(page, path, req, res).then(
          (answered) => {
            if (!answered) express(req, res, callback);
          },
          () => express(req, res, callback),
        );
        return;
      }
    }
    express(req, res, callback);
  };
}
