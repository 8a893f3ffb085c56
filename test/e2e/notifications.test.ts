import type { AddressInfo } from 'node:net';
import http, { type Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type TestApp } from '../helpers/app.js';
import { demoHousehold } from '../helpers/builders.js';
import { aUser } from '../helpers/staff.js';
import { aliyunParams, fakeAliyun, type FakeServer } from '../helpers/fake-providers.js';
import { testConfig } from '../../src/config.js';
import { startNotificationWorker } from '../../src/features/notifications/worker.js';
import { acceptReplyResolve, phoneContext, signInAs, snap } from './browser.js';

const TEMPLATES = { received: 'SMS_1001', replied: 'SMS_1002', resolved: 'SMS_1003', rejected: 'SMS_1004', extended: 'SMS_1005' };

describe('a villager who asks for SMS gets them from a fake Aliyun SMS server', () => {
  let stack: TestApp;
  let server: Server;
  let browser: Browser;
  let fake: FakeServer;
  let worker: ReturnType<typeof startNotificationWorker>;
  let baseUrl = '';

  beforeAll(async () => {
    fake = await fakeAliyun('e2e-secret');
    // The messages link to the app's own address: find a free port first, then build the app for it.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    baseUrl = `http://127.0.0.1:${port}`;
    const base = testConfig();
    stack = buildApp({
      config: {
        publicBaseUrl: baseUrl,
        notify: {
          ...base.notify,
          retrySeconds: 1,
          sms: {
            ...base.notify.sms,
            provider: 'aliyun',
            accessKeyId: 'LTAI-e2e',
            accessKeySecret: 'e2e-secret',
            signName: '码上服务',
            templates: TEMPLATES,
            endpoint: fake.url,
            quietHours: null,
          },
        },
      },
    });
    server = await new Promise<Server>((resolve) => {
      const s = stack.app.listen(port, '127.0.0.1', () => resolve(s));
    });
    worker = startNotificationWorker(stack.services.notifications, { events: stack.services.events, everyMs: 500 });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--lang=zh-CN'],
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await browser?.close();
    await new Promise((r) => server?.close(r));
    await fake?.close();
  });

  const smsParams = async (n: number) => {
    for (let i = 0; i < 200 && fake.received.length < n; i++) await new Promise((r) => setTimeout(r, 50));
    expect(fake.received.length).toBeGreaterThanOrEqual(n);
    expect(fake.received.every((r) => r.verified)).toBe(true);
    const p = aliyunParams(fake.received[n - 1]!);
    return { template: p.TemplateCode, phone: p.PhoneNumbers, ...(JSON.parse(p.TemplateParam!) as { no: string; link: string }) };
  };

  it('files with a phone, receives the number and link, gets the reply by SMS, and the link opens the case page', async () => {
    const ctx = await phoneContext(browser, baseUrl);
    const page = await ctx.newPage();
    const { token } = await demoHousehold(stack.sql);
    await page.goto(`/p/${token}`);
    await page.getByRole('link', { name: /码上说/ }).click();
    await page.getByLabel('投诉', { exact: true }).check();
    await page.getByLabel('您想说的内容').fill('村西头的路灯坏了两个星期了，晚上出门很不方便');
    await page.getByLabel('您的姓名').fill('王建国');
    await page.getByLabel('手机号').fill('13912345678');
    await expect(page.getByLabel('用短信通知我办理进展').isChecked()).resolves.toBe(true);
    await page.getByRole('button', { name: '提交' }).click();
    await page.waitForURL(/\/track\/[A-Za-z0-9_-]{22}\?new=1/);
    await expect(page.locator('#sms-notice').textContent()).resolves.toContain('139****5678');
    await snap(page, 'receipt-sms');
    const trackingNo = /(\d{8}-\d{4})/.exec((await page.locator('.receipt').textContent()) ?? '')![1]!;

    const received = await smsParams(1);
    expect(received).toMatchObject({ template: 'SMS_1001', phone: '13912345678', no: trackingNo });
    expect(received.link).toMatch(new RegExp(`^${baseUrl}/track/[A-Za-z0-9_-]{22}$`));

    const admin = await aUser(stack.services, { role: 'admin' });
    const office = await (await browser.newContext({ baseURL: baseUrl, locale: 'zh-CN' })).newPage();
    await signInAs(office, admin.username);
    const caseId = stack.db.prepare('SELECT id FROM cases WHERE tracking_no = ?').pluck().get(trackingNo) as number;
    await office.goto(`/admin/cases/${caseId}`);
    await acceptReplyResolve(office, '已联系电工，明天上午来修。', '路灯已修好。');

    const replied = await smsParams(2);
    expect(replied).toMatchObject({ template: 'SMS_1002', no: trackingNo, link: received.link });
    expect(await smsParams(3)).toMatchObject({ template: 'SMS_1003', no: trackingNo });
    expect(fake.received).toHaveLength(3);

    await page.goto(replied.link);
    await expect(page.locator('h1').textContent()).resolves.toContain('我的事项');
    await expect(page.locator('.timeline').textContent()).resolves.toContain('已联系电工');
    await snap(page, 'track-after-sms');
    await ctx.close();
  });
});
