import fs from 'node:fs';
import path from 'node:path';
import { Router, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { currentUser, requireUser } from '../../http/auth.js';
import { protectUpload, receiveUpload, type UploadProblem } from '../../http/uploads.js';
import { MAX_PHOTO_BYTES, PhotoError, processPortrait, writeNewFile } from '../cases/photos.js';
import { CadreElsewhereError, ConflictError, NotFoundError } from '../../errors.js';
import { t } from '../../i18n/index.js';
import { fieldErrors } from '../../domain/field-errors.js';
import { MOBILE_PATTERN, normalisePhone } from '../../domain/phone.js';
import { CADRE_ROLE_ORDER } from './repo.js';

const cadreForm = z.object({
  name: z
    .string()
    .trim()
    .min(1, { error: t('cadreAdmin.nameRequired') })
    .max(20, { error: t('cadreAdmin.nameRequired') }),
  role: z.enum(CADRE_ROLE_ORDER as [string, ...string[]], { error: t('cadreAdmin.roleInvalid') }),
  phone: z
    .string()
    .transform(normalisePhone)
    .pipe(z.string().regex(MOBILE_PATTERN, { error: t('cases.errors.phoneInvalid') })),
  dutyHours: z
    .string()
    .trim()
    .max(60, { error: t('cadreAdmin.dutyTooLong') }),
});
const upload = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: MAX_PHOTO_BYTES, files: 1, fields: 3, fieldSize: 1024, parts: 5, fieldNestingDepth: 0 },
});

/** A cadre's photo, shown on the 码上帮 pages. */
export function cadrePhotoRoutes(services: Services): Router {
  const router = Router();
  const photos = path.resolve(services.config.dataDir, 'cadres');
  router.get('/cadres/:id/photo.jpg', async (req, res) => {
    // a whole number a database column can hold, or no photo (PostgreSQL refuses NaN and 1e20 as a bigint)
    const id = Number(req.params.id);
    const file = Number.isSafeInteger(id) && id > 0 ? await services.cadres.photoFile(id) : undefined;
    if (!file) throw new NotFoundError('photo');
    res.set('Cache-Control', 'public, max-age=86400');
    res.type('image/jpeg').sendFile(path.join(photos, path.basename(file)));
  });
  return router;
}

/**
 * 干部管理 (at /admin, behind its gate): staff keep the cadres of their villages, with photos for
 * 码上帮. The photo form is multipart: it is in `uploads`, which reads the file, then checks the token.
 */
