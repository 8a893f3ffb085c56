import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { t } from '../../i18n/index.js';
import { chinaToday } from '../../domain/time.js';
import { fieldErrors } from '../../domain/field-errors.js';
import { isRealDate } from '../../domain/dates.js';
import type { Services } from '../../services.js';
import { HOME_COOKIE, cookieOptions } from '../../http/locals.js';
import { noStore } from '../../http/caching.js';
import { pageCache } from '../../http/page-cache.js';
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
export function mineTokens(req: Request): string[] {
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

/** The scan pages: /p/:token (household plate) and /v/:token (village plate), each with its 码上帮 page. */
export function placesRoutes(services: Services): Router {
  const router = Router();
  // A village's plates and the households scanned lately: about 7 KB each.
  const landings = pageCache({ limit: LANDINGS_KEPT });

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
      if (req.cookies?.[HOME_COOKIE] !== base) res.cookie(HOME_COOKIE, base, cookieOptions(req));
      res.locals.homePath = base;
      const tokens = mineTokens(req);
      const mine = tokens.length ? await services.cases.listByTokens(tokens) : [];
      if (mine.length) {
        // The links to this phone's cases are private links.
        noStore(res);
        res.render('places/landing', { plate, base, mine });
        return;
      }
      // The same for every phone without cases of its own: kept while the plate is unchanged.
      const key = `${res.locals.elder ? 'e' : '-'}${req.originalUrl}`;
      if (!landings.send(req, res, key, plate)) landings.render(res, 'places/landing', { plate, base, mine }, key, plate);
    });
    router.get(`/${prefix}/:token/help`, async (req, res) => {
      const plate = await activePlate(services, req, res, kind);
      if (!plate) return;
      res.render('places/help', { plate, base: `/${prefix}/${plate.token}`, cadres: await services.cadres.forVillage(plate.villageId) });
    });
  }
  return router;
}
