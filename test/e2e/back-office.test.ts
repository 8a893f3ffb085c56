import { describe, expect, it } from 'vitest';
import { aUser, PASSWORD } from '../helpers/staff.js';
import { acceptReplyResolve, expectAccessible, snap, usePhone } from './browser.js';

describe('a villager files a case, a cadre answers it from a phone, the villager rates it', () => {
  const session = usePhone();

  it('the whole loop, accessible on every back-office page', async () => {
    const { page, stack, token } = session;
    const plate = await stack.services.places.plateByToken(token);
    const cadreId = stack.db.prepare('SELECT cadre_id FROM cadre_villages WHERE village_id = ? LIMIT 1').pluck().get(plate.villageId) as number;
    const cadre = await aUser(stack.services, { role: 'cadre', cadreId, username: 'cadre-e2e' });

    // The villager asks for a call back.
    await page.goto(`/p/${token}/help/request`);
    await page.getByLabel('您的姓名').fill('孟凡英');
    await page.getByLabel('手机号').fill('13512345678');
    await page.getByLabel('想问干部什么事').fill('想问问老年人优待证怎么办理');
    await page.getByRole('button', { name: '提交' }).click();
    const trackUrl = new URL((await page.locator('.receipt a.break').getAttribute('href'))!, stack.baseUrl).pathname;

    // The cadre signs in on the same kind of phone.
    await page.goto('/admin/login');
    await expectAccessible(page);
    await snap(page, 'admin-login');
    await page.getByLabel('用户名').fill(cadre.username);
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await expect(page.locator('h1').textContent()).resolves.toBe('工作台');
    await expectAccessible(page);
    await snap(page, 'admin-dashboard');

    await page.getByRole('link', { name: '事项办理' }).click();
    await expectAccessible(page);
    await snap(page, 'admin-inbox');
    await page.locator('table.inbox a').first().click();
    await expectAccessible(page);
    await snap(page, 'admin-case');
    await acceptReplyResolve(page, '您好，优待证可以在村里代办，明天我带表格上门。', '已上门帮老人填好表格，优待证下周送到家。');
    await expectAccessible(page);
    await snap(page, 'admin-case-resolved');

    // The villager reads the answer and rates it.
    await page.goto(trackUrl);
    await expect(page.locator('.timeline').textContent()).resolves.toContain('明天我带表格上门');
    await expect(page.locator('#solved-title').textContent()).resolves.toBe('问题解决了吗？');
    await page.getByRole('link', { name: '解决了，去评价' }).click();
    await page.getByLabel('5 星 非常满意').check();
    await page.getByRole('button', { name: '提交评价' }).click();
    await expect(page.locator('#rated').textContent()).resolves.toContain('5 星');
    await expectAccessible(page);

    // The dashboard shows it.
    await page.goto('/admin');
    await expect(page.locator('.kpis').textContent()).resolves.toContain('5.0 / 5');
  });
});

describe('township staff keep their channels from a phone', () => {
  const session = usePhone();

  it('adds a WeCom robot for a village of the township, sees it listed masked, and is told beside the field when the code is another township’s', async () => {
    const { page, stack } = session;
    const staff = await aUser(stack.services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }], username: 'town-e2e' });
    const village = (await stack.services.places.allVillages()).find((v) => v.code.startsWith('370812103'))!;
    await stack.services.notifications.addChannel({
      kind: 'dingtalk',
      url: 'https://oapi.dingtalk.com/robot/send?access_token=TOWN',
      secret: 'SEC',
      scopeCode: '370812103',
    });
    await page.goto('/admin/login');
    await page.getByLabel('用户名').fill(staff.username);
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();

    await page.goto('/admin/channels');
    await page.getByLabel('村、镇（街道）或区的代码').fill('370812107');
    await page.getByLabel('地址').fill('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=OTHER');
    await page.getByRole('button', { name: '添加渠道' }).click();
    await expect(page.locator('.error').textContent()).resolves.toContain('只能添加本镇（街道）或其下各村的渠道');
    await expectAccessible(page);
    await snap(page, 'admin-channels-refused');

    await page.getByLabel('村、镇（街道）或区的代码').fill(village.code);
    await page.getByLabel('地址').fill('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=VILLAGE');
    await page.getByRole('button', { name: '添加渠道' }).click();
    await expect(page.locator('.notice').textContent()).resolves.toContain('渠道已添加');
    const table = (await page.locator('table').textContent()) ?? '';
    expect(table).toContain(village.name);
    expect(table).toContain('https://qyapi.weixin.qq.com/…');
    expect(table).not.toContain('VILLAGE');
    await expectAccessible(page);
    await snap(page, 'admin-channels-township');
  });
});
