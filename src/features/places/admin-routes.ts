import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { currentUser, requireUser } from '../../http/auth.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { t } from '../../i18n/index.js';
import { fieldErrors } from '../../domain/field-errors.js';
import { isMobile, normalisePhone } from '../../domain/phone.js';

const householdForm = z.object({
  address: z
    .string()
    .trim()
    .min(1, { error: t('households.addressRequired') })
    .max(50, { error: t('households.addressRequired') }),
  contactName: z
    .string()
    .trim()
    .max(20, { error: t('households.nameTooLong') })
    .transform((v) => v || null),
  contactPhone: z
    .string()
    .transform((v) => (v.trim() ? normalisePhone(v) : ''))
    .pipe(z.string().refine((v) => v === '' || isMobile(v), { error: t('cases.errors.phoneInvalid') }))
    .transform((v) => v || null),
  notes: z
    .string()
    .trim()
    .max(200, { error: t('households.notesTooLong') }),
});

/** 住户管理 (at /admin, behind its gate): staff and admins list, add and correct households of their villages. */
export function householdAdminRoutes(services: Services): Router {
  const router = Router();
  const staffOnly = requireUser('admin', 'staff');

  const villageOf = async (res: Response, code: unknown) => {
    const v = (await services.places.villagesIn(currentUser(res)!.scope)).find((x) => x.code === code);
    if (!v) throw new NotFoundError('village');
    return v;
  };
  const render = async (res: Response, code: unknown, q: string, extra: Record<string, unknown> = {}, status = 200) => {
    const village = await villageOf(res, code);
    res.status(status).render('admin/households', {
      village,
      q,
      rows: await services.places.householdsOf(currentUser(res)!.scope, village.id, q),
      errors: [],
      values: {},
      editing: null,
      ...extra,
    });
  };

  router.get('/villages/:code/households', staffOnly, async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 20) : '';
    const editId = Number(req.query.edit);
    const rows = await services.places.householdsOf(currentUser(res)!.scope, (await villageOf(res, req.params.code)).id, '');
    const editing = Number.isInteger(editId) ? rows.find((r) => r.id === editId) : undefined;
    await render(
      res,
      req.params.code,
      q,
      editing
        ? {
            editing: editing.id,
            values: { address: editing.address, contactName: editing.contactName ?? '', contactPhone: editing.contactPhone ?? '', notes: editing.notes },
          }
        : {},
    );
  });

  const save =
    (mode: 'add' | 'edit'): RequestHandler =>
    async (req, res) => {
      const user = currentUser(res)!;
      const village = await villageOf(res, req.params.code);
      const id = Number(req.params.id);
      const parsed = householdForm.safeParse(req.body ?? {});
      const editing = mode === 'edit' ? id : null;
      if (!parsed.success) {
        await render(res, req.params.code, '', { errors: fieldErrors(parsed.error, { hrefPrefix: 'hh-' }), values: req.body, editing }, 400);
        return;
      }
      try {
        if (mode === 'add') {
          const newId = await services.places.addHousehold(user.scope, village.id, parsed.data);
          await services.staff.audit({
            userId: user.id,
            ip: req.ip ?? '',
            action: 'household_added',
            target: `household:${newId}`,
            detail: parsed.data.address,
          });
        } else {
          await services.places.updateHousehold(user.scope, id, parsed.data);
          await services.staff.audit({
            userId: user.id,
            ip: req.ip ?? '',
            action: 'household_changed',
            target: `household:${id}`,
            detail: parsed.data.address,
          });
        }
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        await render(
          res,
          req.params.code,
          '',
          { errors: [{ field: 'address', text: t('households.addressTaken'), href: '#hh-address' }], values: req.body, editing },
          409,
        );
        return;
      }
      res.redirect(303, `/admin/villages/${village.code}/households`);
    };
  router.post('/villages/:code/households', staffOnly, save('add'));
  router.post('/villages/:code/households/:id', staffOnly, save('edit'));
  return router;
}
