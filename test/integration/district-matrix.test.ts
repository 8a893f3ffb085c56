import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp, type TestApp } from '../helpers/app.js';
import { B_MARKS, DISTRICT_B, cityUser, oneDistrictApp, secondDistrict, type CityWho, type SecondDistrict } from '../helpers/districts.js';
import { onPostgres } from '../helpers/engine.js';
import { NOT_IDS, ROWS, routesWithIds, sendRow, type Row } from '../helpers/id-routes.js';
import { signIn } from '../helpers/staff.js';
import type { Agent } from '../helpers/forms.js';
import { agentFor } from '../helpers/forms.js';

/**
 * The cross-district matrix (issue 17): the demo's 兖州区 (A) and 曲阜市 (B) in one installation. For
 * every back-office route that takes an id (the access matrix's table), B's objects are not there for
 * A's users (404; 403 where their role may not use the page at all), while B's users and the city
 * administrator get past the check; A's lists, counts, exports and Open311 answers never show B; a
 * plate of B searches only B's catalogue.
 */

const WHO: CityWho[] = ['adminA', 'staffA', 'adminB', 'staffB', 'cadreB', 'city'];
/** Routes over what the whole city shares (the national working-day calendar). */
const SHARED = ['/admin/calendar/:date/delete'];

interface City extends TestApp {
  b: SecondDistrict;
}

let n = 0;
async function city(): Promise<City> {
  const stack = buildApp();
  return { ...stack, b: await secondDistrict(stack) };
}

async function as(w: City, who: CityWho): Promise<{ agent: Agent; role: 'admin' | 'staff' | 'cadre' }> {
  const u = await cityUser(w, w.b, who, ++n);
  return { agent: await signIn(w.app, u.username), role: u.role };
}

/** A's users: B's objects are not there; everyone else in the table of the access matrix gets through where their role may. */
function expected(row: Row, who: CityWho, role: 'admin' | 'staff' | 'cadre'): 'through' | 403 | 404 {
  if (!row.roles.includes(role)) return 403;
  // the shared calendar: the city administrator keeps it, a district's administrator may not change it
  if (SHARED.includes(row.route)) return who === 'city' ? 'through' : 403;
  return who.endsWith('A') ? 404 : 'through';
}

describe('district matrix: every route taking an id, for A’s and B’s administrators and staff, B’s cadre and the city administrator', () => {
  it('runs the access matrix’s table, which lists every such route', () => {
    const { app } = buildApp();
    const covered = new Set(ROWS.map((r) => `${r.method} ${r.route}`));
    expect(routesWithIds(app).filter((r) => !covered.has(r) && !NOT_IDS.some((x) => r.endsWith(` ${x}`)))).toEqual([]);
  });

  for (const row of ROWS) {
    it(`${row.method} ${row.route} on B’s object`, async () => {
      const denied = await city();
      const results: string[] = [];
      const want: string[] = [];
      for (const who of WHO) {
        const role = who === 'city' || who.startsWith('admin') ? 'admin' : who.startsWith('staff') ? 'staff' : 'cadre';
        // each user who gets through on an installation of their own: a delete by one hides nothing from the next
        const w = expected(row, who, role) === 'through' ? await city() : denied;
        const { agent } = await as(w, who);
        // the city's administrator names the district of a catalogue item
        const url =
          row.route === '/admin/users/:id/active'
            ? `/admin/users/${w.b.userId}/active`
            : row.url(w.b.objects) + (who === 'city' && row.route.startsWith('/admin/catalog/') ? `?d=${DISTRICT_B.code}` : '');
        const status = await sendRow(agent, row, url);
        const e = expected(row, who, role);
        results.push(`${who}: ${e === 'through' ? (status === 403 || status === 404 || status >= 500 ? `blocked ${status}` : 'through') : status}`);
        want.push(`${who}: ${e}`);
      }
      expect(results).toEqual(want);
    });
  }
});

