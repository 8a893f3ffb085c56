import { maskPhone } from '../../domain/phone.js';
import fs from 'node:fs';
import path from 'node:path';
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { readForm } from '../../http/input.js';
import multer from 'multer';
import type { Services } from '../../services.js';
import type { FieldError } from '../../errors.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { conflictText } from '../../http/errors.js';
import type { RateLimits } from '../../http/rate-limits.js';
import { cookieOptions } from '../../http/locals.js';
import { protectUpload, receiveUpload, type UploadProblem } from '../../http/uploads.js';
import { t } from '../../i18n/index.js';
import { activePlate, mineTokens, MINE_COOKIE, prefixOf, type PlateKind } from '../places/routes.js';
import type { PlateView } from '../places/service.js';
import { MAX_PHOTO_BYTES, MAX_PHOTOS } from './photos.js';
import { lookupForm } from './schema.js';
import { CALLBACK_TIMES, SPEAK_CATEGORIES as CATEGORIES } from '../../domain/cases.js';
import { fieldErrors } from '../../domain/field-errors.js';
import { newIdempotencyKey } from './tokens.js';
import { pickerQuery } from '../catalog/schema.js';
import type { CaseKind } from './repo.js';

/**
 * Parses a multipart form; a photo over the limits or a body cut short becomes a field error, not a
 * crash. Photos are streamed to files under the data folder while they arrive (twenty phones
 * sending three 8 MB photos would otherwise hold half a gigabyte in memory) and removed once the
 * request is answered.
 */
function photosUpload(dataDir: string): RequestHandler {
  const dir = path.resolve(dataDir, 'uploads');
  const upload = multer({
    storage: multer.diskStorage({ destination: (_req, _file, cb) => fs.mkdir(dir, { recursive: true }, (err) => cb(err ?? null, dir)) }),
    limits: { fileSize: MAX_PHOTO_BYTES, files: MAX_PHOTOS, fields: 20, fieldSize: 16 * 1024, parts: 30, fieldNestingDepth: 1, fieldArrayIndexLimit: 10 },
  });
  return receiveUpload(upload.array('photos', MAX_PHOTOS));
}

const FORM_VIEW: Record<CaseKind, string> = { apply: 'cases/apply', speak: 'cases/speak', help: 'cases/help' };
const FORM_PATH: Record<CaseKind, string> = { apply: 'apply', speak: 'speak', help: 'help/request' };

