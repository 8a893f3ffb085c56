import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aVillage } from '../helpers/builders.js';
import { manyCases } from '../helpers/cases.js';
import { aUser, signIn } from '../helpers/staff.js';
import type { Agent } from '../helpers/forms.js';

const idsOn = (html: string) => [...html.matchAll(/href="\/admin\/cases\/(\d+)"/g)].map((m) => Number(m[1]));
const nextOf = (html: string) => /href="(\/admin\/cases\?[^"]*after=[^"]+)" rel="next"/.exec(html)?.[1]?.replace(/&amp;/g, '&');

/** Every page of an inbox view, following its 下一页 links; the case ids in the order shown. */
async function walk(agent: Agent, url: string): Promise<{ ids: number[]; pages: string[] }> {
  const ids: number[] = [];
  const pages: string[] = [];
  for (let next: string | undefined = url; next;) {
    const res = await agent.get(next).expect(200);
    pages.push(res.text);
    ids.push(...idsOn(res.text));
    next = nextOf(res.text);
    expect(pages.length).toBeLessThan(100);
  }
  return { ids, pages };
}

describe('the inbox pages from where the last page ended', () => {
  it(
    'following 下一页 through the open tab and through 全部 shows every case once, in the inbox’s order, with the page number',
    { timeout: 60_000 },
    async () => {
      const { app, sql, database, services } = buildApp();
      const villageIds = await sql.column<number>('SELECT id FROM villages ORDER BY id');
      await manyCases(database, { n: 600, villageIds, minutesApart: 45 });
      // Deadlines shared by several cases: newest first among equals, none lost at a page's edge.
      await sql.run("UPDATE cases SET first_response_due = '2030-01-01T00:00:00.000Z' WHERE id % 7 = 0 AND state = 'submitted'");
      const admin = await signIn(app, (await aUser(services, { role: 'admin' })).username);

      const expected = (text: string) => sql.column<number>(text);
      const due = `CASE WHEN state NOT IN ('submitted', 'accepted', 'in_progress') THEN NULL WHEN first_responded_at IS NULL THEN first_response_due ELSE resolution_due END`;
      const open = await walk(admin, '/admin/cases');
      expect(open.ids).toEqual(
        await expected(`SELECT id FROM cases WHERE state IN ('submitted', 'accepted', 'in_progress') ORDER BY (${due}) IS NULL, (${due}), id DESC`),
      );
      expect(open.pages.length).toBeGreaterThan(1);
      expect(open.pages[1]).toContain(`第 2 页，共 ${open.pages.length} 页`);
      expect(open.pages[1]).toContain('‹ 第一页');
      expect(open.pages.at(-1)).not.toContain('下一页');

      const all = await walk(admin, '/admin/cases?state=all');
      expect(all.ids).toEqual(await expected(`SELECT id FROM cases ORDER BY (${due}) IS NULL, (${due}), id DESC`));
      expect(all.pages[0]).toContain('共 600 件');

      const closed = await walk(admin, '/admin/cases?state=closed&kind=help');
      expect(closed.ids).toEqual(await expected("SELECT id FROM cases WHERE state = 'closed' AND kind = 'help' ORDER BY id DESC"));
      expect(closed.pages[0]).toContain(`共 ${closed.ids.length} 件`);
    },
  );

  it('a cursor that was tampered with starts again at the first page; a cadre never pages into another village', async () => {
    const { app, sql, database, services } = buildApp();
    const villageIds = await sql.column<number>('SELECT id FROM villages ORDER BY id');
    await manyCases(database, { n: 300, villageIds });
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(app, staff.username);
    const mine = new Set(
      await sql.column<number>("SELECT c.id FROM cases c JOIN villages v ON v.id = c.village_id JOIN towns t ON t.id = v.town_id WHERE t.code = '370812103'"),
    );
    const seen = await walk(agent, '/admin/cases?state=all');
    expect(seen.ids.length).toBe(mine.size);
    for (const id of seen.ids) expect(mine.has(id)).toBe(true);
    const first = await agent.get('/admin/cases?after=x1%27%20OR%201').expect(200);
    expect(idsOn(first.text)).toEqual(idsOn((await agent.get('/admin/cases').expect(200)).text));
  });
});

describe('the village picker', () => {
  it('lists a township’s villages, and for a district of many villages is a search by name or code instead of a list of every village', async () => {
    const { app, sql, database, services } = buildApp();
    const towns = await sql.column<string>('SELECT code FROM towns ORDER BY code');
    for (let i = 0; i < 420; i++)
      await aVillage(sql, {
        townCode: towns[i % towns.length]!,
        code: `${towns[i % towns.length]!}${String(500 + Math.floor(i / towns.length)).padStart(3, '0')}`,
        name: `新建${i}村`,
      });
    const target = await aVillage(sql, { townCode: '370812103', code: '370812103999', name: '找得到村' });
    const villageIds = await sql.column<number>('SELECT id FROM villages ORDER BY id');
    await manyCases(database, { n: 200, villageIds: [target.id, ...villageIds.slice(0, 20)] });
    const admin = await signIn(app, (await aUser(services, { role: 'admin' })).username);

    const page = await admin.get('/admin/cases?state=all').expect(200);
    expect(page.text).not.toContain('<select name="village">');
    expect(page.text).toMatch(/<input name="vq" value=""/);
    expect(page.text.length).toBeLessThan(60_000);

    const byName = await admin.get('/admin/cases?state=all&vq=找得到').expect(200);
    const due = `CASE WHEN state NOT IN ('submitted', 'accepted', 'in_progress') THEN NULL WHEN first_responded_at IS NULL THEN first_response_due ELSE resolution_due END`;
    const inTarget = await sql.column<number>(`SELECT id FROM cases WHERE village_id = ? ORDER BY (${due}) IS NULL, (${due}), id DESC`, target.id);
    expect(inTarget.length).toBeGreaterThan(0);
    expect(idsOn(byName.text)).toEqual(inTarget.slice(0, 25));
    expect(byName.text).toContain(`共 ${inTarget.length} 件`);
    const byCode = await admin.get('/admin/cases?state=all&vq=370812103999').expect(200);
    expect(idsOn(byCode.text)).toEqual(inTarget.slice(0, 25));
    // The dashboard links to a village by its id: the search field then shows its name.
    const linked = await admin.get(`/admin/cases?state=all&village=${target.id}`).expect(200);
    expect(linked.text).toContain('value="找得到村"');
    expect(idsOn(linked.text)).toEqual(inTarget.slice(0, 25));
    const csv = await admin.get('/admin/cases.csv?state=all&vq=找得到').expect(200);
    expect(csv.text.trim().split('\n')).toHaveLength(inTarget.length + 1);

    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const township = await (await signIn(app, staff.username)).get('/admin/cases').expect(200);
    expect(township.text).toContain('<select name="village">');
    expect(township.text).toContain('找得到村');
    expect(township.text).not.toContain('新建0村');
  });
});