describe('district matrix: lists, counts and exports', () => {
  /** Pages that list what a user may see, and B's words each must not show to A's users. */
  const LISTS: Array<{ url: string; marks: string[]; roles: Array<'admin' | 'staff'>; cityShows: boolean }> = [
    { url: '/admin/cases', marks: ['trackingNo', B_MARKS.content], roles: ['admin', 'staff'], cityShows: true },
    { url: '/admin/cases.csv', marks: ['trackingNo', B_MARKS.content], roles: ['admin', 'staff'], cityShows: true },
    { url: '/admin', marks: [DISTRICT_B.villageName], roles: ['admin', 'staff'], cityShows: true },
    { url: '/admin/places', marks: [DISTRICT_B.townName, DISTRICT_B.villageName], roles: ['admin', 'staff'], cityShows: true },
    { url: '/admin/plates', marks: [DISTRICT_B.townName, DISTRICT_B.villageName], roles: ['admin', 'staff'], cityShows: true },
    { url: '/admin/users', marks: [B_MARKS.user], roles: ['admin'], cityShows: true },
    { url: '/admin/audit', marks: [B_MARKS.user], roles: ['admin'], cityShows: true },
    { url: '/admin/templates', marks: [B_MARKS.template, B_MARKS.districtTemplate], roles: ['admin', 'staff'], cityShows: true },
    { url: '/admin/apikeys', marks: [B_MARKS.apiKey], roles: ['admin'], cityShows: true },
    // a channel's address is shown masked: its place's name is what shows
    { url: '/admin/channels', marks: [DISTRICT_B.townName], roles: ['admin', 'staff'], cityShows: true },
    { url: '/admin/notifications', marks: ['139****8801'], roles: ['admin', 'staff'], cityShows: true },
    { url: '/admin/catalog', marks: ['尼山矩阵专项事项'], roles: ['admin'], cityShows: false },
    { url: '/admin/catalog?d=370881', marks: ['尼山矩阵专项事项'], roles: ['admin'], cityShows: true },
    { url: '/admin/data/households/export.csv', marks: [B_MARKS.household], roles: ['admin', 'staff'], cityShows: true },
    { url: '/admin/data/cadres/export.csv', marks: [B_MARKS.cadre], roles: ['admin', 'staff'], cityShows: true },
    { url: '/admin/data/places/export.csv', marks: [DISTRICT_B.villageName], roles: ['admin'], cityShows: true },
  ];

  it('never show B to A’s administrator or staff; the city administrator sees both', async () => {
    const w = await city();
    // a signed-in B user leaves a line in the audit log
    await signIn(w.app, B_MARKS.user);
    const marks = (l: (typeof LISTS)[number]) => l.marks.map((m) => (m === 'trackingNo' ? w.b.trackingNo : m));
    const leaks: string[] = [];
    const cityMisses: string[] = [];
    const users = { adminA: await as(w, 'adminA'), staffA: await as(w, 'staffA'), city: await as(w, 'city') };
    for (const l of LISTS) {
      for (const who of ['adminA', 'staffA'] as const) {
        const { agent, role } = users[who];
        if (!l.roles.includes(role as 'admin' | 'staff')) continue;
        const res = await agent.get(l.url);
        expect(res.status, `${who} ${l.url}`).toBeLessThan(500);
        const body = res.text ?? String(res.body);
        for (const m of marks(l)) if (body.includes(m)) leaks.push(`${who} ${l.url}: ${m}`);
      }
      if (l.cityShows) {
        const res = await users.city.agent.get(l.url);
        const body = res.text ?? String(res.body);
        for (const m of marks(l)) if (!body.includes(m)) cityMisses.push(`${l.url}: ${m}`);
      }
    }
    expect(leaks).toEqual([]);
    expect(cityMisses).toEqual([]);
  });

  it('the dashboard: the city administrator sees a row per district above the figures; a district administrator only their own', async () => {
    const w = await city();
    // B's case is past its first-response deadline (not yet marked overdue by the job)
    await w.sql.run("UPDATE cases SET first_response_due = '2026-01-05T00:00:00.000Z' WHERE id = ?", w.b.objects.caseId);
    const cityPage = (await (await as(w, 'city')).agent.get('/admin').expect(200)).text;
    const table = cityPage.slice(cityPage.indexOf('id="districts"'), cityPage.indexOf('</table>', cityPage.indexOf('id="districts"')));
    expect(cityPage.indexOf('id="districts"')).toBeGreaterThan(-1);
    expect(cityPage.indexOf('id="districts"')).toBeLessThan(cityPage.indexOf('class="kpis"'));
    expect(cityPage).toContain('全市合计');
    const rows = [...table.matchAll(/<tr><th scope="row"[^>]*>([^<]+)<\/th>((?:<td[^>]*>[^<]*<\/td>)+)<\/tr>/g)].map((m) => [
      m[1],
      ...[...m[2]!.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1]),
    ]);
    expect(rows.map((r) => r[0])).toEqual(['兖州区', DISTRICT_B.name]);
    // B: its one case, filed today, open, overdue, not yet answered or resolved
    expect(rows[1]).toEqual([DISTRICT_B.name, '1', '1', '0', '1', '暂无', '0']);
    // A: the demo's figures, which are the city's less B's
    const aOpen = Number(await w.sql.value("SELECT count(*) FROM cases WHERE state IN ('submitted', 'accepted', 'in_progress')")) - 1;
    expect(rows[0]![2]).toBe(String(aOpen));
    for (const who of ['adminA', 'adminB', 'staffB'] as const) {
      const page = (await (await as(w, who)).agent.get('/admin').expect(200)).text;
      expect(page, who).not.toContain('id="districts"');
    }
    // B's administrator: B's figures only
    const bPage = (await (await as(w, 'adminB')).agent.get('/admin').expect(200)).text;
    expect(bPage).toContain(DISTRICT_B.villageName);
    expect(bPage).not.toContain('兖州区');
  });

  it.runIf(!onPostgres)('a city of one district has no city table', async () => {
    const w = await oneDistrictApp();
    const u = await w.services.staff.createUser({
      username: 'onecity',
      displayName: '市级',
      password: 'correct-horse-battery',
      role: 'admin',
      districtId: null,
    });
    void u;
    const page = (await (await signIn(w.app, 'onecity')).get('/admin').expect(200)).text;
    expect(page).not.toContain('id="districts"');
  });
});

