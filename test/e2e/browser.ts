import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, expect } from 'vitest';
import { demoHousehold } from '../helpers/builders.js';
import { buildApp, type TestApp } from '../helpers/app.js';
import { PASSWORD } from '../helpers/staff.js';

export const PHONE = { width: 375, height: 667 };
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Running extends TestApp {
  server: Server;
  baseUrl: string;
  browser: Browser;
  close(): Promise<void>;
}

/** The real app on a real port, and Debian's Chromium driving it. */
export async function startStack(): Promise<Running> {
  const stack = buildApp();
  const server = await new Promise<Server>((resolve) => {
    const s = stack.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
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
  return {
    ...stack,
    server,
    baseUrl,
    browser,
    async close() {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}

export async function phoneContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({ viewport: PHONE, baseURL, locale: 'zh-CN', isMobile: true, hasTouch: true });
}

/** Axe's WCAG 2.1 A and AA rules find nothing. */
export async function expectAccessible(page: Page): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const summary = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(summary, page.url()).toEqual([]);
}

/** Saves what the page looks like, for people to review (screenshots/ is not committed). */
export async function snap(page: Page, name: string): Promise<void> {
  const dir = path.resolve('screenshots');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

export interface PhoneSession {
  stack: Running;
  page: Page;
  /** the demo's first household plate token */
  token: string;
}

/**
 * Registers beforeAll/afterAll that start the stack and a phone-sized page; the returned object is
 * filled in before the first test runs.
 */
export function usePhone(): PhoneSession {
  const session = {} as PhoneSession;
  let ctx: BrowserContext | undefined;
  beforeAll(async () => {
    session.stack = await startStack();
    ctx = await phoneContext(session.stack.browser, session.stack.baseUrl);
    session.page = await ctx.newPage();
    session.token = (await demoHousehold(session.stack.sql)).token;
  });
  afterAll(async () => {
    await ctx?.close();
    await session.stack?.close();
  });
  return session;
}

/** Signs in to the back office through the real form. */
export async function signInAs(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto('/admin/login');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
}

/** A cadre on the case page: accept, reply in public, resolve; ends on the resolved case. */
export async function acceptReplyResolve(page: Page, reply: string, resolution: string): Promise<void> {
  await page.getByRole('button', { name: '受理', exact: true }).click();
  await page.locator('#reply-text').fill(reply);
  await page.locator('details[open] form').getByRole('button', { name: '公开回复', exact: true }).click();
  await page.locator('summary', { hasText: '办结' }).click();
  await page.locator('#resolve-text').fill(resolution);
  await page.locator('details[open] form').getByRole('button', { name: '办结', exact: true }).click();
  await expect(page.locator('.state').first().textContent()).resolves.toBe('已办结');
}
