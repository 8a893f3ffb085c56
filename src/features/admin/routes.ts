import { Router } from 'express';
import { readForm } from '../../http/input.js';
import { z } from 'zod';
import type { Services } from '../../services.js';
import type { RequestHandler } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { currentUser, DEVICE_COOKIE, requireUser, sessionCookieName } from '../../http/auth.js';
import { passwordProblem } from '../staff/password-policy.js';
import { TRUSTED_DAYS } from '../staff/service.js';
import { t } from '../../i18n/index.js';
import { fieldErrors } from '../../domain/field-errors.js';
import { barChartSvg, STATS_FRESH_MS } from '../stats/service.js';
import { safeBackPath } from '../../http/locals.js';
import { chinaTimeOfDay } from '../../domain/time.js';

const loginForm = z.object({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(200),
  next: z.string().optional(),
});

const passwordForm = z
  .object({
    current: z.string().min(1, { error: t('admin.password.wrongCurrent') }),
    next: z.string().max(200, { error: t('admin.password.tooLong') }),
    confirm: z.string(),
  })
  .refine((v) => v.next === v.confirm, { path: ['confirm'], error: t('admin.password.mismatch') });

/** The rule every new password follows (form, user management, command line). */
export function passwordRuleMessage(password: string, username: string): string | undefined {
  const problem = passwordProblem(password, username);
  return problem ? t(`admin.password.rules.${problem}`) : undefined;
}

/**
 * The sign-in form: the one back-office form that answers without a session (mounted before the
 * gate, at /admin), so it reads its own body and checks its own CSRF token.
 */
export function signInRoutes(services: Services, opts: { protect: RequestHandler; loginLimit: RequestHandler }): Router {
  const router = Router();
  const urlencoded = readForm({ limit: '16kb', parameterLimit: 20 });

  router.get('/login', (req, res) => {
    if (currentUser(res)) {
      res.redirect(303, '/admin');
      return;
    }
    res.render('admin/login', {
      values: { next: typeof req.query.next === 'string' ? req.query.next : '' },
      failed: false,
      expired: req.query.expired === '1',
    });
  });

  router.post('/login', opts.loginLimit, urlencoded, opts.protect, async (req, res) => {
    const parsed = loginForm.safeParse(req.body ?? {});
    const values = { username: String(req.body?.username ?? ''), next: String(req.body?.next ?? '') };
    if (!parsed.success) {
      res.status(400).render('admin/login', { values, failed: t('admin.login.failed'), expired: false });
      return;
    }
    const result = await services.staff.authenticate(parsed.data.username, parsed.data.password, {
      ip: ipKeyGenerator(req.ip ?? ''),
      deviceToken: typeof req.cookies?.[DEVICE_COOKIE] === 'string' ? req.cookies[DEVICE_COOKIE] : undefined,
    });
    if (!result.ok) {
      await services.staff.audit({ userId: null, ip: req.ip ?? '', action: 'login_failed', target: parsed.data.username.slice(0, 64) });
      if (result.retryAfterMinutes) res.set('Retry-After', String(result.retryAfterMinutes * 60));
      const failed = result.retryAfterMinutes ? t('admin.login.wait', { minutes: result.retryAfterMinutes }) : t('admin.login.failed');
      res.status(result.retryAfterMinutes ? 429 : 401).render('admin/login', { values, failed, expired: false });
      return;
    }
    const { user, deviceToken } = result;
    // A new session id at sign-in, so a session id planted before cannot be ridden.
    await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err as Error) : resolve())));
    req.session.userId = user.id;
    req.session.signedInAt = Date.now();
    await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'login' });
    // This browser may sign in to this account while the account is throttled for others.
    res.cookie(DEVICE_COOKIE, deviceToken, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/admin', maxAge: TRUSTED_DAYS * 86_400_000 });
    const target = safeBackPath(parsed.data.next);
    res.redirect(303, target.startsWith('/admin') || target.startsWith('/p/') ? target : '/admin');
  });

  return router;
}

/** Sign-out, password change, the dashboard and the audit log (behind the back office's gate, at /admin). */
export function adminRoutes(services: Services, opts: { loginLimit: RequestHandler }): Router {
  const router = Router();

  router.post('/logout', async (req, res) => {
    const user = currentUser(res);
    if (user) await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'logout' });
    await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err as Error) : resolve())));
    res.clearCookie(sessionCookieName(req.secure), { path: '/', secure: req.secure });
    res.redirect(303, '/admin/login');
  });

  router.get('/password', (_req, res) => {
    res.render('admin/password', { errors: [], done: false });
  });

  router.post('/password', opts.loginLimit, async (req, res) => {
    const user = currentUser(res)!;
    const parsed = passwordForm.safeParse(req.body ?? {});
    const errors = parsed.success ? [] : fieldErrors(parsed.error);
    const rule = parsed.success ? passwordRuleMessage(parsed.data.next, user.username) : undefined;
    if (rule) errors.push({ field: 'next', text: rule, href: '#next' });
    if (!parsed.success || errors.length) {
      res.status(400).render('admin/password', { errors, done: false });
      return;
    }
    const changed = await services.staff.changePassword(user.id, parsed.data.current, parsed.data.next, req.sessionID, ipKeyGenerator(req.ip ?? ''));
    if (changed !== 'changed') {
      const wait = changed === 'wrong' ? 0 : changed.retryAfterMinutes;
      if (wait) res.set('Retry-After', String(wait * 60));
      const text = wait ? t('admin.login.wait', { minutes: wait }) : t('admin.password.wrongCurrent');
      res.status(wait ? 429 : 400).render('admin/password', { errors: [{ field: 'current', text, href: '#current' }], done: false });
      return;
    }
    await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'password_changed' });
    res.render('admin/password', { errors: [], done: true });
  });

  router.get('/', async (_req, res) => {
    const user = currentUser(res)!;
    const [d, districts] = await Promise.all([services.stats.dashboard(user.scope), services.stats.cityDistricts(user.scope)]);
    // Figures may be kept for a few seconds (keptStats): the page says when they were read.
    const asOf = t('admin.dashboard.asOf', { time: chinaTimeOfDay(d.computedAt), seconds: STATS_FRESH_MS / 1000 });
    res.render('admin/dashboard', { d, districts, asOf, chart: barChartSvg(d.days, t('admin.dashboard.chart')) });
  });

  router.get('/audit', requireUser('admin'), async (req, res) => {
    const page = Math.max(1, Math.min(1000, Number(req.query.page) || 1));
    res.render('admin/audit', { rows: await services.staff.auditList(currentUser(res)!.scope, page), page });
  });

  return router;
}
