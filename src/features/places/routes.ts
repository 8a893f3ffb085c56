import type { ServerResponse } from 'node:http';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { t } from '../../i18n/index.js';
import { chinaToday } from '../../domain/time.js';
import { fieldErrors } from '../../domain/field-errors.js';
import { isRealDate } from '../../domain/dates.js';
import type { Services } from '../../services.js';
import { HOME_COOKIE, setHomeCookie } from '../../http/locals.js';
import { noStore } from '../../http/caching.js';
import { pageCache } from '../../http/page-cache.js';
import type { LanePage } from '../../http/fast-lane.js';
import { NotFoundError } from '../../errors.js';
import type { PlateView } from './repo.js';
import type { SignedInUser } from '../staff/service.js';

export type PlateKind = PlateView['kind'];
export const prefixOf = (kind: PlateKind) => (kind === 'household' ? 'p' : 'v');
export const MINE_COOKIE = 'mashang_cases';
/** How many rendered plate pages are kept (page-cache.ts). */
export const LANDINGS_KEPT = 2000;

/**
 * The active plate of this kind behind req.params.token, or undefined after rendering a page that
 * says why not (unknown: 404; replaced: 410 with the village's cadres).
 */
export async function activePlate(services: Services, req: Request, res: Response, kind: PlateKind): Promise<PlateView | undefined> {
  let plate: PlateView;
  try {
    plate = await services.places.plateByToken(String(req.params.token));
    // the header names the plate's district and the footer gives its hotline
    res.locals.district = { code: plate.districtCode, name: plate.districtName, hotline: plate.districtHotline };
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    res.status(404).render('places/not-found');
    return undefined;
  }
  if (plate.kind !== kind) {
    res.status(404).render('places/not-found');
    return undefined;
  }
  if (plate.status === 'replaced') {
    res.status(410).render('places/replaced', { plate, cadres: await services.cadres.forVillage(plate.villageId) });
    return undefined;
  }
  return plate;
}

/** Case tokens this phone filed, from its cookie. */
export function mineTokens(req: { cookies?: Record<string, unknown> }): string[] {
  const raw = req.cookies?.[MINE_COOKIE];
  return typeof raw === 'string'
    ? raw
        .split('.')
        .filter((t) => /^[A-Za-z0-9_-]{22}$/.test(t))
        .slice(0, 10)
    : [];
}

const visitForm = z.object({
  visitedOn: z
    .string({ error: t('visits.dateInvalid') })
    .refine(isRealDate, { error: t('visits.dateInvalid') })
    .refine((d) => d <= chinaToday(), { error: t('visits.dateFuture') }),
  notes: z
    .string()
    .trim()
    .min(2, { error: t('visits.notesRequired') })
    .max(1000, { error: t('visits.notesTooLong') }),
});

/** Recording a visit from a household's file (at /admin, behind its gate). */
export function householdVisitRoutes(services: Services): Router {
  const router = Router();

  router.post('/households/:id/visits', async (req, res) => {
    const user = res.locals.user as SignedInUser;
    const id = Number(req.params.id);
    const file = Number.isSafeInteger(id) ? await services.places.householdFile(user.scope, id) : undefined;
    const token = file ? await services.places.activePlateToken(id) : undefined;
    if (!file || !token) throw new NotFoundError('household');
    const parsed = visitForm.safeParse(req.body ?? {});
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      const plate = await services.places.plateByToken(token);
      res.status(400).render('places/household-file', {
        plate,
        base: `/p/${token}`,
        ...file,
        cases: await services.caseOffice.ofHousehold(user, id),
        errors,
        values: req.body,
        today: chinaToday(),
      });
      return;
    }
    await services.places.recordVisit(user.scope, user.id, id, parsed.data.visitedOn, parsed.data.notes);
    await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'visit_recorded', target: `household:${id}` });
    res.redirect(303, `/p/${token}#visits`);
  });
  return router;
}

/** Rendered plate pages, one set per installation's services (shared by the two ways in below). */
const landingsOf = new WeakMap<Services, ReturnType<typeof pageCache>>();
function landingsFor(services: Services): ReturnType<typeof pageCache> {
  let landings = landingsOf.get(services);
  if (!landings) landingsOf.set(services, (landings = pageCache({ limit: LANDINGS_KEPT })));
  return landings;
}

