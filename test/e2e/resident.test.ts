import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectAccessible, snap, usePhone } from './browser.js';

/** Page objects: what a villager sees and taps. */
class LandingPage {
  constructor(readonly page: Page) {}
  static async open(page: Page, token: string) {
    await page.goto(`/p/${token}`);
    return new LandingPage(page);
  }
  tile(name: string) {
    return this.page.getByRole('link', { name: new RegExp(name) });
  }
}

class CataloguePage {
  constructor(readonly page: Page) {}
  async search(q: string) {
    await this.page.getByRole('searchbox').fill(q);
    await this.page.getByRole('button', { name: '搜索' }).click();
  }
  results() {
    return this.page.locator('ul.items li b').allTextContents();
  }
}

describe('resident pages on a 375×667 phone', () => {
  const session = usePhone();

  it('household page: place, four tiles, accessible, nothing wider than the screen', async () => {
    const landing = await LandingPage.open(session.page, session.token);
    for (const name of ['码上帮', '码上查', '码上办', '码上说']) await expect(landing.tile(name).isVisible()).resolves.toBe(true);
    const overflow = await session.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const tileBox = await landing.tile('码上帮').boundingBox();
    expect(tileBox!.height).toBeGreaterThanOrEqual(48);
    await expectAccessible(session.page);
    await snap(session.page, 'household');
  });

  it('码上帮: cadres with call buttons of at least 48px', async () => {
    const landing = await LandingPage.open(session.page, session.token);
    await landing.tile('码上帮').click();
    await expect(session.page.locator('h1').textContent()).resolves.toContain('码上帮');
    const call = session.page.locator('a.call').first();
    expect(await call.getAttribute('href')).toMatch(/^tel:1990000\d{4}$/);
    expect((await call.boundingBox())!.height).toBeGreaterThanOrEqual(48);
    await expectAccessible(session.page);
    await snap(session.page, 'help');
  });

  it('码上查: 低保 finds 最低生活保障 first, and its guide opens', async () => {
    const landing = await LandingPage.open(session.page, session.token);
    await landing.tile('码上查').click();
    await expectAccessible(session.page);
    await snap(session.page, 'services');
    const catalogue = new CataloguePage(session.page);
    await catalogue.search('低保');
    expect((await catalogue.results())[0]).toBe('最低生活保障');
    await expectAccessible(session.page);
    await snap(session.page, 'services-search');
    await session.page
      .getByRole('link', { name: /最低生活保障/ })
      .first()
      .click();
    await expect(session.page.locator('h1').textContent()).resolves.toBe('最低生活保障');
    await expect(session.page.getByRole('link', { name: '码上办 · 在线申请' }).getAttribute('href')).resolves.toContain(`/p/${session.token}/apply?item=`);
    await expectAccessible(session.page);
    await snap(session.page, 'item');
  });

  it('the 长辈版 switch makes text and targets larger, and is remembered', async () => {
    await LandingPage.open(session.page, session.token);
    const before = await session.page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    await session.page.getByRole('link', { name: /长辈版/ }).click();
    expect(session.page.url()).toContain(`/p/${session.token}`);
    const after = await session.page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    expect(before).toBeGreaterThanOrEqual(18);
    expect(after).toBeGreaterThanOrEqual(24);
    const heights = await session.page.locator('a.tile, a.mode').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
    for (const h of heights) expect(h).toBeGreaterThanOrEqual(60);
    await expectAccessible(session.page);
    await snap(session.page, 'household-elder');
    await session.page.goto('/services');
    expect(await session.page.evaluate(() => document.documentElement.className)).toBe('elder');
    await session.page.getByRole('link', { name: /标准版/ }).click();
    expect(await session.page.evaluate(() => document.documentElement.className)).toBe('');
  });

  it('unknown plate: helpful session.page, accessible', async () => {
    const res = await session.page.goto('/p/AAAAAAAAAAAA');
    expect(res!.status()).toBe(404);
    await expect(session.page.locator('h1').textContent()).resolves.toBe('没有找到这个门牌');
    await expectAccessible(session.page);
    await snap(session.page, 'plate-not-found');
  });

  it('in 长辈版 the small controls grow too: the 匿名 box, the photo picker, phone links; main keeps its padding', async () => {
    const page = session.page;
    await page.goto(`/mode?elder=1&back=${encodeURIComponent(`/p/${session.token}/speak`)}`);
    const box = await page.locator('input[name=anonymous]').boundingBox();
    expect(box!.width).toBeGreaterThanOrEqual(24);
    expect(box!.height).toBeGreaterThanOrEqual(24);
    const file = await page.locator('input[type=file]').boundingBox();
    expect(file!.height).toBeGreaterThanOrEqual(60);
    const pad = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('main')!).paddingTop));
    expect(pad).toBeGreaterThanOrEqual(16);
    await snap(page, 'speak-form-elder');
    await page.goto(`/p/${session.token}/help`);
    const tel = await page.locator('main a[href^="tel:"]').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
    expect(tel.length).toBeGreaterThan(0);
    for (const h of tel) expect(h).toBeGreaterThanOrEqual(60);
    const footer = await page.locator('footer a[href="tel:12345"]').boundingBox();
    expect(footer!.height).toBeGreaterThanOrEqual(60);
    await page.goto('/mode?elder=0&back=/services');
  });
});
