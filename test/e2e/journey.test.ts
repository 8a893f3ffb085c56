import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aUser } from '../helpers/staff.js';
import { decodeQrPng } from '../helpers/qr.js';
import { readPlates, renderPdfPage } from '../helpers/pdf.js';
import { SIZES, plateCode } from '../../src/features/plates/sizes.js';
import { jpegWithGps } from '../helpers/images.js';
import { acceptReplyResolve, expectAccessible, PHONE, signInAs, snap, startStack } from './browser.js';

describe('the whole journey: a new village from a spreadsheet to a rated answer', () => {
  it('import → print → scan → apply with a photo → a cadre answers on a phone → the villager rates → the dashboard shows it', async () => {
    const stack = await startStack();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-journey-'));
    try {
      const { services, db } = stack;
      const admin = await aUser(services, { role: 'admin', username: 'county-admin' });
      const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }], username: 'yandian-staff' });
      const office = await stack.browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: stack.baseUrl, locale: 'zh-CN' });
      const desk = await office.newPage();

      // 1. The county adds the village; township staff load its households from a CSV and add its cadre.
      await signInAs(desk, admin.username);
      await desk.goto('/admin/places');
      await expectAccessible(desk);
      await desk.getByLabel(/12 位村居代码/).fill('370812103295');
      await desk.locator('#nv-name').fill('试点新村');
      await desk.locator('form[action="/admin/places/villages"] button').click();
      await desk.getByRole('button', { name: /退出/ }).click();

      await signInAs(desk, staff.username);
      await desk.goto('/admin/data');
      await expectAccessible(desk);
      const csv = path.join(dir, '试点新村.csv');
      fs.writeFileSync(
        csv,
        '\uFEFF村居代码,门牌地址,户联系人,联系电话,备注\r\n' + Array.from({ length: 6 }, (_, i) => `370812103295,幸福路${i + 1}号,住户${i + 1},,`).join('\r\n'),
      );
      await desk.setInputFiles('#file-households', csv);
      await desk.locator('form[action="/admin/data/households/preview"] button').click();
      await expect(desk.locator('#errors').textContent()).resolves.toContain('新增 6');
      await expectAccessible(desk);
      await desk.getByRole('button', { name: /确认导入/ }).click();
      await expect(desk.locator('.notice').textContent()).resolves.toContain('新增 6');

      await desk.goto('/admin/villages/370812103295/cadres');
      await desk.locator('#cd-name').fill('王守信');
      await desk.locator('#cd-phone').fill('19900009500');
      await desk.locator('#cd-role').selectOption('party_secretary');
      await desk.locator('form.stack button').click();
      await expectAccessible(desk);
      const cadreId = db.prepare("SELECT id FROM cadres WHERE phone = '19900009500'").pluck().get() as number;
      const cadre = await aUser(services, { role: 'cadre', cadreId, username: 'wang-shouxin' });

      // 2. Staff print the village's plates as a PDF; the rendered page is read as a person reads it
      //    (village, door address, plate code) and the first plate's QR is scanned.
      await desk.goto('/admin/plates/village/370812103295');
      await expectAccessible(desk);
      const pdf = await desk.request.get('/admin/plates.pdf?village=370812103295&size=plate');
      const png = renderPdfPage(await pdf.body(), 1, 200);
      fs.writeFileSync(path.join(dir, 'plates-page1.png'), png);
      const [first, second] = await readPlates(png, SIZES.plate, 200);
      const plateIds = db
        .prepare(
          "SELECT p.id FROM plates p JOIN villages v ON v.id = p.village_id WHERE v.code = '370812103295' AND p.kind = 'household' ORDER BY p.household_id",
        )
        .pluck()
        .all() as number[];
      for (const [read, n] of [
        [first!, 1],
        [second!, 2],
      ] as const) {
        expect(read.band).toContain('试点新村');
        expect(read.text).toContain(`幸福路${n}号`);
        expect(read.text).toContain(plateCode(plateIds[n - 1]!));
      }
      // The first plate is the top half of an A4 page at 200 dpi (1654 × 2339 px).
      const url = decodeQrPng(png, { x: 0, y: 0, width: 1654, height: 1169 });
      expect(url).toMatch(/\/p\/[A-Za-z0-9_-]{12}$/);
      await office.close();

      // 3. A villager scans it with a phone and applies for an item, with a photo.
      const phoneCtx = await stack.browser.newContext({ viewport: PHONE, baseURL: stack.baseUrl, locale: 'zh-CN', isMobile: true, hasTouch: true });
      const phone = await phoneCtx.newPage();
      await phone.goto(new URL(url!).pathname);
      await expect(phone.locator('h1').textContent()).resolves.toContain('试点新村 幸福路1号');
      await expectAccessible(phone);
      await phone.getByRole('link', { name: /码上办/ }).click();
      await expectAccessible(phone);
      // not among the staples on top: the villager asks the picker's search box in everyday words
      await phone.getByRole('searchbox').fill('老年证');
      await phone.getByRole('button', { name: '搜索' }).click();
      await phone.getByRole('link', { name: /老年人优待证申领/ }).click();
      await phone.getByLabel('您的姓名').fill('住户一');
      await phone.getByLabel('手机号').fill('13712345678');
      await phone.getByLabel('还有什么要说明的（可以不填）').fill('我今年七十岁了，想办老年人优待证。');
      await phone.getByLabel('上午').check();
      await phone.setInputFiles('#photos', { name: 'id.jpg', mimeType: 'image/jpeg', buffer: await jpegWithGps() });
      await expectAccessible(phone);
      await phone.getByRole('button', { name: '提交' }).click();
      // With a photo the form is sent by the page's script (shrunk, with progress), then opens the receipt.
      await phone.waitForURL(/\/track\/[A-Za-z0-9_-]{22}\?new=1/);
      await expect(phone.locator('h1').textContent()).resolves.toBe('提交成功');
      await expectAccessible(phone);
      const track = new URL((await phone.locator('.receipt a.break').getAttribute('href'))!, stack.baseUrl).pathname;

      // 4. The cadre answers from a phone-sized window.
      const cadreCtx = await stack.browser.newContext({ viewport: PHONE, baseURL: stack.baseUrl, locale: 'zh-CN', isMobile: true, hasTouch: true });
      const cp = await cadreCtx.newPage();
      await signInAs(cp, cadre.username);
      await cp.getByRole('link', { name: '事项办理' }).click();
      await expectAccessible(cp);
      await cp.locator('table.inbox a').first().click();
      await expect(cp.locator('.photos img').count()).resolves.toBe(1);
      await acceptReplyResolve(cp, '您好，明天上午我到您家帮您填表。', '优待证已办好，下周送到家。');
      await expectAccessible(cp);

      // 5. The villager reads the answer and rates it; the dashboard shows it.
      await phone.goto(track);
      await expect(phone.locator('.timeline').textContent()).resolves.toContain('明天上午我到您家帮您填表');
      await expect(phone.locator('#solved-title').textContent()).resolves.toBe('问题解决了吗？');
      await expectAccessible(phone);
      await snap(phone, 'journey-solved-question');
      await phone.getByRole('link', { name: '解决了，去评价' }).click();
      await phone.getByLabel('5 星 非常满意').check();
      await phone.getByRole('button', { name: '提交评价' }).click();
      await expect(phone.locator('#rated').textContent()).resolves.toContain('5 星');
      await expectAccessible(phone);
      await snap(phone, 'journey-rated');

      await cp.goto('/admin');
      await expect(cp.locator('.kpis').textContent()).resolves.toContain('5.0 / 5');
      await expect(cp.locator('table').textContent()).resolves.toContain('试点新村');
      await expectAccessible(cp);
      await phoneCtx.close();
      await cadreCtx.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await stack.close();
    }
  }, 180_000); // the whole journey, OCR of a plate page included, on a shared 2-core machine
});