/** 码上办, 码上说 and help requests from a plate; the villager's private case page; look-up. */
export function casesRoutes(services: Services, limits: RateLimits, protect: RequestHandler): Router {
  const router = Router();
  const urlencoded = readForm({ limit: '32kb', parameterLimit: 30 });
  const receivePhotos = photosUpload(services.config.dataDir);

  const renderForm = (res: Response, kind: CaseKind, plate: PlateView, extra: Record<string, unknown>, status = 200) => {
    res.status(status).render(FORM_VIEW[kind], {
      plate,
      base: `/${prefixOf(plate.kind)}/${plate.token}`,
      action: `/${prefixOf(plate.kind)}/${plate.token}/${FORM_PATH[kind]}`,
      values: {},
      errors: [] as FieldError[],
      idempotencyKey: newIdempotencyKey(),
      callbackTimes: CALLBACK_TIMES,
      categories: CATEGORIES,
      ...extra,
    });
  };

  /** An item of the plate's district that can be applied for. */
  const applicable = async (districtId: number, code: unknown) =>
    typeof code === 'string' ? await services.catalog.applicableItem(districtId, code) : undefined;

  for (const kind of ['household', 'village'] as const satisfies readonly PlateKind[]) {
    const prefix = prefixOf(kind);
    for (const caseKind of ['apply', 'speak', 'help'] as const) {
      const path = `/${prefix}/:token/${FORM_PATH[caseKind]}`;

      router.get(path, async (req, res) => {
        const plate = await activePlate(services, req, res, kind);
        if (!plate) return;
        if (caseKind === 'apply') {
          const item = await applicable(plate.districtId, req.query.item);
          if (!item) {
            const q = pickerQuery.parse(req.query).q;
            res.render('cases/pick-item', { plate, base: `/${prefix}/${plate.token}`, q, picker: await services.catalog.picker(plate.districtId, q) });
            return;
          }
          renderForm(res, caseKind, plate, { item, values: { callbackTime: 'any' } });
          return;
        }
        renderForm(res, caseKind, plate, { values: caseKind === 'speak' ? { category: 'suggestion' } : { callbackTime: 'any' } });
      });

      router.post(
        path,
        limits.invalidPerIp,
        receivePhotos,
        protectUpload(protect),
        (req: Request, res: Response, next: NextFunction) => {
          // Past the limits below, the form comes back with what was typed and the real wait.
          // The limiter calls this without waiting for it: its errors go to the error handler from here.
          res.locals.onTooMany = (minutes: number) => {
            const again = async () => {
              const plate = await activePlate(services, req, res, kind);
              if (!plate) return;
              const body = (req.body ?? {}) as Record<string, string | undefined>;
              const item = caseKind === 'apply' ? await applicable(plate.districtId, body.item) : undefined;
              const errors: FieldError[] = [{ field: 'form', text: t('errors.tooManyForm', { minutes }), href: '#main' }];
              renderForm(res, caseKind, plate, { item, values: body, errors, idempotencyKey: body.idempotencyKey ?? newIdempotencyKey() }, 429);
            };
            again().catch(next);
          };
          next();
        },
        limits.submitPerIp,
        limits.submitPerPlate,
        async (req: Request, res: Response, next: NextFunction) => {
          const plate = await activePlate(services, req, res, kind);
          if (!plate) return;
          const body = (req.body ?? {}) as Record<string, string | undefined>;
          try {
            const result = await services.cases.fileCase({
              kind: caseKind,
              plate,
              form: body,
              files: (req.files as Express.Multer.File[] | undefined) ?? [],
              uploadProblem: res.locals.uploadProblem as UploadProblem | undefined,
            });
            rememberOnThisPhone(req, res, result.token);
            res.redirect(303, `/track/${result.token}?new=1`);
          } catch (err) {
            if (!(err instanceof ValidationError)) return next(err);
            const item = caseKind === 'apply' ? await applicable(plate.districtId, body.item) : undefined;
            renderForm(res, caseKind, plate, { item, values: body, errors: err.errors, idempotencyKey: body.idempotencyKey ?? newIdempotencyKey() }, 400);
          }
        },
      );
    }
  }

  // 办理 from an item guide without having scanned a plate.
  router.get('/apply', (req, res) => {
    const home = res.locals.homePath as string | null;
    if (home && typeof req.query.item === 'string') {
      res.redirect(303, `${home}/apply?item=${encodeURIComponent(req.query.item)}`);
      return;
    }
    res.render('cases/no-plate');
  });

  router.get('/track', (_req, res) => {
    res.render('cases/lookup', { values: {}, errors: [], failed: false });
  });

  router.post('/track', limits.lookup, urlencoded, protect, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    const parsed = lookupForm.safeParse(body);
    if (!parsed.success) {
      res.status(400).render('cases/lookup', { values: body, errors: fieldErrors(parsed.error), failed: false });
      return;
    }
    const token = await services.cases.lookup(parsed.data.trackingNo, parsed.data.phone);
    if (!token) {
      res.status(404).render('cases/lookup', { values: body, errors: [], failed: true });
      return;
    }
    res.redirect(303, `/track/${token}`);
  });

  const trackPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const view = await services.cases.forVillager(String(req.params.caseToken));
    // 问题解决了吗？ — the answer (a plain link, no script) decides which form the page shows.
    const answer = req.query.answer === 'solved' || req.query.answer === 'unsolved' ? req.query.answer : null;
    res.status(status).render('cases/track', {
      ...view,
      c: view.case,
      publicBaseUrl: services.config.publicBaseUrl,
      receipt: req.query.new === '1',
      values: {},
      errors: [],
      notice: null,
      answer,
      maskPhone,
      ...extra,
    });
  };

  router.get('/track/:caseToken', (req, res) => trackPage(req, res));

  router.get('/track/:caseToken/photos/:photoId', async (req, res) => {
    const id = Number(req.params.photoId);
    if (!Number.isSafeInteger(id) || id < 1) throw new NotFoundError('photo');
    const photo = await services.cases.photo(String(req.params.caseToken), id);
    res.set('X-Robots-Tag', 'noindex');
    res.type(photo.mime).sendFile(photo.path);
  });

  /** The villager's page again with what was refused: the form's field errors, or why it cannot be done now. */
  const refused = async (req: Request, res: Response, err: unknown, answer: 'solved' | 'unsolved'): Promise<void> => {
    if (err instanceof ValidationError) await trackPage(req, res, { values: req.body, errors: err.errors, answer }, 400);
    else if (err instanceof ConflictError) await trackPage(req, res, { notice: conflictText(err, res.locals.t, 'resident') }, err.status);
    else throw err;
  };

  router.post('/track/:caseToken/rate', limits.villagerAction, urlencoded, protect, async (req, res) => {
    const token = String(req.params.caseToken);
    try {
      await services.cases.rate({ token, form: req.body ?? {} });
    } catch (err) {
      await refused(req, res, err, 'solved');
      return;
    }
    res.redirect(303, `/track/${token}#rated`);
  });

  router.post('/track/:caseToken/reopen', limits.villagerAction, urlencoded, protect, async (req, res) => {
    const token = String(req.params.caseToken);
    try {
      await services.cases.reopen({ token, form: req.body ?? {} });
    } catch (err) {
      await refused(req, res, err, 'unsolved');
      return;
    }
    res.redirect(303, `/track/${token}#timeline`);
  });

  return router;
}

/** 本机诉求: the phone keeps the tokens of the cases it filed; no account, nothing on the server. */
function rememberOnThisPhone(req: Request, res: Response, token: string): void {
  const tokens = [token, ...mineTokens(req).filter((x) => x !== token)].slice(0, 10);
  res.cookie(MINE_COOKIE, tokens.join('.'), cookieOptions(req));
}
