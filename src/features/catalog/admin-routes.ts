import { Router, type Response } from 'express';
import type { Services } from '../../services.js';
import { currentUser, requireUser } from '../../http/auth.js';
import { NotFoundError, ValidationError } from '../../errors.js';

const MULTILINE = new Set(['设定依据', '受理条件', '收费项目', '办理流程', '申请材料', '常见问题']);

/** 事项管理 (at /admin, behind its gate): find any item (published or not), edit every field, publish or unpublish. */
export function catalogAdminRoutes(services: Services): Router {
  const router = Router();
  const allowed = requireUser('admin', 'staff');

  router.get('/catalog', allowed, async (req, res) => {
    const user = currentUser(res)!;
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 30) : '';
    const rows = await services.catalog.adminList(q);
    res.render('admin/catalog', { rows, q, canEdit: user.role === 'admin' || user.scope.all });
  });

  const render = (res: Response, code: string, values: Record<string, string>, errors: unknown[] = [], status = 200) =>
    res.status(status).render('admin/catalog-item', { code, values, errors, headers: services.transfer.headers('catalog'), multiline: MULTILINE });

  router.get('/catalog/:code', allowed, async (req, res) => {
    const cells = await services.transfer.catalogCells(currentUser(res)!, String(req.params.code));
    if (!cells) throw new NotFoundError('item');
    render(res, String(req.params.code), cells);
  });

  router.post('/catalog/:code', allowed, async (req, res) => {
    const user = currentUser(res)!;
    const code = String(req.params.code);
    if (!(await services.transfer.catalogCells(user, code))) throw new NotFoundError('item');
    const body = req.body as Record<string, string>;
    // The action buttons change only 是否发布; the rest comes from the form.
    const cells = { ...(body.only === 'publish' ? await services.transfer.catalogCells(user, code) : body), 基本编码: code } as Record<string, string>;
    if (body.only === 'publish') cells['是否发布'] = body.publish === '1' ? '是' : '否';
    try {
      await services.transfer.saveCatalogItem(user, cells);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      render(res, code, cells, err.errors, 400);
      return;
    }
    await services.staff.audit({
      userId: user.id,
      ip: req.ip ?? '',
      action: body.only === 'publish' ? (body.publish === '1' ? 'item_published' : 'item_unpublished') : 'item_changed',
      target: `item:${code}`,
    });
    res.redirect(303, body.only === 'publish' ? '/admin/catalog' : `/admin/catalog/${code}`);
  });
  return router;
}
