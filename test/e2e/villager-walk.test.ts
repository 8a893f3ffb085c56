import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectAccessible, PHONE, snap, usePhone } from './browser.js';

/** What a villager does after scanning the door plate: ask 码上查 in their own words, read a guide, pick an item in 码上办. */
async function setElder(page: Page, on: boolean) {
  await page.goto(`/mode?elder=${on ? 1 : 0}&back=/services`);
}

/** The page as the phone shows it, one screen at a time (a tall full-page image is hard to read). */
async function snapScreens(page: Page, name: string, screens = 2) {
  await snap(page, name);
  const height = await pageHeight(page);
  for (let i = 0; i < screens && i * PHONE.height < height; i++) {
    await page.screenshot({
      path: `screenshots/${name}-${i + 1}.png`,
      fullPage: true,
      clip: { x: 0, y: i * PHONE.height, width: PHONE.width, height: Math.min(PHONE.height, height - i * PHONE.height) },
    });
  }
}

const pageHeight = (page: Page) => page.evaluate(() => document.documentElement.scrollHeight);
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('a villager’s walk, on a 375×667 phone', () => {
  const session = usePhone();

  for (const elder of [false, true]) {
    const mode = elder ? 'elder' : 'standard';

    it(`${mode}: asking 「怎么办低保」 finds 最低生活保障 first, and its guide says where to go on the first screen`, async () => {
      const { page, token } = session;
      await page.goto(`/p/${token}`);
      await setElder(page, elder);
      await page.goto('/services');
      await page.getByRole('searchbox').fill('我想问一下怎么办低保呀');
      await page.getByRole('button', { name: '搜索' }).click();
      expect((await page.locator('ul.items li b').allTextContents())[0]).toBe('最低生活保障');
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await expectAccessible(page);
      await snapScreens(page, `walk-search-question-${mode}`);

      await page
        .getByRole('link', { name: /最低生活保障/ })
        .first()
        .click();
      const where = page.locator('#s-place');
      await expect(where.textContent()).resolves.toBe('在哪办、什么时间');
      const box = await where.boundingBox();
      // the heading of 在哪办 shows without scrolling in standard mode, and within two screens in 长辈版
      expect(box!.y).toBeLessThan(PHONE.height * (elder ? 2 : 1));
      await expect(page.locator('.where').textContent()).resolves.toMatch(/(镇|街道)便民服务中心/);
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await expectAccessible(page);
      await snapScreens(page, `walk-guide-${mode}`);
    });

    it(`${mode}: when nothing is found, the villager can ask a person: 码上说, 码上帮 and 12345`, async () => {
      const { page } = session;
      await page.goto('/services?q=火星移民');
      await expect(page.locator('main').getByRole('link', { name: /12345/ }).getAttribute('href')).resolves.toBe('tel:12345');
      await expect(page.getByRole('link', { name: /码上说/ }).isVisible()).resolves.toBe(true);
      await expect(page.getByRole('link', { name: /码上帮/ }).isVisible()).resolves.toBe(true);
      await expectAccessible(page);
      await snapScreens(page, `walk-no-results-${mode}`);
    });

    it(`${mode}: 码上查 shows the villager’s themes, business themes folded behind 企业办事`, async () => {
      const { page } = session;
      await page.goto('/services');
      await expect(page.getByRole('link', { name: /准营准办/ }).isVisible()).resolves.toBe(false);
      await page.locator('details.business summary').click();
      await expect(page.getByRole('link', { name: /准营准办/ }).isVisible()).resolves.toBe(true);
      await expectAccessible(page);
      await snapScreens(page, `walk-catalogue-${mode}`);
    });

    it(`${mode}: 码上办 starts with the staples, is short, and its search box works without JavaScript`, async () => {
      const { page, token } = session;
      await page.goto(`/p/${token}/apply`);
      const names = await page.locator('ul.items li b').evaluateAll((els) => els.filter((e) => e.getClientRects().length > 0).map((e) => e.textContent));
      expect(names[0]).toBe('最低生活保障');
      expect(names).toContain('80周岁以上老年人高龄津贴发放');
      // was 16 screens (22 in 长辈版)
      expect(await pageHeight(page)).toBeLessThan(PHONE.height * (elder ? 7 : 5));
      await expectAccessible(page);
      await snapScreens(page, `walk-picker-${mode}`, 5);
      await page.getByRole('searchbox').fill('高龄');
      await page.getByRole('button', { name: '搜索' }).click();
      expect((await page.locator('ul.items li b').allTextContents())[0]).toBe('80周岁以上老年人高龄津贴发放');
      await expectAccessible(page);
      await snapScreens(page, `walk-picker-search-${mode}`);
    });
  }
});
