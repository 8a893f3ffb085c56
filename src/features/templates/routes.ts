import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { currentUser, requireUser } from '../../http/auth.js';
import { t } from '../../i18n/index.js';
import { CATEGORIES } from '../cases/schema.js';

const templateForm = z.object({
  kind: z.enum(['', 'help', 'apply', 'speak']).transform((v) => (v === '' ? null : v)),
  category: z.enum(['', ...CATEGORIES]).transform((v) => (v === '' ? null : v)),
  title: z.string().trim().min(1, { error: t('templates.titleRequired') }).max(30, { error: t('templates.titleTooLong') }),
  body: z.string().trim().min(5, { error: t('templates.bodyRequired') }).max(2000, { error: t('admin.case.textTooLong') }),
});

/** Staff and admins manage the reply templates; cadres use them. */
export function templatesRoutes(services: Services, protect: RequestHandler): Router {
  const router = Router();
  const urlencoded = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 10 });
  const render = (res: express.Response, extra: Record<string, unknown> = {}, status = 200) =>
    res.status(status).render('admin/templates', { rows: services.templates.all(), categories: CATEGORIES, errors: [], values: {}, ...extra });

  router.get('/admin/templates', requireUser('admin', 'staff'), (_req, res) => render(res));

  router.post('/admin/templates', requireUser('admin', 'staff'), urlencoded, protect, (req, res) => {
    const user = currentUser(res)!;
    const parsed = templateForm.safeParse(req.body ?? {});
    if (!parsed.success) {
      const errors = parsed.error.issues.map((i) => ({ field: String(i.path[0]), text: i.message, href: `#tpl-${String(i.path[0])}` }));
      render(res, { errors, values: req.body }, 400);
      return;
    }
    const id = services.templates.add(parsed.data, user.id);
    services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'template_added', target: `template:${id}`, detail: parsed.data.title });
    res.redirect(303, '/admin/templates');
  });

  router.post('/admin/templates/:id/delete', requireUser('admin', 'staff'), urlencoded, protect, (req, res) => {
    const user = currentUser(res)!;
    const id = Number(req.params.id);
    services.templates.remove(Number.isInteger(id) ? id : 0);
    services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'template_deleted', target: `template:${id}` });
    res.redirect(303, '/admin/templates');
  });
  return router;
}
