import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { cameraPhoto, jpegWithGps } from '../helpers/images.js';
import { expectAccessible, snap, usePhone } from './browser.js';

/** Page objects for the villager's forms and case page. */
class SpeakForm {
  constructor(readonly page: Page) {}
  static async open(page: Page, token: string) {
    await page.goto(`/p/${token}`);
    await page.getByRole('link', { name: /码上说/ }).click();
    return new SpeakForm(page);
  }
  async fill(o: { category: string; content: string; name?: string; phone?: string }) {
    await this.page.getByLabel(o.category, { exact: true }).check();
    await this.page.getByLabel('您想说的内容').fill(o.content);
    if (o.name !== undefined) await this.page.getByLabel('您的姓名').fill(o.name);
    if (o.phone !== undefined) await this.page.getByLabel('手机号').fill(o.phone);
  }
  async attach(name: string, buffer: Buffer) {
    await this.page.setInputFiles('#photos', { name, mimeType: 'image/jpeg', buffer });
  }
  async submit() {
    await this.page.getByRole('button', { name: '提交' }).click();
  }
}

describe('a villager files 码上说 feedback with a photo on a 375×667 phone', () => {
  const session = usePhone();

  it('bad input is explained beside the field and nothing typed is lost', async () => {
    const form = await SpeakForm.open(session.page, session.token);
    await expectAccessible(session.page);
    await snap(session.page, 'speak-form');
    await form.fill({ category: '投诉', content: '村西头的路灯坏了两个星期了，晚上出门很不方便', name: '王建国', phone: '1391234' });
    await form.submit();
    await expect(session.page.locator('.error-summary').textContent()).resolves.toContain('手机号应为 11 位数字');
    await expect(session.page.getByLabel('您想说的内容').inputValue()).resolves.toContain('路灯坏了两个星期');
    await expect(session.page.getByLabel('投诉', { exact: true }).isChecked()).resolves.toBe(true);
    await expectAccessible(session.page);
    await snap(session.page, 'speak-form-errors');
  });

  it('a good submission with a photo gives a receipt, and the private session.page shows the case', async () => {
    const form = await SpeakForm.open(session.page, session.token);
    await form.fill({ category: '投诉', content: '村西头的路灯坏了两个星期了，晚上出门很不方便', name: '王建国', phone: '13912345678' });
    await form.attach('IMG_2031.jpg', await jpegWithGps());
    await form.submit();
    await session.page.waitForURL(/\/track\/[A-Za-z0-9_-]{22}\?new=1/);
    await expect(session.page.locator('h1').textContent()).resolves.toBe('提交成功');
    const receipt = await session.page.locator('.receipt').textContent();
    expect(receipt).toMatch(/受理编号：\d{8}-\d{4}/);
    expect(receipt).toContain('1个工作日内答复');
    await expectAccessible(session.page);
    await snap(session.page, 'receipt');

    await session.page.locator('.receipt a.break').click();
    await expect(session.page.locator('.state').textContent()).resolves.toBe('待受理');
    const img = session.page.locator('.photos img');
    await expect(img.count()).resolves.toBe(1);
    expect(await img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await expectAccessible(session.page);
    await snap(session.page, 'track');

    await session.page.goto(`/p/${session.token}`);
    await expect(session.page.locator('.mine').textContent()).resolves.toContain('待受理');
  });

  it('on a slow line a camera photo is shrunk in the phone before it is sent, with progress shown', async () => {
    const page = session.page;
    const photo = await cameraPhoto();
    expect(photo.length).toBeGreaterThan(3_000_000);
    const form = await SpeakForm.open(page, session.token);
    await form.fill({ category: '投诉', content: '村东头的下水道堵了，雨天积水很深。', name: '赵大娘', phone: '13912345678' });
    await form.attach('IMG_20261130.jpg', photo);
    const sent: number[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/speak')) sent.push(r.postDataBuffer()?.length ?? 0);
    });
    const cdp = await page.context().newCDPSession(page);
    // Slow 3G: 400 kbit/s up.
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 400, downloadThroughput: 100_000, uploadThroughput: 100_000 });
    await form.submit();
    await expect(page.locator('.upload-status').textContent({ timeout: 20_000 })).resolves.toMatch(/压缩|上传/);
    await page.waitForURL(/\/track\/[A-Za-z0-9_-]{22}\?new=1/, { timeout: 60_000 });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeLessThan(photo.length / 4);
    await expect(page.locator('.receipt h1').textContent()).resolves.toContain('提交成功');
    const img = await page.locator('.photos img').first().getAttribute('src');
    expect(img).toBeTruthy();
  }, 120_000);
});