/** A plate page's key among the kept ones: elder mode and the URL (which names the plate) are all that varies. */
const landingKey = (req: { originalUrl: string }, res: { locals: Record<string, unknown> }) => `${res.locals.elder ? 'e' : '-'}${req.originalUrl}`;

/** The home cookie names this plate, unless it already does. */
function rememberHome(req: { cookies?: Record<string, unknown> }, res: ServerResponse, base: string, secure: boolean): void {
  if (req.cookies?.[HOME_COOKIE] !== base) setHomeCookie(res, base, secure);
}

const PLAIN_SCAN = /^\/([pv])\/([A-Za-z0-9_-]{12})$/;

/**
 * A plain scan answered from the kept plate pages, ahead of Express (the app's fast lane,
 * http/fast-lane.ts) and so before the set-up such a page does not use (CSRF tokens, sessions, the
 * signed-in user). It answers only a request the plate route would answer with the same kept page:
 * a URL of just the plate's path (nothing for a guard against NUL to refuse), no session cookie (no
 * cadre to show a household file to), no cases of this phone's own, an active plate of the path's
 * kind, a page kept from this very plate object. Anything else goes on to the plate route below,
 * which renders and keeps the page.
 */
export function keptPlatePages(services: Services, opts: { sessionCookie: string }): LanePage {
  const landings = landingsFor(services);
  return {
    path: PLAIN_SCAN,
    route: (path) => `/${path[1]}/:token`,
    answer: async (req, res, secure) => {
      const m = PLAIN_SCAN.exec(req.originalUrl);
      if (!m || req.cookies[opts.sessionCookie] !== undefined || mineTokens(req).length) return undefined;
      let plate: PlateView;
      try {
        plate = await services.places.plateByToken(m[2]!);
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
      if (plate.status !== 'active' || prefixOf(plate.kind) !== m[1]) return undefined;
      const page = landings.take(landingKey(req, res), plate);
      if (!page) return undefined;
      return () => {
        rememberHome(req, res, `/${m[1]}/${plate.token}`, secure());
        landings.sendKept(req, res, page);
      };
    },
  };
}

/** The scan pages: /p/:token (household plate) and /v/:token (village plate), each with its 码上帮 page. */
export function placesRoutes(services: Services): Router {
  const router = Router();
  const landings = landingsFor(services);

  for (const kind of ['household', 'village'] as const) {
    const prefix = prefixOf(kind);
    router.get(`/${prefix}/:token`, async (req, res) => {
      const plate = await activePlate(services, req, res, kind);
      if (!plate) return;
      const base = `/${prefix}/${plate.token}`;
      // A signed-in cadre whose villages include this household sees its file instead.
      const user = res.locals.user as SignedInUser | undefined;
      if (user && plate.householdId !== null && req.query.public !== '1') {
        const file = await services.places.householdFile(user.scope, plate.householdId);
        if (file) {
          noStore(res);
          res.render('places/household-file', {
            plate,
            base,
            ...file,
            cases: await services.caseOffice.ofHousehold(user, plate.householdId),
            errors: [],
            values: {},
            today: chinaToday(),
          });
          return;
        }
      }
      rememberHome(req, res, base, req.secure);
      res.locals.homePath = base;
      const tokens = mineTokens(req);
      const mine = tokens.length ? await services.cases.listByTokens(tokens) : [];
      if (mine.length) {
        // The links to this phone's cases are private links.
        noStore(res);
        res.render('places/landing', { plate, base, mine });
        return;
      }
      // The same for every phone without cases of its own: kept while the plate is unchanged
      // (a signed-in user's is rendered afresh, and not kept).
      const key = landingKey(req, res);
      if (res.locals.user || !landings.send(req, res, key, plate)) landings.render(res, 'places/landing', { plate, base, mine }, key, plate);
    });
    router.get(`/${prefix}/:token/help`, async (req, res) => {
      const plate = await activePlate(services, req, res, kind);
      if (!plate) return;
      res.render('places/help', { plate, base: `/${prefix}/${plate.token}`, cadres: await services.cadres.forVillage(plate.villageId) });
    });
  }
  return router;
}
