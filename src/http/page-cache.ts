import type { ServerResponse } from 'node:http';
import type { Response } from 'express';

/**
 * What a page was rendered from: an object, or several, as a service hands them out (a new object
 * whenever what it stands for changes). A kept page serves a later request only for the same ones.
 */
export type PageSource = object | readonly object[];

const sameSource = (a: PageSource, b: PageSource): boolean =>
  a === b || (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]));

/** A rendered page cut at its nonces, in UTF-8, with the byte length of everything but them. */
interface Cut {
  /** what the page was rendered from: a later look-up must hand out these same objects */
  source: PageSource;
  parts: Buffer[];
  bytes: number;
}

/** A kept page as `take` hands it out, for `sendKept`. */
export type KeptPage = { readonly source: PageSource };

/** The per-response CSP nonce: 32 hex digits (security.ts). */
const NONCE_BYTES = 32;

/**
 * Rendered public pages kept for reuse, for pages whose whole content follows from a few values
 * (a plate as the places service hands it out, or a district and its catalogue's edition; elder
 * mode, the home plate, the URL): the page is rendered once and every later response gets it with
 * its own CSP nonce spliced in, its headers set as usual.
 *
 * An entry belongs to the objects it was rendered from (`source`): the services hand out new ones
 * whenever what they stand for changes (the places revision, bumped by triggers on any write to
 * the places from any process; the catalogue's, likewise), so a page is never older than the
 * revision its source was read at. Pages that depend on anything else are not kept: ones that ask
 * for a CSRF token (a form), ones for a signed-in user, ones with a phone's own cases.
 *
 * At most `limit` pages, the least recently used dropped first.
 */
export function pageCache(opts: { limit: number }) {
  const pages = new Map<string, Cut>();
  return {
    /** Whether a page is kept under this key (rendered from `source`, when given). */
    has: (key: string, source?: PageSource): boolean => {
      const cut = pages.get(key);
      return cut !== undefined && (source === undefined || sameSource(cut.source, source));
    },

    /**
     * The page kept under this key if it was rendered from `source` (then the most recently used),
     * to send with `sendKept`: taken at once, so that a request deciding to answer from it still has
     * it whatever other requests keep or drop meanwhile. A page of another source is dropped.
     */
    take(key: string, source: PageSource): KeptPage | undefined {
      const cut = pages.get(key);
      if (!cut) return undefined;
      pages.delete(key);
      if (!sameSource(cut.source, source)) return undefined;
      // most recently used last
      pages.set(key, cut);
      return cut;
    },

    /** Sends a page taken from the cache with this response's nonce copied in; false without a nonce. */
    sendKept(req: { method?: string }, res: ServerResponse & { locals: Record<string, unknown> }, page: KeptPage): boolean {
      const cut = page as Cut;
      const nonce = res.locals.cspNonce as unknown;
      if (typeof nonce !== 'string' || nonce.length !== NONCE_BYTES) return false;
      const length = cut.bytes + (cut.parts.length - 1) * NONCE_BYTES;
      res.statusCode = 200;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Content-Length', length);
      if (req.method === 'HEAD') {
        res.end();
        return true;
      }
      // The page's bytes with this response's nonce copied in: no text to encode again (a page of
      // 码上查 took 14 µs to encode as a string on every request).
      const body = Buffer.allocUnsafe(length);
      let at = cut.parts[0]!.copy(body, 0);
      for (let i = 1; i < cut.parts.length; i++) {
        at += body.write(nonce, at, 'latin1');
        at += cut.parts[i]!.copy(body, at);
      }
      res.end(body);
      return true;
    },

    /** Sends the kept page for this key if it was rendered from `source`; false when there is none. */
    send(req: { method?: string }, res: ServerResponse & { locals: Record<string, unknown> }, key: string, source: PageSource): boolean {
      const nonce = res.locals.cspNonce as unknown;
      if (typeof nonce !== 'string' || nonce.length !== NONCE_BYTES) return false;
      const page = this.take(key, source);
      return page !== undefined && this.sendKept(req, res, page);
    },

    /**
     * Renders the view as res.render would and sends it, keeping it under `key` unless it asked for
     * a CSRF token or a signed-in user is seeing it.
     */
    render(res: Response, view: string, locals: Record<string, unknown>, key: string, source: PageSource): void {
      let asked = false;
      const csrfToken = res.locals.csrfToken as (() => string) | undefined;
      const options = {
        ...locals,
        csrfToken: () => {
          asked = true;
          return csrfToken ? csrfToken() : '';
        },
      };
      res.render(view, options, (err: Error | null, html: string) => {
        if (err) {
          res.req.next!(err);
          return;
        }
        const nonce = res.locals.cspNonce as string;
        if (!asked && !res.locals.user && typeof nonce === 'string' && nonce.length === NONCE_BYTES) {
          const parts = html.split(nonce).map((part) => Buffer.from(part));
          const bytes = parts.reduce((n, p) => n + p.length, 0);
          // a new key pushes out the least recently used page when full; a key kept again replaces its own
          if (!pages.delete(key) && pages.size >= opts.limit) pages.delete(pages.keys().next().value!);
          pages.set(key, { source, parts, bytes });
        }
        res.send(html);
      });
    },

    get size() {
      return pages.size;
    },
  };
}
