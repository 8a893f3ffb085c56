import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import type { z } from 'zod';
import type { Services } from '../../services.js';
import type { FieldError } from '../../errors.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import type { RateLimits } from '../../http/rate-limits.js';
import { cookieOptions } from '../../http/locals.js';
import { protectUpload, receiveUpload, type UploadProblem } from '../../http/uploads.js';
import { t } from '../../i18n/index.js';
import { activePlate, mineTokens, MINE_COOKIE, prefixOf, type PlateKind } from '../places/routes.js';
import type { PlateView } from '../places/repo.js';
import { MAX_PHOTO_BYTES, MAX_PHOTOS, PhotoError, processPhotos, type ProcessedPhoto } from './photos.js';
import { applyForm, helpForm, lookupForm, rateForm, reopenForm, speakForm } from './schema.js';
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
  const urlencoded = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 30 });
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

  const applicable = (code: unknown) => (typeof code === 'string' ? services.catalog.applicableItem(code) : undefined);

  for (const kind of ['household', 'village'] as const satisfies readonly PlateKind[]) {
    const prefix = prefixOf(kind);
    for (const caseKind of ['apply', 'speak', 'help'] as const) {
      const path = `/${prefix}/:token/${FORM_PATH[caseKind]}`;

      router.get(path, (req, res) => {
        const plate = activePlate(services, req, res, kind);
        if (!plate) return;
        if (caseKind === 'apply') {
          const item = applicable(req.query.item);
          if (!item) {
            const q = pickerQuery.parse(req.query).q;
            res.render('cases/pick-item', { plate, base: `/${prefix}/${plate.token}`, q, picker: services.catalog.picker(q) });
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
          res.locals.onTooMany = (minutes: number) => {
            const plate = activePlate(services, req, res, kind);
            if (!plate) return;
            const body = (req.body ?? {}) as Record<string, string | undefined>;
            const item = caseKind === 'apply' ? applicable(body.item) : undefined;
            const errors: FieldError[] = [{ field: 'form', text: t('errors.tooManyForm', { minutes }), href: '#main' }];
            renderForm(res, caseKind, plate, { item, values: body, errors, idempotencyKey: body.idempotencyKey ?? newIdempotencyKey() }, 429);
          };
          next();
        },
        limits.submitPerIp,
        limits.submitPerPlate,
        async (req: Request, res: Response, next: NextFunction) => {
          try {
            const plate = activePlate(services, req, res, kind);
            if (!plate) return;
            const body = (req.body ?? {}) as Record<string, string | undefined>;
            // Honeypot: a field people never see. Bots fill it in; nothing is saved.
            if (body.website) {
              res.status(400).render('errors/error', { title: t('errors.badRequestTitle'), body: t('errors.badRequestBody'), status: 400, stack: undefined });
              return;
            }
            const schema: z.ZodType = caseKind === 'apply' ? applyForm : caseKind === 'speak' ? speakForm : helpForm;
            const parsed = schema.safeParse(body);
            const errors: FieldError[] = parsed.success ? [] : fieldErrors(parsed.error);
            const item = caseKind === 'apply' ? applicable(body.item) : undefined;
            if (caseKind === 'apply' && !item && !errors.some((e) => e.field === 'item')) {
              errors.push({ field: 'item', text: t('cases.errors.itemNotApplicable'), href: '#item' });
            }
            let photos: ProcessedPhoto[] = [];
            const files = (req.files as Express.Multer.File[] | undefined) ?? [];
            const problem = res.locals.uploadProblem as UploadProblem | undefined;
            if (problem) {
              const field = problem === 'tooLong' ? 'content' : 'photos';
              errors.push({ field, text: t(`cases.errors.${problem}`), href: `#${field}` });
            } else if (errors.length === 0) {
              try {
                photos = await processPhotos(files);
              } catch (err) {
                if (!(err instanceof PhotoError)) throw err;
                errors.push({ field: 'photos', text: t(`cases.errors.${err.reason}`), href: '#photos' });
              }
            }
            // A file box cannot be filled in again by the server: say so rather than drop photos silently.
            if (errors.length > 0 && files.length > 0 && !errors.some((e) => e.field === 'photos')) {
              errors.push({ field: 'photos', text: t('cases.errors.photosAgain', { n: files.length }), href: '#photos' });
            }
            if (errors.length > 0 || !parsed.success) {
              renderForm(res, caseKind, plate, { item, values: body, errors, idempotencyKey: body.idempotencyKey ?? newIdempotencyKey() }, 400);
              return;
            }
            const v = parsed.data as {
              name: string | null;
              phone: string | null;
              content: string;
              callbackTime?: string;
              category?: (typeof CATEGORIES)[number];
              anonymous?: boolean;
              idempotencyKey?: string;
            };
            const result = services.cases.submit({
              kind: caseKind,
              category: v.category ?? null,
              item: item ? { id: item.id, promisedLimit: item.promisedLimit, promisedLimitUnit: item.promisedLimitUnit } : null,
              villageId: plate.villageId,
              // Anonymous feedback keeps only the village: in a village the door is the person.
              householdId: v.anonymous ? null : plate.householdId,
              plateId: v.anonymous ? null : plate.plateId,
              name: v.name,
              phone: v.phone,
              anonymous: v.anonymous ?? false,
              content: v.content,
              callbackTime: v.callbackTime ?? null,
              idempotencyKey: v.idempotencyKey ?? null,
              photos,
            });
            rememberOnThisPhone(req, res, result.token);
            res.redirect(303, `/track/${result.token}?new=1`);
          } catch (err) {
            next(err);
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

  router.post('/track', limits.lookup, urlencoded, protect, (req, res) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    const parsed = lookupForm.safeParse(body);
    if (!parsed.success) {
      res.status(400).render('cases/lookup', { values: body, errors: fieldErrors(parsed.error), failed: false });
      return;
    }
    const token = services.cases.lookup(parsed.data.trackingNo, parsed.data.phone);
    if (!token) {
      res.status(404).render('cases/lookup', { values: body, errors: [], failed: true });
      return;
    }
    res.redirect(303, `/track/${token}`);
  });

  const trackPage = (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const view = services.cases.forVillager(String(req.params.caseToken));
    // 问题解决了吗？ — the answer (a plain link, no script) decides which form the page shows.
    const answer = req.query.answer === 'solved' || req.query.answer === 'unsolved' ? req.query.answer : null;
    res.status(status).render('cases/track', { ...view, c: view.case, publicBaseUrl: services.config.publicBaseUrl, receipt: req.query.new === '1', values: {}, errors: [], notice: null, answer, ...extra });
  };

  router.get('/track/:caseToken', (req, res) => trackPage(req, res));

  router.get('/track/:caseToken/photos/:photoId', (req, res) => {
    const id = Number(req.params.photoId);
    if (!Number.isInteger(id) || id < 1) throw new NotFoundError('photo');
    const photo = services.cases.photo(String(req.params.caseToken), id);
    res.set('X-Robots-Tag', 'noindex');
    res.type(photo.mime).sendFile(photo.path);
  });

  router.post('/track/:caseToken/rate', limits.villagerAction, urlencoded, protect, (req, res) => {
    const parsed = rateForm.safeParse(req.body ?? {});
    if (!parsed.success) {
      trackPage(req, res, { values: req.body, errors: fieldErrors(parsed.error), answer: 'solved' }, 400);
      return;
    }
    try {
      services.cases.rate(String(req.params.caseToken), parsed.data.rating, parsed.data.comment);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      trackPage(req, res, { notice: t('cases.errors.notAllowed') }, 409);
      return;
    }
    res.redirect(303, `/track/${String(req.params.caseToken)}#rated`);
  });

  router.post('/track/:caseToken/reopen', limits.villagerAction, urlencoded, protect, (req, res) => {
    const parsed = reopenForm.safeParse(req.body ?? {});
    if (!parsed.success) {
      trackPage(req, res, { values: req.body, errors: fieldErrors(parsed.error), answer: 'unsolved' }, 400);
      return;
    }
    try {
      services.cases.reopen(String(req.params.caseToken), parsed.data.reason);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      trackPage(req, res, { notice: t('cases.errors.notAllowed') }, 409);
      return;
    }
    res.redirect(303, `/track/${String(req.params.caseToken)}#timeline`);
  });

  return router;
}

/** 本机诉求: the phone keeps the tokens of the cases it filed; no account, nothing on the server. */
function rememberOnThisPhone(req: Request, res: Response, token: string): void {
  const tokens = [token, ...mineTokens(req).filter((x) => x !== token)].slice(0, 10);
  res.cookie(MINE_COOKIE, tokens.join('.'), cookieOptions(req));
}
