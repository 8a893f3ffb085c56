/**
 * npm run screenshots: a PNG of every resident and back-office page, at phone (375×667) and desktop
 * (1280×800) sizes, into screenshots/ (or SCREENSHOT_DIR), so the look can be reviewed without
 * running the journey. Needs Debian's chromium (CHROMIUM_PATH to use another).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { chromium, type Page } from 'playwright-core';
import { createApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { migrate, openDb } from '../src/db/index.js';
import { seedDemo } from '../src/features/seed/service.js';
import { createServices } from '../src/services.js';

const OUT = path.resolve(process.env.SCREENSHOT_DIR ?? 'screenshots');
/** The README's tour: what a screen shows without scrolling, kept in the repository. */
const DOCS = path.resolve('docs', 'screenshots');
const TOUR = new Set([
  'phone-household',
  'phone-household-elder',
  'phone-services-search',
  'phone-receipt',
  'phone-track-resolved',
  'phone-admin-case',
  'desktop-admin-dashboard',
]);
const PASSWORD = 'screenshots-password';

async function main(): Promise<void> {
  const db = openDb(':memory:');
  migrate(db);
  const services = createServices(db, testConfig({ dataDir: path.join(OUT, '.data') }));
  await seedDemo(services, { tokenKey: 'screenshots' });
  await services.staff.createUser({ username: 'admin', displayName: '县级管理员', password: PASSWORD, role: 'admin' });
  const household = db
    .prepare(
      "SELECT p.token, h.id, v.id AS villageId, v.code FROM plates p JOIN households h ON h.id = p.household_id JOIN villages v ON v.id = h.village_id WHERE v.name = '史村' AND p.status = 'active' ORDER BY h.id LIMIT 1",
    )
    .get() as { token: string; id: number; villageId: number; code: string };
  const villageToken = db.prepare("SELECT token FROM plates WHERE kind = 'village' AND village_id = ?").pluck().get(household.villageId) as string;
  const plate = await services.places.plateByToken(household.token);
  const item = (await services.catalog.applicableItem(
    plate.districtId,
    db.prepare("SELECT code FROM catalog_items WHERE name = '老年人优待证申领'").pluck().get() as string,
  ))!;
  const filed: Array<Awaited<ReturnType<typeof services.cases.submit>>> = [];
  for (const c of [
    { kind: 'apply' as const, category: null, item, content: '我今年七十岁了，想办老年人优待证。' },
    { kind: 'speak' as const, category: 'complaint' as const, item: null, content: '村西头的路灯坏了两个星期了，晚上出门很不方便。' },
    { kind: 'help' as const, category: null, item: null, content: '想问问高龄津贴什么时候发。' },
  ]) {
    filed.push(
      await services.cases.submit({
        kind: c.kind,
        category: c.category,
        item: c.item ? { id: c.item.id, promisedLimit: c.item.promisedLimit, promisedLimitUnit: c.item.promisedLimitUnit } : null,
        villageId: plate.villageId,
        householdId: plate.householdId,
        plateId: plate.plateId,
        name: '史玉兰',
        phone: '13712345678',
        anonymous: false,
        content: c.content,
        callbackTime: 'morning',
        idempotencyKey: null,
        photos: [],
      }),
    );
  }
  const firstCaseId = db.prepare('SELECT id FROM cases ORDER BY id LIMIT 1').pluck().get() as number;
  // The third case answered and resolved by its cadre, as the villager then sees it (问题解决了吗？).
  const office = (await services.staff.sessionUser((await services.staff.findUser('admin'))!.id))!;
  const third = db.prepare('SELECT id FROM cases WHERE token = ?').pluck().get(filed[2]!.token) as number;
  await services.caseOffice.acceptAndResolve({
    user: office,
    caseId: third,
    version: 1,
    text: '高龄津贴每月 10 日前发到社保卡上，本月已发。',
    ip: '127.0.0.1',
  });

  const app = createApp(services, { logger: pino({ level: 'silent' }) });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--lang=zh-CN',
    ],
  });
  fs.mkdirSync(OUT, { recursive: true });
  fs.mkdirSync(DOCS, { recursive: true });
  // 曲阜市, the demo's second district: its notice-board plate (visited last, so the others are 兖州区's)
  const qufuVillage = db
    .prepare("SELECT p.token FROM plates p JOIN villages v ON v.id = p.village_id WHERE v.code LIKE '370881%' AND p.kind = 'village' ORDER BY v.code LIMIT 1")
    .pluck()
    .get() as string;
  const resident = [
    // before any plate is scanned, with two districts: which district?
    ['services-choose-district', '/services'],
    ['household', `/p/${household.token}`],
    ['help', `/p/${household.token}/help`],
    ['village', `/v/${villageToken}`],
    ['services', '/services'],
    ['services-search', `/services?q=${encodeURIComponent('低保')}`],
    ['item', `/services/${item.code}`],
    ['apply-pick', `/p/${household.token}/apply`],
    ['apply-form', `/p/${household.token}/apply?item=${item.code}`],
    ['speak-form', `/p/${household.token}/speak`],
    ['help-request', `/p/${household.token}/help/request`],
    ['receipt', `/track/${filed[0]!.token}?new=1`],
    ['track', `/track/${filed[1]!.token}`],
    ['track-resolved', `/track/${filed[2]!.token}#solved`],
    ['track-unsolved', `/track/${filed[2]!.token}?answer=unsolved`],
    ['lookup', '/track'],
    ['plate-not-found', '/p/AAAAAAAAAAAA'],
    ['qufu-village', `/v/${qufuVillage}`],
    ['qufu-services', '/services'],
  ] as const;
  const pages = [
    ['admin-dashboard', '/admin'],
    ['admin-inbox', '/admin/cases'],
    ['admin-case', `/admin/cases/${firstCaseId}`],
    ['admin-household-file', `/p/${household.token}`],
    ['admin-places', '/admin/places'],
    ['admin-households', `/admin/villages/${household.code}/households`],
    ['admin-cadres', `/admin/villages/${household.code}/cadres`],
    ['admin-reissue-confirm', `/admin/plates/households/${household.id}/reissue`],
    ['admin-plates', `/admin/plates/village/${household.code}`],
    ['admin-print-sheet', `/admin/plates/print?village=${household.code}&size=sticker`],
    ['admin-catalog', '/admin/catalog'],
    ['admin-catalog-item', `/admin/catalog/${item.code}`],
    ['admin-data', '/admin/data'],
    ['admin-templates', '/admin/templates'],
    ['admin-users', '/admin/users'],
    ['admin-calendar', '/admin/calendar?year=2026'],
    ['admin-audit', '/admin/audit'],
  ] as const;
  let n = 0;
  for (const [size, viewport] of [
    ['phone', { width: 375, height: 667 }],
    ['desktop', { width: 1280, height: 800 }],
  ] as const) {
    const ctx = await browser.newContext({ viewport, baseURL: base, locale: 'zh-CN', isMobile: size === 'phone', hasTouch: size === 'phone' });
    const page = await ctx.newPage();
    const tour = async (name: string, p: Page) => {
      if (TOUR.has(`${size}-${name}`)) await p.screenshot({ path: path.join(DOCS, `${size}-${name}.png`), fullPage: false });
    };
    const shoot = async (name: string, url: string, p: Page = page) => {
      await p.goto(url);
      await p.screenshot({ path: path.join(OUT, `${size}-${name}.png`), fullPage: true });
      await tour(name, p);
      n++;
    };
    for (const [name, url] of resident) await shoot(name, url);
    await page.goto(`/mode?elder=1&back=${encodeURIComponent(`/p/${household.token}`)}`);
    await page.screenshot({ path: path.join(OUT, `${size}-household-elder.png`), fullPage: true });
    await tour('household-elder', page);
    await page.goto('/mode?elder=0&back=/services');
    await shoot('admin-login', '/admin/login');
    await page.getByLabel('用户名').fill('admin');
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    for (const [name, url] of pages) await shoot(name, url);
    await ctx.close();
  }
  await browser.close();
  await new Promise((r) => server.close(r));
  fs.rmSync(path.join(OUT, '.data'), { recursive: true, force: true });
  console.log(`${n + 2} screenshots in ${OUT}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
