import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Logger } from 'pino';
import { t } from '../../i18n/index.js';
import { noStore } from '../../http/caching.js';
import { readForm, refuseNul } from '../../http/input.js';
import { NulInputError } from '../../errors.js';
import type { LimitStores } from '../../http/rate-limits.js';
import type { ApiKeyRow, Open311Service } from './service.js';
import { Open311Error } from './service.js';
import { send, sendError } from './render.js';
import { FORMATS, type Format } from './spec.js';

/** Requests per minute one API key may make (a spec-shaped 429 after that). */
export const DEFAULT_PER_KEY_PER_MINUTE = 120;

/** `services.json` → { name: 'services', format: 'json' }; undefined for any other ending. */
function split(file: string): { name: string; format: Format } | undefined {
  const dot = file.lastIndexOf('.');
  const format = file.slice(dot + 1);
  if (dot < 1 || !(FORMATS as readonly string[]).includes(format)) return undefined;
  return { name: file.slice(0, dot), format: format as Format };
}

/** The format a failed request is answered in: XML when its path asked for it, JSON otherwise. */
const formatOfPath = (path: string): Format => (/\.xml$/i.test(path) ? 'xml' : 'json');

const formatOf = (res: Response): Format => (res.locals.open311Format as Format | undefined) ?? 'json';

/**
 * Open311 GeoReport v2 under /open311/v2. Every answer, errors included, is in the spec's shape and
 * in the format the path ends with; nothing here renders a page.
 *
 * No CSRF token: these are calls from other systems, authenticated by the `api_key` they send, not
 * by a browser's cookies. Nothing under /open311 reads the session or the browser's cookies, so a
 * forged cross-site post carries no authority (it would need the key), and the CSRF check of the
 * browser forms (`protect`) is not applied here.
 */
export function open311Routes(service: Open311Service, opts: { perKeyPerMinute?: number; logger?: Logger; limitStores?: LimitStores } = {}): Router {
  const api = Router();
  const body = readForm({ limit: '64kb', parameterLimit: 200 });

  // Which format to answer in, before anything can fail.
  api.use('/open311', (req, res, next) => {
    res.locals.open311Format = formatOfPath(req.path);
    next();
  });
  // U+0000 in the path or the query (a body's is refused as it is read): answered in the spec's shape below
  api.use('/open311', refuseNul);

  const params = (req: Request): Record<string, unknown> =>
    req.method === 'POST' ? ((req.body as Record<string, unknown> | undefined) ?? {}) : (req.query as Record<string, unknown>);

  /** The key a call carries: required for a POST, optional for reading; a wrong one is refused either way. */
  const authenticate =
    (required: boolean): RequestHandler =>
    async (req, res, next) => {
      const raw = params(req).api_key;
      if (raw === undefined && !required) {
        next();
        return;
      }
      const key = await service.authenticate(raw);
      if (!key) {
        next(new Open311Error(403, t('open311.errors.apiKey', { param: 'api_key' })));
        return;
      }
      res.locals.apiKey = key;
      noStore(res);
      next();
    };

  const perKey = rateLimit({
    // counted where the app's other limits are (shared by every instance when Redis is configured)
    ...opts.limitStores?.('open311-key'),
    windowMs: 60_000,
    limit: opts.perKeyPerMinute ?? DEFAULT_PER_KEY_PER_MINUTE,
    keyGenerator: (_req, res) => `open311:${(res.locals.apiKey as ApiKeyRow).id}`,
    skip: (_req, res) => !res.locals.apiKey,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (req, res) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
      res.set('Retry-After', String(seconds));
      sendError(res, formatOf(res), 429, t('open311.errors.tooMany', { seconds }));
    },
  });

  /** The document name a path's file asks for, with its format noted; 404 for an unknown format. */
  const file = (req: Request, res: Response): { name: string; format: Format } => {
    const f = split(String(req.params.file));
    if (!f) throw new Open311Error(404, t('open311.errors.format'));
    res.locals.open311Format = f.format;
    return f;
  };

  const key = (res: Response) => res.locals.apiKey as ApiKeyRow | undefined;

  api.get('/open311/v2/:file', authenticate(false), perKey, async (req, res) => {
    const { name, format } = file(req, res);
    if (name === 'discovery') send(res, format, 200, 'discovery', service.discovery());
    else if (name === 'services') send(res, format, 200, 'services', await service.services(params(req), key(res)));
    else if (name === 'requests') send(res, format, 200, 'service_requests', await service.requests(key(res), params(req)));
    else throw new Open311Error(404, t('open311.errors.notFound'));
  });

  api.post('/open311/v2/:file', body, authenticate(true), perKey, async (req, res) => {
    const { name, format } = file(req, res);
    if (name !== 'requests') throw new Open311Error(404, t('open311.errors.notFound'));
    const p = params(req);
    // A client's own key for "the same request again": a parameter, or the usual header.
    const clientKey = typeof p.idempotency_key === 'string' ? p.idempotency_key : req.get('Idempotency-Key');
    const created = await service.fileRequest(key(res)!, p, clientKey);
    send(res, format, 200, 'service_requests', created);
  });

  api.get('/open311/v2/services/:file', authenticate(false), perKey, async (req, res) => {
    const { name, format } = file(req, res);
    send(res, format, 200, 'service_definition', await service.definition(name, params(req), key(res)));
  });

  api.get('/open311/v2/requests/:file', authenticate(false), perKey, async (req, res) => {
    const { name, format } = file(req, res);
    send(res, format, 200, 'service_requests', await service.request(key(res), name, params(req)));
  });

  // Requests are filed at once and answered with their service_request_id: no tokens are handed out.
  api.get('/open311/v2/tokens/:file', authenticate(false), perKey, (req, res) => {
    file(req, res);
    throw new Open311Error(404, t('open311.errors.tokenUnknown', { param: 'token' }));
  });

  // Anything else under /open311: a known document with the wrong method, or nothing at all.
  api.use('/open311', (req, res) => {
    const known = /^\/v2\/(?:discovery|services|requests|tokens)(?:\/[^/]+)?\.(?:json|xml)$/i.test(req.path);
    if (known) res.set('Allow', req.path.match(/^\/v2\/requests\.(json|xml)$/i) ? 'GET, HEAD, POST' : 'GET, HEAD');
    sendError(res, formatOf(res), known ? 405 : 404, t(known ? 'open311.errors.method' : 'open311.errors.notFound'));
  });

  api.use('/open311', ((err, _req, res, _next) => {
    if (err instanceof Open311Error) {
      sendError(res, formatOf(res), err.status, err.description);
      return;
    }
    if (err instanceof NulInputError) {
      sendError(res, formatOf(res), 400, t('open311.errors.nul'));
      return;
    }
    // Body parser and URL decoding failures carry their 4xx status.
    const status = Number((err as { status?: unknown }).status);
    if (status >= 400 && status < 500) {
      sendError(res, formatOf(res), status, t('open311.errors.badBody'));
      return;
    }
    opts.logger?.error({ err }, 'open311 request failed');
    sendError(res, formatOf(res), 500, t('open311.errors.server'));
  }) as ErrorRequestHandler);

  return api;
}
