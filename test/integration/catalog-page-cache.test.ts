import request, { type Response as TestResponse } from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aUser, signIn } from '../helpers/staff.js';
import { YANZHOU_VILLAGE_PLATE, yanzhouVillager } from '../helpers/resident.js';
import { ELDER_COOKIE, HOME_COOKIE } from '../../src/http/locals.js';
import { LISTS_KEPT } from '../../src/features/catalog/routes.js';

/** The nonce of a response's CSP, and the same page with its nonces blanked. */
const nonceOf = (res: TestResponse) => /'nonce-([0-9a-f]{32})'/.exec(String(res.headers['content-security-policy']))![1]!;
const blanked = (html: string) => html.replaceAll(/nonce="[0-9a-f]{32}"/g, 'nonce=""');
const names = (html: string) => [...html.matchAll(/<li><a href="\/services\/[^"]+"><b>([^<]+)<\/b>/g)].map((m) => m[1]);

/** An item of 兖州区's published catalogue whose name has 医保 in it (a search for 医保 lists it). */
async function yanzhouItem(sql: ReturnType<typeof buildApp>['sql']) {
  return (await sql.get<{ id: number; code: string; name: string }>(
    `SELECT i.id, i.code, i.name FROM catalog_items i JOIN districts d ON d.id = i.district_id
     WHERE d.code = '370812' AND i.published = 1 AND i.name LIKE '%医疗保险%' ORDER BY i.id LIMIT 1`,
  ))!;
}

describe('码上查 lists kept from an earlier request', () => {
  it('a list is rendered once; every request gets it with its own nonce, in its CSP and its page', async () => {
    const { app } = buildApp();
    const render = vi.spyOn(app, 'render');
    const lists: TestResponse[] = [];
    for (let i = 0; i < 3; i++) lists.push(await yanzhouVillager(app).get('/services').query({ q: '医保' }).expect(200));
    expect(render).toHaveBeenCalledTimes(1);
    const nonces = lists.map(nonceOf);
    expect(new Set(nonces).size).toBe(3);
    for (const [i, res] of lists.entries()) {
      expect(res.text).toContain(`<style nonce="${nonces[i]}">`);
      expect(res.text).not.toContain(nonces[(i + 1) % 3]);
      expect(res.text).toContain('<span class="district">兖州区</span>');
      expect(names(res.text).length).toBeGreaterThan(0);
      expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['vary']).toBe('Cookie');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toBeUndefined();
      expect(blanked(res.text)).toBe(blanked(lists[0]!.text));
    }
    // HEAD: the same headers, no body
    const head = await yanzhouVillager(app).head('/services').query({ q: '医保' }).expect(200);
    expect(head.headers['content-length']).toBe(lists[0]!.headers['content-length']);
    expect(head.text).toBeUndefined();
    // another query, another page, another theme filter: each rendered once, then kept
    for (let i = 0; i < 2; i++) {
      expect(names((await yanzhouVillager(app).get('/services').query({ q: '低保' }).expect(200)).text)[0]).toBe('最低生活保障');
      await yanzhouVillager(app).get('/services').query({ q: '医保', page: 2 }).expect(200);
      await yanzhouVillager(app).get('/services').query({ theme: '085' }).expect(200);
    }
    expect(render).toHaveBeenCalledTimes(4);
  });

  it('an item edited, unpublished or published shows on the very next search', async () => {
    const { app, sql, services } = buildApp();
    const item = await yanzhouItem(sql);
    const search = async () => (await yanzhouVillager(app).get('/services').query({ q: item.name }).expect(200)).text;
    const render = vi.spyOn(app, 'render');
    expect(names(await search())).toContain(item.name);
    expect(names(await search())).toContain(item.name);
    expect(render).toHaveBeenCalledTimes(1);
    // written beneath the app, as another instance or the command line would
    await sql.run('UPDATE catalog_items SET department = ? WHERE id = ?', '新名字的部门', item.id);
    expect(await search()).toContain('新名字的部门');
    expect(render).toHaveBeenCalledTimes(2);
    await sql.run('UPDATE catalog_items SET published = 0 WHERE id = ?', item.id);
    expect(names(await search())).not.toContain(item.name);
    await sql.run('UPDATE catalog_items SET published = 1 WHERE id = ?', item.id);
    expect(names(await search())).toContain(item.name);
    expect(render).toHaveBeenCalledTimes(4);
    // through the service, as the back office's editor saves it
    const districtId = (await sql.value<number>("SELECT id FROM districts WHERE code = '370812'"))!;
    const [editable] = await services.catalog.editableItems(districtId, [item.code]);
    await services.catalog.saveItems(districtId, [{ ...editable!, department: '编辑器改的部门' }]);
    const edited = await search();
    expect(edited).toContain('编辑器改的部门');
    expect(edited).not.toContain('新名字的部门');
    expect(render).toHaveBeenCalledTimes(5);
  });

  it('elder mode, the plate the phone came from, ?d=: each its own page; a changed district shows on the next request', async () => {
    const { app, sql } = buildApp();
    const qufuPlate = await sql.value<string>(
      "SELECT p.token FROM plates p JOIN villages v ON v.id = p.village_id WHERE v.code LIKE '370881%' AND p.kind = 'village' AND p.status = 'active' ORDER BY v.code LIMIT 1",
    );
    const qufu = () => request.agent(app).set('Cookie', `${HOME_COOKIE}=${encodeURIComponent(`/v/${qufuPlate}`)}`);
    const render = vi.spyOn(app, 'render');
    for (let i = 0; i < 2; i++) {
      const a = await yanzhouVillager(app).get('/services').query({ q: '医保' }).expect(200);
      expect(a.text).toContain('<span class="district">兖州区</span>');
      expect(a.text).toContain(`<a class="back" href="${YANZHOU_VILLAGE_PLATE}">`);
      expect(a.text).not.toContain('class="elder"');
      const elder = await yanzhouVillager(app)
        .get('/services')
        .query({ q: '医保' })
        .set('Cookie', `${ELDER_COOKIE}=1; ${HOME_COOKIE}=${encodeURIComponent(YANZHOU_VILLAGE_PLATE)}`)
        .expect(200);
      expect(elder.text).toContain('<html lang="zh-CN" class="elder">');
      expect(elder.text).toContain('<span class="district">兖州区</span>');
      // the same address from a phone that came from a plate of 曲阜市: 曲阜市's list, its own link back
      const b = await qufu().get('/services').query({ q: '医保' }).expect(200);
      expect(b.text).toContain('<span class="district">曲阜市</span>');
      expect(b.text).toContain(`<a class="back" href="/v/${qufuPlate}">`);
      expect(b.text).not.toContain('兖州区');
      // ?d= names the district whatever the plate; no plate at all: the page that asks
      const named = await qufu().get('/services').query({ d: '370812', q: '医保' }).expect(200);
      expect(named.text).toContain('<span class="district">兖州区</span>');
      expect(named.text).toContain('name="d" value="370812"');
      expect((await request(app).get('/services').query({ q: '医保' }).expect(200)).text).toContain('您在哪个区县办事');
    }
    // four lists, and the page that asks (not kept) twice
    expect(render).toHaveBeenCalledTimes(6);
    await sql.run("UPDATE districts SET hotline = '0537-99999' WHERE code = '370881'");
    const after = await qufu().get('/services').query({ q: '医保' }).expect(200);
    expect(after.text).toContain('0537-99999');
    // the plate the phone came from replaced: its district no longer says which, the page asks
    await sql.run("UPDATE plates SET status = 'replaced' WHERE token = ?", qufuPlate);
    expect((await qufu().get('/services').query({ q: '医保' }).expect(200)).text).toContain('您在哪个区县办事');
  });

  it('a signed-in user gets the list rendered afresh, and it is not kept for anyone else', async () => {
    const { app, services } = buildApp();
    const user = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, user.username);
    const render = vi.spyOn(app, 'render');
    await agent.get('/services').query({ d: '370812', q: '医保' }).expect(200);
    await agent.get('/services').query({ d: '370812', q: '医保' }).expect(200);
    expect(render).toHaveBeenCalledTimes(2);
    await request(app).get('/services').query({ d: '370812', q: '医保' }).expect(200);
    await request(app).get('/services').query({ d: '370812', q: '医保' }).expect(200);
    expect(render).toHaveBeenCalledTimes(3);
    // a session cookie goes to the route, which may answer with the kept (public) page
    await agent.get('/services').query({ d: '370812', q: '医保' }).expect(200);
    expect(render).toHaveBeenCalledTimes(4);
  });

  it('at most LISTS_KEPT pages are kept, the least recently used dropped first; U+0000 is still refused', async () => {
    const { app } = buildApp();
    const render = vi.spyOn(app, 'render');
    await request(app).get('/services').query({ d: '370812', q: '第一个' }).expect(200);
    for (let i = 0; i < LISTS_KEPT; i++)
      await request(app)
        .get('/services')
        .query({ d: '370812', q: `问题${i}` })
        .expect(200);
    expect(render).toHaveBeenCalledTimes(LISTS_KEPT + 1);
    // the first one was dropped: rendered again; the latest is still kept
    await request(app).get('/services').query({ d: '370812', q: '第一个' }).expect(200);
    await request(app)
      .get('/services')
      .query({ d: '370812', q: `问题${LISTS_KEPT - 1}` })
      .expect(200);
    expect(render).toHaveBeenCalledTimes(LISTS_KEPT + 2);
    await request(app).get('/services?d=370812&q=%00').expect(400);
  });
});
