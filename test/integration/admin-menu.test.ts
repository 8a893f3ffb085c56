import { describe, expect, it } from 'vitest';
import { t } from '../../src/i18n/index.js';
import { buildApp } from '../helpers/app.js';
import { aCadre, demoHousehold } from '../helpers/builders.js';
import { aUser, signIn } from '../helpers/staff.js';

/** The menu's links, in the order the page shows them. */
const menuLinks = (html: string) =>
  [...(/<nav aria-label="[^"]*">([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? '').matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)].map((m) => `${m[1]} ${m[2]}`);

describe('the back-office menu, gathered from the features', () => {
  it('shows each role its links, in the same order on every page', async () => {
    const { app, services, sql } = buildApp();
    const h = await demoHousehold(sql);
    const town = (await sql.value<string>('SELECT t.code FROM towns t JOIN villages v ON v.town_id = t.id WHERE v.id = ?', h.villageId))!;
    const admin = await aUser(services, { role: 'admin' });
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: town }] });
    const cadre = await aUser(services, { role: 'cadre', cadreId: (await aCadre(sql, { villageId: h.villageId, name: '菜单干部', phone: '19900006620' })).id });

    const adminMenu = menuLinks((await (await signIn(app, admin.username)).get('/admin').expect(200)).text);
    expect(adminMenu).toEqual(
      [
        ['/admin', 'admin.nav.dashboard'],
        ['/admin/cases', 'admin.nav.cases'],
        ['/admin/places', 'placesAdmin.title'],
        ['/admin/plates', 'plates.title'],
        ['/admin/catalog', 'catalogAdmin.title'],
        ['/admin/data', 'data.title'],
        ['/admin/templates', 'templates.title'],
        ['/admin/notifications', 'notifications.title'],
        ['/admin/users', 'users.title'],
        ['/admin/calendar', 'calendar.title'],
        ['/admin/apikeys', 'admin.nav.apiKeys'],
        ['/admin/audit', 'admin.nav.audit'],
        ['/admin/password', 'admin.nav.password'],
      ].map(([href, label]) => `${href} ${t(label!)}`),
    );

    const staffAgent = await signIn(app, staff.username);
    const staffMenu = menuLinks((await staffAgent.get('/admin').expect(200)).text);
    expect(staffMenu).toEqual(adminMenu.filter((l) => !/^\/admin\/(users|calendar|apikeys|audit) /.test(l)));
    expect(menuLinks((await staffAgent.get('/admin/cases').expect(200)).text)).toEqual(staffMenu);

    const cadreMenu = menuLinks((await (await signIn(app, cadre.username)).get('/admin').expect(200)).text);
    expect(cadreMenu).toEqual(adminMenu.filter((l) => /^\/admin(\/cases|\/notifications|\/password)? /.test(l)));
    expect(cadreMenu).toHaveLength(4);
  });
});
