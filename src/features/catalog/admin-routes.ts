import { Router, type Request, type Response } from 'express';
import type { Services } from '../../services.js';
import { currentUser, requireUser } from '../../http/auth.js';
import { NotFoundError, ValidationError } from '../../errors.js';

const MULTILINE = new Set(['设定依据', '受理条件', '收费项目', '办理流程', '申请材料', '常见问题']);

/** 事项管理 (at /admin, behind its gate): find any item (published or not), edit every field, publish or unpublish. */
export function catalogAdminRoutes(services: Services): Router {
  const router = Router();
  const allowed = requireUser('admin', 'staff');

  /**
   * The user with the district whose catalogue they work on: their own; for a city administrator
   * the one named by ?d= (a district code), else the first.
   */
  const worker = async (req: Request, res: Response) => {
    const user = currentUser(res)!;
    if (user.districtId !== null) return { ...user, districtId: user.districtId };
    // a user of no district who is not the city's administrator works on no catalogue
    if (!user.scope.all) throw new NotFoundError('district');
    const districts = await services.places.districts();
    const named = typeof req.query.d === 'string' ? districts.find((d) => d.code === req.query.d) : undefined;
    if (typeof req.query.d === 'string' && !named) throw new NotFoundError('district');
    const district = named ?? districts[0];
    if (!district) throw new NotFoundError('district');
    return { ...user, districtId: district.id };
  };

  router.get('/catalog', allowed, async (req, res) => {
    const user = await worker(req, res);
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 30) : '';
    const rows = await services.catalog.adminList(user.districtId, q);
    const districts = user.scope.all ? await services.places.districts() : [];
    res.render('admin/catalog', {
      rows,
      q,
      districts,
      dq: user.scope.all ? `?d=${districts.find((d) => d.id === user.districtId)?.code ?? ''}` : '',
      district: districts.find((d) => d.id === user.districtId),
      canEdit: user.role === 'admin' || user.scope.districtIds.has(user.districtId),
    });
  });

  const render = (res: Response, code: string, values: Record<string, string>, errors: unknown[] = [], status = 200) => {
    // the form posts back to the district it was opened in (a city administrator's ?d=)
    const d = res.req.query.d;
    const action = `/admin/catalog/${encodeURIComponent(code)}${typeof d === 'string' ? `?d=${encodeURIComponent(d)}` : ''}`;
    res.status(status).render('admin/catalog-item', { code, action, values, errors, headers: services.transfer.headers('catalog'), multiline: MULTILINE });
  };

  router.get('/catalog/:code', allowed, async (req, res) => {
    const cells = await services.transfer.catalogCells(await worker(req, res), String(req.params.code));
    if (!cells) throw new NotFoundError('item');
    render(res, String(req.params.code), cells);
  });

  router.post('/catalog/:code', allowed, async (req, res) => {
    const user = await worker(req, res);
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
      districtId: user.districtId,
      ip: req.ip ?? '',
      action: body.only === 'publish' ? (body.publish === '1' ? 'item_published' : 'item_unpublished') : 'item_changed',
      target: `item:${code}`,
    });
    const dq = typeof req.query.d === 'string' && user.scope.all ? `?d=${encodeURIComponent(req.query.d)}` : '';
    res.redirect(303, body.only === 'publish' ? `/admin/catalog${dq}` : `/admin/catalog/${code}${dq}`);
  });
  return router;
}
