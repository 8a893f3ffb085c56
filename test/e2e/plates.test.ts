import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aHousehold } from '../helpers/builders.js';
import { aUser } from '../helpers/staff.js';
import { decodeQrPng } from '../helpers/qr.js';
import { expectAccessible, signInAs, snap, usePhone } from './browser.js';

describe('staff print a village’s plates, and every QR opens the right household', () => {
  const session = usePhone();

  it('from the browser: plates page, print sheet and PDF; the PDF rendered to an image scans to the household page', async () => {
    const { stack } = session;
    const code = stack.db.prepare("SELECT code FROM villages WHERE name = '史村'").pluck().get() as string;
    const staff = await aUser(stack.services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }], username: 'printer' });
    const ctx = await stack.browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: stack.baseUrl, locale: 'zh-CN' });
    const page = await ctx.newPage();
    try {
      await signInAs(page, staff.username);
      await page.goto('/admin/plates?q=史村');
      await expectAccessible(page);
      await page.getByRole('link', { name: /史村/ }).first().click();
      await expectAccessible(page);
      await snap(page, 'admin-plates-village');

      await page.goto(`/admin/plates/print?village=${code}&size=sticker`);
      await page.emulateMedia({ media: 'print' });
      await snap(page, 'plates-print-sticker');
      const sheets = await page.locator('.sheet').count();
      const plates = await page.locator('article.plate').count();
      const households = stack.db
        .prepare('SELECT count(*) FROM households h JOIN villages v ON v.id = h.village_id WHERE v.code = ?')
        .pluck()
        .get(code) as number;
      expect(plates).toBe(households);
      expect(sheets).toBe(Math.ceil(households / 8));
      const box = await page.locator('article.plate').first().boundingBox();
      expect(Math.round(box!.width)).toBe(Math.round((100 / 25.4) * 96)); // 100 mm at 96 px per inch
      await page.emulateMedia({ media: 'screen' });

      const pdf = await page.request.get(`/admin/plates.pdf?village=${code}&size=plate`);
      expect(pdf.status()).toBe(200);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-pdf-'));
      const file = path.join(dir, 'plates.pdf');
      fs.writeFileSync(file, await pdf.body());
      const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
      expect(Number(/Pages:\s+(\d+)/.exec(info)![1])).toBe(Math.ceil(households / 2));
      const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
      const addresses = stack.db
        .prepare('SELECT h.address FROM households h JOIN villages v ON v.id = h.village_id WHERE v.code = ?')
        .pluck()
        .all(code) as string[];
      for (const a of addresses) expect(text, a).toContain(a);
      expect(text).toContain('扫码办事');

      execFileSync('pdftoppm', ['-r', '150', '-f', '1', '-l', '1', '-png', file, path.join(dir, 'page')]);
      const png = fs.readFileSync(
        fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.png'))
          .map((f) => path.join(dir, f))[0]!,
      );
      fs.mkdirSync('screenshots', { recursive: true });
      fs.writeFileSync('screenshots/plates-pdf-page1.png', png);
      // The first plate is the top half of an A4 page at 150 dpi (1241 × 1754 px).
      const url = decodeQrPng(png, { x: 0, y: 0, width: 1241, height: 877 });
      const first = stack.db
        .prepare(
          "SELECT p.token, h.address FROM plates p JOIN households h ON h.id = p.household_id JOIN villages v ON v.id = h.village_id WHERE v.code = ? AND p.status = 'active' ORDER BY h.id LIMIT 1",
        )
        .get(code) as { token: string; address: string };
      expect(url).toBe(`${stack.services.config.publicBaseUrl}/p/${first.token}`);
      fs.rmSync(dir, { recursive: true, force: true });

      // Scanned with a phone, it opens that household's page.
      const phone = session.page;
      await phone.goto(new URL(url!).pathname);
      await expect(phone.locator('h1').textContent()).resolves.toContain(first.address);
    } finally {
      await ctx.close();
    }
  });

  it('the HTML print sheet never cuts an address: long ones shrink or wrap, and every character is inside the plate', async () => {
    const { stack } = session;
    const village = stack.db.prepare("SELECT id, code FROM villages WHERE name = '史村'").get() as { id: number; code: string };
    const longestDemo = stack.db.prepare('SELECT address FROM households ORDER BY length(address) DESC, id LIMIT 1').pluck().get() as string;
    const sibling = longestDemo.replace(/(\d)(\D*)$/, (_, d: string, rest: string) => `${(Number(d) + 1) % 10}${rest}`);
    const thirty = '道义社区幸福家园小区东区十二号楼三单元一五零二室东户西侧三间';
    expect([...thirty]).toHaveLength(30);
    const ids: number[] = [];
    for (const address of [longestDemo, sibling, thirty, '7号']) {
      const existing = stack.db.prepare('SELECT id FROM households WHERE village_id = ? AND address = ?').pluck().get(village.id, address) as
        number | undefined;
      ids.push(existing ?? (await aHousehold(stack.sql, { villageId: village.id, address })).id);
    }
    const staff = await aUser(stack.services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }], username: 'sheet-printer' });
    const ctx = await stack.browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: stack.baseUrl, locale: 'zh-CN' });
    const page = await ctx.newPage();
    try {
      await signInAs(page, staff.username);
      for (const size of ['plate', 'sticker']) {
        await page.goto(`/admin/plates/print?households=${ids.join(',')}&size=${size}`);
        await page.emulateMedia({ media: 'print' });
        await snap(page, `plates-print-long-${size}`);
        // For each plate: the address as the browser laid it out, line by line, against the plate box.
        const plates = await page.locator('article.plate').evaluateAll((articles) =>
          articles.map((article) => {
            const addr = article.querySelector('.addr') as HTMLElement;
            const range = document.createRange();
            range.selectNodeContents(addr);
            const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0);
            const box = article.getBoundingClientRect();
            const qr = article.querySelector('.qr')!.getBoundingClientRect();
            const cap = article.querySelector('.cap')!.getBoundingClientRect();
            const style = getComputedStyle(addr);
            return {
              text: addr.textContent,
              lines: new Set(rects.map((r) => Math.round(r.top))).size,
              inside: rects.every((r) => r.left >= qr.right && r.right <= box.right + 0.5 && r.top >= box.top && r.bottom <= cap.top + 0.5),
              overflow: addr.scrollWidth > addr.clientWidth + 1,
              ellipsis: style.textOverflow === 'ellipsis',
              fontPx: parseFloat(style.fontSize),
            };
          }),
        );
        expect(plates.map((p) => p.text)).toEqual([longestDemo, sibling, thirty, '7号']);
        for (const p of plates) {
          expect(p.inside, `${size}: ${p.text}`).toBe(true);
          expect(p.overflow, `${size}: ${p.text}`).toBe(false);
          expect(p.ellipsis).toBe(false);
          expect(p.lines, `${size}: ${p.text}`).toBeLessThanOrEqual(2);
        }
        // Short addresses stay large on one line; the 30-character one wraps to two lines, still readable.
        expect(plates[3]!.lines).toBe(1);
        expect(plates[2]!.lines).toBe(2);
        expect(plates[2]!.fontPx).toBeGreaterThanOrEqual(plates[3]!.fontPx * 0.4);
        await page.emulateMedia({ media: 'screen' });
      }
    } finally {
      await ctx.close();
    }
  });
});
