import { Router, type Response } from 'express';
import { currentUser, requireUser } from '../../http/auth.js';
import { noStore } from '../../http/caching.js';
import { t } from '../../i18n/index.js';
import { NotFoundError } from '../../errors.js';
import { ApiKeyNameError, managesKey, type Open311Service } from './service.js';
import type { Services } from '../../services.js';

/** 后台 · API 密钥 (at /admin, behind its gate): admins create, name and revoke Open311 keys and see when each was last used. */
export function apiKeysAdminRoutes(services: Services & { open311: Open311Service }): Router {
  const router = Router();
  const render = async (res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    noStore(res);
    res
      .status(status)
      .render('admin/apikeys', { rows: await services.open311.listKeys(currentUser(res)!.scope), errors: [], values: {}, created: null, ...extra });
  };

  router.get('/apikeys', requireUser('admin'), (_req, res) => render(res));

  router.post('/apikeys', requireUser('admin'), async (req, res) => {
    const user = currentUser(res)!;
    const name = typeof req.body?.name === 'string' ? (req.body.name as string) : '';
    try {
      // a district's administrator makes keys for their district; the city's, keys for any district a call names
      const { key, row } = await services.open311.createKey(name, user.id, user.scope.all ? null : ([...user.scope.districtIds][0] ?? null));
      await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'apikey_created', target: `apikey:${row.id}`, detail: row.name });
      // The key is shown on this answer only; it is kept as a digest.
      await render(res, { created: { name: row.name, key } }, 201);
    } catch (err) {
      if (!(err instanceof ApiKeyNameError)) throw err;
      await render(res, { errors: [{ field: 'name', text: t(`apiKeys.errors.${err.reason}`), href: '#key-name' }], values: { name } }, 400);
    }
  });

  router.post('/apikeys/:id/revoke', requireUser('admin'), async (req, res) => {
    const user = currentUser(res)!;
    const id = Number(req.params.id);
    const key = Number.isSafeInteger(id) && id > 0 ? await services.open311.keyById(id) : undefined;
    if (!key || !managesKey(user.scope, key)) throw new NotFoundError('api key');
    await services.open311.revokeKey(key.id);
    await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'apikey_revoked', target: `apikey:${key.id}`, detail: key.name });
    res.redirect(303, '/admin/apikeys');
  });
  return router;
}
