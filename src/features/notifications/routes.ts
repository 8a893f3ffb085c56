import { Router, type Response } from 'express';
import type { Services } from '../../services.js';
import { currentUser, requireUser } from '../../http/auth.js';
import { t } from '../../i18n/index.js';
import { TRACKING_NO_PATTERN } from '../../domain/cases.js';
import { ValidationError } from '../../errors.js';
import { CHANNEL_KINDS, DELIVERY_CHANNELS, DELIVERY_STATES } from './service.js';
import type { DeliveryChannel, DeliveryState } from './repo.js';

const PER_PAGE = 50;

/**
 * The delivery log (scoped to the user's villages), retrying a dead delivery, and the cadres'
 * channels (admins everywhere, township staff in their township): at /admin, behind its gate.
 */
export function notificationsRoutes(services: Services): Router {
  const router = Router();
  const notifications = services.notifications;

  const one = (v: unknown): string => (typeof v === 'string' ? v : '');

  router.get('/notifications', requireUser(), async (req, res) => {
    const user = currentUser(res)!;
    const state = DELIVERY_STATES.find((s) => s === one(req.query.state)) as DeliveryState | undefined;
    const channel = DELIVERY_CHANNELS.find((c) => c === one(req.query.channel)) as DeliveryChannel | undefined;
    const caseNo = one(req.query.case).trim();
    const trackingNo = TRACKING_NO_PATTERN.test(caseNo) ? caseNo : undefined;
    const pageNo = Math.min(Math.max(1, Math.floor(Number(one(req.query.page))) || 1), 10_000);
    const { rows, total } = await notifications.list(user.scope, { state, channel, trackingNo }, pageNo, PER_PAGE);
    const notice = req.query.retried === '1' ? t('notifications.retried') : req.query.retried === '0' ? t('notifications.notRetriable') : null;
    res.render('admin/notifications', {
      rows,
      total,
      page: pageNo,
      pages: Math.max(1, Math.ceil(total / PER_PAGE)),
      params: { state: state ?? '', channel: channel ?? '', case: trackingNo ?? '' },
      states: DELIVERY_STATES,
      kinds: DELIVERY_CHANNELS,
      notice,
    });
  });

  router.get('/notifications/:id', requireUser(), async (req, res) => {
    const user = currentUser(res)!;
    const { delivery, attempts } = await notifications.get(user.scope, Number(req.params.id));
    res.render('admin/notification', { d: delivery, attempts });
  });

  router.post('/notifications/:id/retry', requireUser(), async (req, res) => {
    const user = currentUser(res)!;
    const id = Number(req.params.id);
    const ok = await notifications.retry(user.scope, id);
    if (ok) await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'notification_retried', target: `notification:${id}` });
    res.redirect(303, `/admin/notifications?retried=${ok ? 1 : 0}`);
  });

  // Admins manage every channel; township staff those of their township and its villages (never the
  // district's, never another township's: 404); cadres none (403).
  const renderChannels = async (res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const user = currentUser(res)!;
    const places = await notifications.manageablePlaces(user);
    res.status(status).render('admin/channels', {
      channels: await notifications.channels(user),
      kinds: CHANNEL_KINDS,
      towns: places.towns,
      errors: [],
      values: {},
      notice: null,
      ...extra,
    });
  };

  router.get('/channels', requireUser('admin', 'staff'), async (req, res) => {
    const notice = req.query.done === 'added' ? t('notifications.added') : req.query.done === 'removed' ? t('notifications.removed') : null;
    await renderChannels(res, { notice });
  });

  router.post('/channels', requireUser('admin', 'staff'), async (req, res) => {
    const user = currentUser(res)!;
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      const id = await notifications.addChannel({ kind: one(body.kind), url: one(body.url), secret: one(body.secret), scopeCode: one(body.scopeCode) }, user);
      // The address and secret are not written to the audit log: a robot's URL is its key.
      await services.staff.audit({
        userId: user.id,
        ip: req.ip ?? '',
        action: 'channel_added',
        target: `channel:${id}`,
        detail: `${one(body.kind)} ${one(body.scopeCode)}`,
      });
      res.redirect(303, '/admin/channels?done=added');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await renderChannels(res, { errors: err.errors, values: { kind: one(body.kind), scopeCode: one(body.scopeCode) } }, 400);
    }
  });

  router.post('/channels/:id/remove', requireUser('admin', 'staff'), async (req, res) => {
    const user = currentUser(res)!;
    const id = Number(req.params.id);
    if (await notifications.removeChannel(id, user))
      await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'channel_removed', target: `channel:${id}` });
    res.redirect(303, '/admin/channels?done=removed');
  });

  return router;
}