export function cadreAdminRoutes(services: Services, protect: RequestHandler): { routes: Router; uploads: Router } {
  const router = Router();
  const uploads = Router();
  const staffOnly = requireUser('admin', 'staff');
  const photos = path.resolve(services.config.dataDir, 'cadres');

  const villageOf = async (res: Response, code: unknown) => {
    const v = (await services.places.villagesIn(currentUser(res)!.scope)).find((x) => x.code === code);
    if (!v) throw new NotFoundError('village');
    return v;
  };
  const render = async (res: Response, code: unknown, extra: Record<string, unknown> = {}, status = 200) => {
    const village = await villageOf(res, code);
    res.status(status).render('admin/cadres', {
      village,
      rows: await services.cadres.forVillage(village.id),
      roles: CADRE_ROLE_ORDER,
      errors: [],
      values: {},
      editing: null,
      ...extra,
    });
  };

  router.get('/villages/:code/cadres', staffOnly, async (req, res) => {
    const village = await villageOf(res, req.params.code);
    const edit = (await services.cadres.forVillage(village.id)).find((c) => c.id === Number(req.query.edit));
    await render(
      res,
      req.params.code,
      edit ? { editing: edit.id, values: { name: edit.name, role: edit.role, phone: edit.phone, dutyHours: edit.dutyHours } } : {},
    );
  });

  const save =
    (mode: 'add' | 'edit'): RequestHandler =>
    async (req, res) => {
      const user = currentUser(res)!;
      const village = await villageOf(res, req.params.code);
      const parsed = cadreForm.safeParse(req.body ?? {});
      const editing = mode === 'edit' ? Number(req.params.id) : null;
      if (!parsed.success) {
        await render(res, req.params.code, { errors: fieldErrors(parsed.error, { hrefPrefix: 'cd-' }), values: req.body, editing }, 400);
        return;
      }
      const input = parsed.data as Parameters<typeof services.cadres.add>[2];
      try {
        if (mode === 'add') {
          const { id, villageCodes } = await services.cadres.add(user.scope, village.id, input);
          await services.staff.audit({
            userId: user.id,
            ip: req.ip ?? '',
            action: 'cadre_added',
            target: `cadre:${id}`,
            detail: `${village.code} ${input.name}; serves ${villageCodes.join(' ')}`,
          });
        } else {
          const id = Number(req.params.id);
          await services.cadres.update(user.scope, id, input);
          await services.staff.audit({
            userId: user.id,
            ip: req.ip ?? '',
            action: 'cadre_changed',
            target: `cadre:${id}`,
            detail: `${village.code} ${input.name}`,
          });
        }
      } catch (err) {
        if (err instanceof CadreElsewhereError) {
          await services.staff.audit({
            userId: user.id,
            ip: req.ip ?? '',
            action: 'cadre_add_refused',
            target: `cadre:${err.cadreId}`,
            detail: `${village.code} ${input.phone}; serves ${err.villageCodes.join(' ')}`,
          });
          await render(
            res,
            req.params.code,
            { errors: [{ field: 'phone', text: t('cadreAdmin.phoneElsewhere'), href: '#cd-phone' }], values: req.body, editing },
            409,
          );
          return;
        }
        if (!(err instanceof ConflictError)) throw err;
        await render(
          res,
          req.params.code,
          { errors: [{ field: 'phone', text: t('cadreAdmin.phoneTaken'), href: '#cd-phone' }], values: req.body, editing },
          409,
        );
        return;
      }
      res.redirect(303, `/admin/villages/${village.code}/cadres`);
    };
  router.post('/villages/:code/cadres', staffOnly, save('add'));
  router.post('/villages/:code/cadres/:id', staffOnly, save('edit'));

  // Removing a cadre takes them off the village's 码上帮 page: confirmed on a page of its own.
  router.get('/villages/:code/cadres/:id/remove', staffOnly, async (req, res) => {
    const village = await villageOf(res, req.params.code);
    const cadre = (await services.cadres.forVillage(village.id)).find((c) => c.id === Number(req.params.id));
    if (!cadre) throw new NotFoundError('cadre');
    res.render('admin/confirm', {
      title: t('cadreAdmin.removeConfirmTitle'),
      details: [
        [t('cadreAdmin.fields.name'), cadre.name],
        [t('cadreAdmin.fields.role'), t(`help.roles.${cadre.role}`)],
        [t('cadreAdmin.fields.phone'), cadre.phone],
        [t('admin.inbox.columns.village'), `${village.townName} ${village.name}`],
      ],
      body: t('cadreAdmin.removeConfirmBody'),
      action: `/admin/villages/${village.code}/cadres/${cadre.id}/remove`,
      hiddenFields: [],
      confirmLabel: t('cadreAdmin.remove'),
      backHref: `/admin/villages/${village.code}/cadres`,
    });
  });

  router.post('/villages/:code/cadres/:id/remove', staffOnly, async (req, res) => {
    const user = currentUser(res)!;
    const village = await villageOf(res, req.params.code);
    const { orphanedPhoto } = await services.cadres.removeFromVillage(user.scope, Number(req.params.id), village.id);
    if (orphanedPhoto) fs.rmSync(path.join(photos, path.basename(orphanedPhoto)), { force: true });
    await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'cadre_removed', target: `cadre:${req.params.id}`, detail: village.code });
    res.redirect(303, `/admin/villages/${village.code}/cadres`);
  });

  const photoProblem: Record<UploadProblem, string> = {
    tooBig: 'cases.errors.tooBig',
    tooMany: 'cadreAdmin.onePhoto',
    tooLong: 'cadreAdmin.tooLong',
    broken: 'cadreAdmin.broken',
  };
  uploads.post('/villages/:code/cadres/:id/photo', staffOnly, receiveUpload(upload.single('photo')), protectUpload(protect), async (req, res, next) => {
    try {
      const user = currentUser(res)!;
      const village = await villageOf(res, req.params.code);
      const id = Number(req.params.id);
      const refuse = (key: string) => render(res, req.params.code, { errors: [{ field: 'photo', text: t(key), href: `#cd-photo-${id}` }] }, 400);
      const problem = res.locals.uploadProblem as UploadProblem | undefined;
      if (problem) return refuse(photoProblem[problem]);
      if (!req.file) return refuse('cases.errors.notImage');
      let image: Buffer;
      try {
        image = await processPortrait(req.file);
      } catch (err) {
        if (!(err instanceof PhotoError)) throw err;
        return refuse(`cases.errors.${err.reason}`);
      }
      const file = writeNewFile(photos, image);
      let old: string | null;
      try {
        old = await services.cadres.setPhoto(user.scope, id, file);
      } catch (err) {
        fs.rmSync(path.join(photos, file), { force: true });
        throw err;
      }
      if (old) fs.rmSync(path.join(photos, path.basename(old)), { force: true });
      await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'cadre_photo', target: `cadre:${req.params.id}` });
      res.redirect(303, `/admin/villages/${village.code}/cadres`);
    } catch (err) {
      next(err);
    }
  });
  return { routes: router, uploads };
}
