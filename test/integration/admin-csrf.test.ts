import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCase } from '../helpers/cases.js';
import { aUser, signIn } from '../helpers/staff.js';

describe('CSRF on every back-office form', () => {
  it('each post without a token is refused with 403 and changes nothing', async () => {
    const { app, services, sql } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const c = await aCase(sql, services);
    const agent = await signIn(app, admin.username);
    const before = () =>
      sql.value<number>(
        'SELECT (SELECT count(*) FROM case_events) + (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM reply_templates) + (SELECT count(*) FROM calendar_days) + (SELECT count(*) FROM users) + (SELECT count(*) FROM household_visits)',
      );
    const n = await before();
    expect(n).toBeGreaterThan(0);
    const posts: Array<[string, Record<string, string>]> = [
      [`/admin/cases/${c.id}/action`, { action: 'accept', version: '1' }],
      ['/admin/templates', { title: '标题', body: '五个字以上的内容' }],
      ['/admin/templates/1/delete', {}],
      ['/admin/calendar', { date: '2027-01-05', kind: 'holiday' }],
      ['/admin/calendar/2026-10-10/delete', {}],
      ['/admin/users', { username: 'someone', displayName: '某', role: 'admin', password: 'long-enough-pw' }],
      [`/admin/users/${admin.id}/active`, { active: '0' }],
      [`/admin/households/${c.household.householdId}/visits`, { visitedOn: '2026-11-01', notes: '走访' }],
      ['/admin/password', { current: 'x', next: 'long-enough-pw', confirm: 'long-enough-pw' }],
      ['/admin/logout', {}],
    ];
    for (const [url, body] of posts) {
      const res = await agent.post(url).type('form').send(body);
      expect(res.status, url).toBe(403);
    }
    expect(await before()).toBe(n);
    await agent.get('/admin').expect(200); // still signed in: logout was refused too
  });
});
