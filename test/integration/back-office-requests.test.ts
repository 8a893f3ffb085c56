import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { createApp } from '../../src/app.js';
import { CROWD } from '../../src/http/yield.js';
import { TOUCH_EVERY_MS } from '../../src/http/session-store.js';
import { aUser, signIn } from '../helpers/staff.js';
import { aVillage } from '../helpers/builders.js';

const timed = async (send: () => Promise<unknown>) => {
  const t0 = performance.now();
  await send();
  return performance.now() - t0;
};

describe('villagers first: the back office waits while villagers’ requests are under way', () => {
  it(
    'with a villager’s request under way a back-office request waits until it is answered, up to its limit, and a villager’s page does not wait; with none, nothing waits',
    { timeout: 30_000 },
    async () => {
      const { services } = buildApp();
      const app = createApp(services, { backOfficeYieldMs: 300 });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const get = async (path: string) => {
        const t0 = performance.now();
        const res = await fetch(base + path);
        await res.text();
        expect(res.status).toBe(200);
        return performance.now() - t0;
      };
      /** A villager's form whose body is still coming: a request of theirs under way until it ends. */
      const villagerUnderWay = () => {
        const req = http.request(`${base}/track`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '1000' },
        });
        req.on('error', () => undefined);
        req.write('trackingNo=');
        return () => req.destroy();
      };
      try {
        // warm both paths (views compiled, the signing secret read)
        await get('/admin/login');
        await get('/services');
        // nobody else: an administrator's pages in quick succession do not wait
        for (let i = 0; i < 5; i++) expect(await get('/admin/login')).toBeLessThan(250);
        // the back office's own static files and monitors are not villagers
        expect(await get('/healthz')).toBeLessThan(250);
        let done = villagerUnderWay();
        await new Promise((r) => setTimeout(r, 50));
        expect(await get('/admin/login')).toBeGreaterThanOrEqual(300);
        expect(await get('/services')).toBeLessThan(250);
        // answered (here: gone) after 100 ms: the back office goes on then, not at its limit
        setTimeout(done, 100);
        const waited = await get('/admin/login');
        expect(waited).toBeGreaterThanOrEqual(80);
        expect(waited).toBeLessThan(250);
        expect(await get('/admin/login')).toBeLessThan(250);
        done = villagerUnderWay();
        done();
        await new Promise((r) => setTimeout(r, 250));
        expect(await get('/admin/login')).toBeLessThan(250);
        // a crowd: villagers' pages one after another on several connections, each answered at once
        // (none under way when the back office asks); it waits while the crowd lasts, not once it is gone
        let crowding = true;
        const crowd = Array.from({ length: CROWD }, async () => {
          while (crowding) await get('/services');
        });
        try {
          await new Promise((r) => setTimeout(r, 250));
          expect(await get('/admin/login')).toBeGreaterThanOrEqual(300);
        } finally {
          crowding = false;
          await Promise.all(crowd);
        }
        await new Promise((r) => setTimeout(r, 300));
        expect(await get('/admin/login')).toBeLessThan(250);
      } finally {
        server.close();
      }
    },
  );

  it('waits nowhere unless asked to outside production (the suite’s apps)', async () => {
    const { app } = buildApp();
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const req = http.request(`${base}/track`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '1000' } });
    req.on('error', () => undefined);
    req.write('trackingNo=');
    try {
      await new Promise((r) => setTimeout(r, 50));
      expect(await timed(() => request(app).get('/admin/login').expect(200))).toBeLessThan(250);
    } finally {
      req.destroy();
      server.close();
    }
  });
});

describe('what every back-office request costs', () => {
  it('a session’s stored expiry moves at most once a minute (TOUCH_EVERY_MS): reloading a page is no write; the session goes on', async () => {
    const { app, sql, services } = buildApp();
    const admin = await signIn(app, (await aUser(services, { role: 'admin' })).username);
    await admin.get('/admin').expect(200);
    const stored = async () => sql.all<{ sid: string; expires: number }>('SELECT sid, expires FROM sessions ORDER BY sid');
    const before = await stored();
    expect(before.length).toBe(1);
    for (let i = 0; i < 5; i++) await admin.get('/admin').expect(200);
    expect(await stored()).toEqual(before);
    // still signed in
    await admin.get('/admin/cases').expect(200);
    expect(TOUCH_EVERY_MS).toBe(60_000);
  });

  it('with a short idle time (MASHANG_IDLE_MINUTES=1) the stored expiry moves after a tenth of it: an active user is not signed out', async () => {
    const { app, sql, services } = buildApp({ config: { idleMinutes: 1 } });
    const admin = await signIn(app, (await aUser(services, { role: 'admin' })).username);
    await admin.get('/admin').expect(200);
    const expires = async () => Number(await sql.value('SELECT expires FROM sessions'));
    const first = await expires();
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      vi.setSystemTime(Date.now() + 3_000);
      await admin.get('/admin').expect(200);
      expect(await expires()).toBe(first);
      vi.setSystemTime(Date.now() + 4_000);
      await admin.get('/admin').expect(200);
      expect(await expires()).toBeGreaterThanOrEqual(first + 6_000);
      // active every 50 s for three minutes: still signed in (a minute-long interval would have lost it)
      for (let i = 0; i < 4; i++) {
        vi.setSystemTime(Date.now() + 50_000);
        await admin.get('/admin').expect(200);
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('an administrator’s villages (every one, for the demo’s city administrator) are read once and kept while the villages stay as they were: a village added is in their scope at the next request', async () => {
    const { sql, services } = buildApp();
    const { id } = await aUser(services, { role: 'admin' });
    const villages = async () => Number(await sql.value('SELECT count(*) FROM villages'));
    const first = (await services.staff.sessionUser(id))!.scope.villageIds.size;
    expect(first).toBe(await villages());
    expect((await services.staff.sessionUser(id))!.scope.villageIds.size).toBe(first);
    const added = await aVillage(sql);
    const user = (await services.staff.sessionUser(id))!;
    expect(user.scope.villageIds.size).toBe(first + 1);
    expect(user.scope.villageIds.has(added.id)).toBe(true);
    await sql.run('DELETE FROM plates WHERE village_id = ?', added.id);
    await sql.run('DELETE FROM villages WHERE id = ?', added.id);
    const after = (await services.staff.sessionUser(user.id))!;
    expect(after.scope.villageIds.has(added.id)).toBe(false);
  });
});