describe('district matrix: resident pages, QR images, photos and Open311', () => {
  it('B’s QR image and case photo are not there for A’s staff', async () => {
    const w = await city();
    for (const who of ['adminA', 'staffA'] as const) {
      const { agent } = await as(w, who);
      await agent.get(`/qr/${w.b.objects.plateToken}.svg`).expect(404);
      await agent.get(`/admin/cases/${w.b.objects.caseId}/photos/${w.b.objects.photoId}`).expect(404);
    }
    const { agent } = await as(w, 'city');
    await agent.get(`/qr/${w.b.objects.plateToken}.svg`).expect(200);
    await agent.get(`/admin/cases/${w.b.objects.caseId}/photos/${w.b.objects.photoId}`).expect(200);
  });

  it('an A key’s Open311 GET requests do not return B’s cases', async () => {
    const w = await city();
    const a = await w.services.open311.createKey('兖州密钥', null, w.b.aId);
    const list = await request(w.app).get('/open311/v2/requests.json').query({ api_key: a.key }).expect(200);
    expect((list.body as Array<{ service_request_id: string }>).map((r) => r.service_request_id)).not.toContain(w.b.trackingNo);
    expect((await request(w.app).get('/open311/v2/requests.json').query({ api_key: a.key, service_request_id: w.b.trackingNo })).body).toEqual([]);
    expect((await request(w.app).get(`/open311/v2/requests/${w.b.trackingNo}.json`).query({ api_key: a.key })).status).toBe(404);
    // B's key sees B's case
    const own = await request(w.app).get('/open311/v2/requests.json').query({ api_key: w.b.apiKey }).expect(200);
    expect((own.body as Array<{ service_request_id: string }>).map((r) => r.service_request_id)).toContain(w.b.trackingNo);
  });

  it('catalogue search from a plate of B never returns A’s items', async () => {
    const w = await city();
    // an item only A has
    const aOnly = (await w.sql.get<{ code: string; name: string }>(
      "SELECT code, name FROM catalog_items WHERE district_id = ? AND published = 1 AND name LIKE '%登记%' AND name NOT IN (SELECT name FROM catalog_items WHERE district_id = ?) ORDER BY id LIMIT 1",
      w.b.aId,
      w.b.bId,
    ))!;
    const resident = agentFor(w.app);
    await resident.get(`/p/${w.b.objects.plateToken}`).expect(200);
    const fromB = (await resident.get('/services').query({ q: aOnly.name }).expect(200)).text;
    expect(fromB).not.toContain(`/services/${aOnly.code}`);
    const own = (await resident.get('/services').query({ q: '尼山矩阵专项' }).expect(200)).text;
    expect(own).toContain(`/services/${w.b.objects.catalogCode}`);
    const named = (await request(w.app).get('/services').query({ d: DISTRICT_B.code, q: aOnly.name }).expect(200)).text;
    expect(named).not.toContain(`/services/${aOnly.code}`);
    // A's own search finds it (the item is there to be found)
    expect((await request(w.app).get('/services').query({ d: '370812', q: aOnly.name }).expect(200)).text).toContain(`/services/${aOnly.code}`);
    // nothing says which district: the chooser
    const bare = (await request(w.app).get('/services').expect(200)).text;
    expect(bare).toContain('/services?d=370812');
    expect(bare).toContain(`/services?d=${DISTRICT_B.code}`);
  });
});
