import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/commands.js';
import { startNotificationWorker } from '../../src/features/notifications/worker.js';
import { buildApp } from '../helpers/app.js';
import { aHousehold, aVillage, demoHousehold } from '../helpers/builders.js';
import { agentFor, openForm, postMultipart } from '../helpers/forms.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';
import { seededFile, tempDirs } from '../helpers/files.js';
import { aliyunParams, fakeAliyun, verifyAcs3, fakeDingtalk, fakeTencent, fakeWebhook, fakeWecom, type FakeServer } from '../helpers/fake-providers.js';
import { ConfigError, loadConfig, testConfig, type Config } from '../../src/config.js';
import { createServices, type Services } from '../../src/services.js';
import { ValidationError } from '../../src/errors.js';
import { openDb } from '../../src/db/index.js';
import { postgresDatabase, postgresPool, sqliteDatabase } from '../../src/db/database.js';
import { onPostgres } from '../helpers/engine.js';
import { testSql, type TestSql } from '../helpers/sql.js';
import { aliyunRpcSignature } from '../../src/features/notifications/signing.js';

const TEMPLATES = { received: 'SMS_1001', replied: 'SMS_1002', resolved: 'SMS_1003', rejected: 'SMS_1004', extended: 'SMS_1005' };

/** A Monday at 10:00 in China, a working day. */
const MONDAY_10 = '2026-11-30T02:00:00.000Z';

function notifyConfig(sms: Partial<Config['notify']['sms']> = {}, retrySeconds = 30): Partial<Config> {
  const base = testConfig();
  return { notify: { ...base.notify, retrySeconds, sms: { ...base.notify.sms, ...sms } }, publicBaseUrl: 'http://mashang.example' };
}

/** A clock tests move by hand. */
function clock(at = MONDAY_10) {
  let now = new Date(at);
  return {
    now: () => now,
    set: (iso: string) => void (now = new Date(iso)),
    advance: (ms: number) => void (now = new Date(now.getTime() + ms)),
  };
}

const servers: FakeServer[] = [];
const dirs = tempDirs();
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  dirs.cleanUp();
});
const started = <T extends FakeServer>(s: T): T => (servers.push(s), s);

/** A help request filed the way the form files it, asking for SMS unless told otherwise. */
async function file(services: Services, sql: TestSql, o: { villageId?: number; phone?: string; notifySms?: boolean; anonymous?: boolean } = {}) {
  const h = o.villageId ? await aHousehold(sql, { villageId: o.villageId }) : await demoHousehold(sql);
  const plate = await services.places.plateByToken(h.token);
  const r = await services.cases.submit({
    kind: 'help',
    category: null,
    item: null,
    villageId: plate.villageId,
    householdId: plate.householdId,
    plateId: plate.plateId,
    name: o.anonymous ? null : '李桂芳',
    phone: o.anonymous ? null : (o.phone ?? '13912345678'),
    anonymous: o.anonymous ?? false,
    content: '家里的自来水管冻裂了',
    callbackTime: 'any',
    idempotencyKey: null,
    photos: [],
    notifySms: o.notifySms ?? true,
  });
  return { ...r, id: Number(await sql.value('SELECT id FROM cases WHERE token = ?', r.token)), villageId: plate.villageId };
}

const deliveries = (sql: TestSql) =>
  sql.all<{
    id: number;
    channel: string;
    recipient: string;
    message: string;
    state: string;
    attempts: number;
    nextAt: string;
    lastCode: string | null;
    body: string;
  }>('SELECT id, channel, recipient, message, state, attempts, next_at AS "nextAt", last_code AS "lastCode", body FROM notification_deliveries ORDER BY id');

async function officeUser(services: Services) {
  const admin = await aUser(services, { role: 'admin' });
  return (await services.staff.sessionUser(admin.id))!;
}

describe('villager SMS through the log provider', () => {
  it('when a villager files with the box ticked, then the receipt names the masked number and one SMS with the number and link is logged', async () => {
    const c = clock();
    const { app, services, sql } = buildApp({ config: notifyConfig({ quietHours: null }), now: c.now });
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/help/request`);
    expect(form.html).toContain('用短信通知我办理进展');
    expect(form.html).toMatch(/name="notifySms" value="1" checked/);
    const res = await postMultipart(agent, `/p/${h.token}/help/request`, {
      name: '李桂芳',
      phone: '13912345678',
      content: '',
      callbackTime: 'any',
      notifySms: '1',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(303);
    const receipt = await agent.get(res.headers.location!).expect(200);
    expect(receipt.text).toContain('办理进展会用短信发到 139****5678');

    const report = await services.notifications.deliverDue();
    expect(report).toMatchObject({ planned: 1, sent: 1 });
    const [d, ...more] = await deliveries(sql);
    expect(more).toEqual([]);
    const token = res.headers.location!.split('/track/')[1]!.split('?')[0]!;
    const no = (await sql.value('SELECT tracking_no FROM cases WHERE token = ?', token)) as string;
    expect(d).toMatchObject({ channel: 'sms', recipient: '13912345678', message: 'received', state: 'sent', attempts: 1 });
    expect(d!.body).toBe(`已收到您的诉求，编号${no}。查看进展：http://mashang.example/track/${token}`);
    // Nothing twice: another round finds nothing new.
    expect(await services.notifications.deliverDue()).toMatchObject({ planned: 0, sent: 0 });
  });

  it('when the box is left unticked, or the feedback is anonymous, then no SMS is made', async () => {
    const { app, services, sql } = buildApp({ config: notifyConfig({ quietHours: null }) });
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    let form = await openForm(agent, `/p/${h.token}/help/request`);
    await postMultipart(agent, `/p/${h.token}/help/request`, {
      name: '李桂芳',
      phone: '13912345678',
      callbackTime: 'any',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(303);
    form = await openForm(agent, `/p/${h.token}/speak`);
    await postMultipart(agent, `/p/${h.token}/speak`, {
      category: 'complaint',
      content: '路灯坏了好几天了',
      anonymous: '1',
      notifySms: '1',
      name: '',
      phone: '13912345678',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(303);
    expect(await sql.value('SELECT count(*) FROM cases WHERE notify_sms = 1')).toBe(0);
    await services.notifications.deliverDue();
    expect(await deliveries(sql)).toEqual([]);
  });

  it('when a form comes back with a mistake and the box was unticked, then it stays unticked', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/help/request`);
    const res = await postMultipart(agent, `/p/${h.token}/help/request`, {
      name: '',
      phone: '13912345678',
      callbackTime: 'any',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(400);
    expect(res.text).toMatch(/name="notifySms" value="1">/);
  });
});

describe.each(['v3', 'rpc'] as const)('Aliyun SMS (%s signature) against a fake Dysmsapi that checks every signature', (signature) => {
  const aliyun = async (c = clock(), retrySeconds = 30) => {
    const fake = started(await fakeAliyun('test-secret'));
    const stack = buildApp({
      config: notifyConfig(
        {
          provider: 'aliyun',
          aliyunSignature: signature,
          accessKeyId: 'LTAI-test',
          accessKeySecret: 'test-secret',
          signName: '码上服务',
          templates: TEMPLATES,
          endpoint: fake.url,
          quietHours: null,
        },
        retrySeconds,
      ),
      now: c.now,
    });
    return { ...stack, fake, c, user: await officeUser(stack.services) };
  };

  it('when a case is filed, replied to, extended and resolved, then each SMS goes once, signed, with its template and parameters', async () => {
    const { services, sql, fake, user } = await aliyun();
    const k = await file(services, sql);
    await services.notifications.deliverDue();
    await services.caseOffice.reply({ user, caseId: k.id, version: 1, ip: '', text: '已联系水务站，明天上门。' });
    await services.caseOffice.note({ user, caseId: k.id, version: 2, ip: '', text: '内部：水务站电话已打' });
    await services.caseOffice.accept({ user, caseId: k.id, version: 3, ip: '' });
    await services.caseOffice.extend({ user, caseId: k.id, version: 4, ip: '', days: 2, text: '等待配件' });
    await services.caseOffice.resolve({ user, caseId: k.id, version: 5, ip: '', text: '管道已更换。' });
    await services.notifications.deliverDue();

    expect(fake.received.every((r) => r.verified)).toBe(true);
    // V3 signs with an Authorization header and sends the parameters in the query; RPC signs a form body.
    expect(fake.received.every((r) => (r.headers.authorization ?? '').startsWith('ACS3-HMAC-SHA256 ') === (signature === 'v3'))).toBe(true);
    const sent = fake.received.map(aliyunParams);
    expect(sent.map((p) => p.TemplateCode)).toEqual(['SMS_1001', 'SMS_1002', 'SMS_1005', 'SMS_1003']);
    expect(sent.every((p) => p.PhoneNumbers === '13912345678' && p.SignName === '码上服务' && p.Action === 'SendSms' && p.Version === '2017-05-25')).toBe(true);
    expect(JSON.parse(sent[0]!.TemplateParam!)).toEqual({ no: k.trackingNo, link: `http://mashang.example/track/${k.token}` });
    expect(JSON.parse(sent[2]!.TemplateParam!)).toMatchObject({ no: k.trackingNo, due: expect.stringMatching(/^\d+月\d+日$/) });
    // OutId is the delivery's id: the provider's own idempotency handle.
    expect(sent.map((p) => Number(p.OutId))).toEqual((await deliveries(sql)).map((d) => d.id));
    expect((await deliveries(sql)).every((d) => d.state === 'sent')).toBe(true);
  });

  it('when the provider throttles or fails, then it is tried again after 30 s, 60 s, … and dead after 8 tries', async () => {
    const { services, sql, fake, c } = await aliyun();
    for (let i = 0; i < 8; i++) fake.answers.push(i % 2 ? { status: 503, body: {} } : { status: 200, body: { Code: 'isv.BUSINESS_LIMIT_CONTROL' } });
    await file(services, sql);
    await services.notifications.deliverDue();
    let d = (await deliveries(sql))[0]!;
    expect(d).toMatchObject({ state: 'pending', attempts: 1, lastCode: 'isv.BUSINESS_LIMIT_CONTROL' });
    expect(Date.parse(d.nextAt) - c.now().getTime()).toBe(30_000);
    // Not before its time.
    c.advance(29_000);
    await services.notifications.deliverDue();
    expect(fake.received).toHaveLength(1);
    c.advance(1_000);
    await services.notifications.deliverDue();
    d = (await deliveries(sql))[0]!;
    expect(d).toMatchObject({ state: 'pending', attempts: 2, lastCode: 'HTTP 503' });
    expect(Date.parse(d.nextAt) - c.now().getTime()).toBe(60_000);
    for (let i = 2; i < 8; i++) {
      c.advance(30_000 * 2 ** (i - 1));
      await services.notifications.deliverDue();
    }
    d = (await deliveries(sql))[0]!;
    expect(d).toMatchObject({ state: 'dead', attempts: 8 });
    expect(fake.received).toHaveLength(8);
    c.advance(24 * 3600_000);
    await services.notifications.deliverDue();
    expect(fake.received).toHaveLength(8);
    expect(await sql.value('SELECT count(*) FROM notification_attempts WHERE delivery_id = ?', d.id)).toBe(8);
  });

  it('when the number, template or balance is refused, then the delivery is dead at once with the provider code', async () => {
    const { services, sql, fake } = await aliyun();
    fake.answers.push({ status: 200, body: { Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: '非法手机号' } });
    await file(services, sql);
    await services.notifications.deliverDue();
    expect((await deliveries(sql))[0]).toMatchObject({ state: 'dead', attempts: 1, lastCode: 'isv.MOBILE_NUMBER_ILLEGAL' });
  });

  it('when a signed request is changed on the way (another phone), then the fake refuses it', async () => {
    const { services, sql, fake } = await aliyun();
    await file(services, sql);
    await services.notifications.deliverDue();
    const [r] = fake.received;
    expect(r!.verified).toBe(true);
    if (signature === 'v3') {
      const query = new URLSearchParams(r!.query);
      query.set('PhoneNumbers', '13800000000');
      expect(verifyAcs3({ ...r!, query }, 'test-secret', 'SendSms', '2017-05-25')).toBe(false);
      expect(verifyAcs3(r!, 'test-secret', 'SendSms', '2017-05-25')).toBe(true);
      expect(verifyAcs3(r!, 'another-secret', 'SendSms', '2017-05-25')).toBe(false);
    } else {
      const { Signature, ...rest } = Object.fromEntries(new URLSearchParams(r!.body));
      expect(Signature).toBe(aliyunRpcSignature('POST', rest, 'test-secret'));
      expect(aliyunRpcSignature('POST', { ...rest, PhoneNumbers: '13800000000' }, 'test-secret')).not.toBe(Signature);
    }
  });

  it('when the secret is wrong, then the fake refuses the signature and nothing counts as sent', async () => {
    const fake = started(await fakeAliyun('the-real-secret'));
    const { services, sql } = buildApp({
      config: notifyConfig({
        provider: 'aliyun',
        aliyunSignature: signature,
        accessKeyId: 'LTAI-test',
        accessKeySecret: 'a-wrong-secret',
        signName: '码上服务',
        templates: TEMPLATES,
        endpoint: fake.url,
        quietHours: null,
      }),
    });
    await file(services, sql);
    await services.notifications.deliverDue();
    expect(fake.received[0]!.verified).toBe(false);
    expect((await deliveries(sql))[0]!.state).not.toBe('sent');
  });
});

describe('Tencent SMS against a fake API that checks TC3-HMAC-SHA256', () => {
  it('when a case is filed and rejected, then both SMS are signed and carry their ordered parameters', async () => {
    const fake = started(await fakeTencent('AKID-test', 'tencent-key'));
    const { services, sql } = buildApp({
      config: notifyConfig({
        provider: 'tencent',
        accessKeyId: 'AKID-test',
        accessKeySecret: 'tencent-key',
        signName: '码上服务',
        sdkAppId: '1400000000',
        templates: TEMPLATES,
        endpoint: fake.url,
        quietHours: null,
      }),
    });
    const user = await officeUser(services);
    const k = await file(services, sql);
    await services.caseOffice.reject({ user, caseId: k.id, version: 1, ip: '', text: '不属于本村事务' });
    await services.notifications.deliverDue();
    expect(fake.received).toHaveLength(2);
    expect(fake.received.every((r) => r.verified)).toBe(true);
    const bodies = fake.received.map(
      (r) => JSON.parse(r.body) as { PhoneNumberSet: string[]; TemplateId: string; TemplateParamSet: string[]; SmsSdkAppId: string },
    );
    expect(bodies.map((b) => b.TemplateId)).toEqual(['SMS_1001', 'SMS_1004']);
    expect(bodies[0]).toMatchObject({
      PhoneNumberSet: ['+8613912345678'],
      SmsSdkAppId: '1400000000',
      TemplateParamSet: [k.trackingNo, `http://mashang.example/track/${k.token}`],
    });
    expect((await deliveries(sql)).map((d) => d.state)).toEqual(['sent', 'sent']);
  });

  it('when Tencent answers with an error code, then a throttle is retried and a bad number is dead', async () => {
    const fake = started(await fakeTencent('AKID-test', 'tencent-key'));
    fake.answers.push({ status: 200, body: { Response: { Error: { Code: 'RequestLimitExceeded', Message: '' } } } });
    fake.answers.push({ status: 200, body: { Response: { SendStatusSet: [{ Code: 'InvalidParameterValue.IncorrectPhoneNumber' }] } } });
    const { services, sql } = buildApp({
      config: notifyConfig({
        provider: 'tencent',
        accessKeyId: 'AKID-test',
        accessKeySecret: 'tencent-key',
        signName: '码上服务',
        sdkAppId: '1400000000',
        templates: TEMPLATES,
        endpoint: fake.url,
        quietHours: null,
      }),
    });
    await file(services, sql, { phone: '13912345678' });
    await file(services, sql, { phone: '13812345678' });
    await services.notifications.deliverDue();
    expect((await deliveries(sql)).map((d) => [d.state, d.lastCode])).toEqual([
      ['pending', 'RequestLimitExceeded'],
      ['dead', 'InvalidParameterValue.IncorrectPhoneNumber'],
    ]);
  });
});

describe('quiet hours and the daily cap', () => {
  it('when a case is filed at 22:00 China time, then its SMS waits for 08:00 and goes then', async () => {
    const c = clock('2026-11-30T14:00:00.000Z'); // 22:00 in Shanghai
    const { services, sql } = buildApp({ config: notifyConfig({ quietHours: { start: 21 * 60, end: 8 * 60 } }), now: c.now });
    await file(services, sql);
    expect(await services.notifications.deliverDue()).toMatchObject({ sent: 0, postponed: 1 });
    expect((await deliveries(sql))[0]).toMatchObject({ state: 'pending', attempts: 0, nextAt: '2026-12-01T00:00:00.000Z' });
    c.set('2026-11-30T23:59:00.000Z'); // 07:59
    expect(await services.notifications.deliverDue()).toMatchObject({ sent: 0 });
    c.set('2026-12-01T00:00:00.000Z'); // 08:00
    expect(await services.notifications.deliverDue()).toMatchObject({ sent: 1 });
  });

  it('when quiet hours are off, then a message at 03:00 goes at once', async () => {
    const c = clock('2026-11-30T19:00:00.000Z');
    const { services, sql } = buildApp({ config: notifyConfig({ quietHours: null }), now: c.now });
    await file(services, sql);
    expect(await services.notifications.deliverDue()).toMatchObject({ sent: 1 });
  });

  it('when a phone has had its daily share, then further SMS wait for the next morning', async () => {
    const c = clock();
    const { services, sql } = buildApp({ config: notifyConfig({ quietHours: { start: 21 * 60, end: 8 * 60 }, dailyCap: 2 }), now: c.now });
    await file(services, sql);
    await file(services, sql);
    await file(services, sql);
    await file(services, sql, { phone: '13812345678' });
    const report = await services.notifications.deliverDue();
    expect(report).toMatchObject({ sent: 3, postponed: 1 });
    const held = (await deliveries(sql)).filter((d) => d.state === 'pending');
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ recipient: '13912345678', nextAt: '2026-12-01T00:00:00.000Z' });
    c.set('2026-12-01T00:00:00.000Z');
    expect(await services.notifications.deliverDue()).toMatchObject({ sent: 1 });
  });
});

describe('cadre channels', () => {
  it('when a case is filed, reopened and rated 1 star, then the channels of its village, township and district hear of it, signed, and another village hears nothing', async () => {
    const c = clock();
    const [wecomA, wecomB, ding, hook] = [
      started(await fakeWecom()),
      started(await fakeWecom()),
      started(await fakeDingtalk('SECding')),
      started(await fakeWebhook('hook-secret')),
    ];
    const { services, sql } = buildApp({ config: notifyConfig({ quietHours: null }), now: c.now });
    const a = await aVillage(sql, { name: '甲庄村', townCode: '370812103' });
    const b = await aVillage(sql, { name: '乙屯村', townCode: '370812107' });
    await services.notifications.addChannel({ kind: 'wecom', url: `${wecomA.url}/cgi-bin/webhook/send?key=AAA`, scopeCode: a.code });
    await services.notifications.addChannel({ kind: 'wecom', url: `${wecomB.url}/cgi-bin/webhook/send?key=BBB`, scopeCode: b.code });
    await services.notifications.addChannel({ kind: 'dingtalk', url: `${ding.url}/robot/send?access_token=T`, secret: 'SECding', scopeCode: '370812103' });
    await services.notifications.addChannel({ kind: 'webhook', url: `${hook.url}/mashang`, secret: 'hook-secret', scopeCode: '370812' });
    const user = await officeUser(services);

    const k = await file(services, sql, { villageId: a.id, notifySms: false });
    await services.notifications.deliverDue();
    expect(wecomA.received).toHaveLength(1);
    expect(ding.received).toHaveLength(1);
    expect(hook.received).toHaveLength(1);
    expect(wecomB.received).toHaveLength(0);
    expect([...wecomA.received, ...ding.received, ...hook.received].every((r) => r.verified)).toBe(true);

    const markdown = (JSON.parse(wecomA.received[0]!.body) as { markdown: { content: string } }).markdown.content;
    expect(markdown).toContain(`新诉求 ${k.trackingNo}`);
    expect(markdown).toContain(`http://mashang.example/admin/cases/${k.id}`);
    const event = JSON.parse(hook.received[0]!.body) as { event: string; case: Record<string, unknown> };
    expect(event).toMatchObject({
      event: 'case.filed',
      case: {
        trackingNo: k.trackingNo,
        kind: 'help',
        village: '甲庄村',
        villageCode: a.code,
        state: 'submitted',
        link: `http://mashang.example/admin/cases/${k.id}`,
      },
    });
    // Never the villager's phone, name or private link, in any channel.
    for (const r of [...wecomA.received, ...ding.received, ...hook.received]) {
      expect(r.body).not.toContain('13912345678');
      expect(r.body).not.toContain('李桂芳');
      expect(r.body).not.toContain(k.token);
    }

    await services.caseOffice.acceptAndResolve({ user, caseId: k.id, version: 1, ip: '', text: '已修好' });
    await services.cases.reopen({ token: k.token, form: { reason: '还是漏水，没有修好' } });
    await services.notifications.deliverDue();
    expect(wecomA.received).toHaveLength(2);
    expect((JSON.parse(wecomA.received[1]!.body) as { markdown: { content: string } }).markdown.content).toContain('诉求被重新提起');

    await services.caseOffice.resolve({ user, caseId: k.id, version: 4, ip: '', text: '再次维修' });
    await services.cases.rate({ token: k.token, form: { rating: '1', comment: '态度不好' } });
    await services.notifications.deliverDue();
    expect(hook.received).toHaveLength(3);
    expect(JSON.parse(hook.received[2]!.body)).toMatchObject({ event: 'case.rated', case: { rating: 1 } });
    expect(wecomB.received).toHaveLength(0);
  });

  it('when a case is rated 4 stars, then no channel is told', async () => {
    const wecom = started(await fakeWecom());
    const { services, sql } = buildApp({ config: notifyConfig({ quietHours: null }) });
    const a = await aVillage(sql, { name: '甲庄村' });
    const k = await file(services, sql, { villageId: a.id, notifySms: false });
    await services.notifications.addChannel({ kind: 'wecom', url: `${wecom.url}/send`, scopeCode: a.code });
    const user = await officeUser(services);
    // The filing itself is announced (deliveries are made when the worker reads the event).
    await services.notifications.deliverDue();
    const before = wecom.received.length;
    expect(before).toBe(1);
    await services.caseOffice.acceptAndResolve({ user, caseId: k.id, version: 1, ip: '', text: '已修好' });
    await services.cases.rate({ token: k.token, form: { rating: '4' } });
    await services.notifications.deliverDue();
    expect(wecom.received).toHaveLength(before);
  });

  it('when a channel is removed, then what it had not yet received is dead, not sent', async () => {
    const wecom = started(await fakeWecom());
    const { services, sql } = buildApp({ config: notifyConfig({ quietHours: null }) });
    const a = await aVillage(sql, { name: '甲庄村' });
    const id = await services.notifications.addChannel({ kind: 'wecom', url: `${wecom.url}/send`, scopeCode: a.code });
    await file(services, sql, { villageId: a.id, notifySms: false });
    await services.notifications.plan();
    expect(await services.notifications.removeChannel(id)).toBe(true);
    await services.notifications.deliverDue();
    expect(wecom.received).toHaveLength(0);
    expect((await deliveries(sql))[0]).toMatchObject({ state: 'dead', lastCode: 'channel_removed' });
  });

  it('when a channel names no place or a bad address, then it is refused field by field', async () => {
    const { services } = buildApp();
    const fields = async (input: Parameters<Services['notifications']['addChannel']>[0]) => {
      try {
        await services.notifications.addChannel(input);
      } catch (err) {
        if (err instanceof ValidationError) return err.errors.map((e) => e.field);
        throw err;
      }
      return [];
    };
    expect(await fields({ kind: 'sms', url: 'ftp://x', scopeCode: '999999' })).toEqual(['kind', 'url', 'scopeCode']);
    expect(await fields({ kind: 'wecom', url: 'not a url', scopeCode: '123' })).toEqual(['url', 'scopeCode']);
    expect(await fields({ kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K', scopeCode: '370812103' })).toEqual([]);
  });
});

describe('crash between commit and delivery', () => {
  // SQLite's form of it: the database is a file that outlives the process (PostgreSQL's form is the next test).
  it.runIf(!onPostgres)('when the process dies after the case commits, then a new process on the same file delivers its SMS once', async () => {
    const dir = dirs.make();
    const file_ = path.join(dir, 'mashang.sqlite');
    const config = { ...testConfig(), ...notifyConfig({ quietHours: null }), dbFile: file_ };
    const db1 = seededFile(file_);
    const first = createServices(db1, config);
    const k = await file(first, testSql(sqliteDatabase(db1)));
    // The first process never got to deliver: it is gone.
    db1.close();

    const db2 = openDb(file_);
    // one connection, as two workers of a process share it (its transactions take turns)
    const database = sqliteDatabase(db2);
    const second = createServices(database, config);
    const third = createServices(database, config);
    // Two workers racing over the same rows: the claim lets only one send.
    const [r2, r3] = await Promise.all([second.notifications.deliverDue(), third.notifications.deliverDue()]);
    expect(r2.sent + r3.sent).toBe(1);
    expect(await second.notifications.deliverDue()).toMatchObject({ planned: 0, sent: 0 });
    const rows = await deliveries(testSql(database));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: 'sent', attempts: 1 });
    expect(rows[0]!.body).toContain(k.trackingNo);
    db2.close();
  });

  it.runIf(onPostgres)('when the process dies after the case commits, then a new process on the same PostgreSQL database delivers its SMS once', async () => {
    const config = { ...testConfig(), ...notifyConfig({ quietHours: null }) };
    const stack = buildApp({ config });
    const k = await file(stack.services, stack.sql);
    const url = stack.database.pool!.options.connectionString!;
    // The first process never got to deliver: it is gone.
    await stack.database.close();

    // Two workers, each with its own connections, racing over the same rows: the claim lets only one send.
    const [a, b] = [postgresDatabase(postgresPool(url, { max: 2 })), postgresDatabase(postgresPool(url, { max: 2 }))];
    try {
      const second = createServices(a, config);
      const third = createServices(b, config);
      const [r2, r3] = await Promise.all([second.notifications.deliverDue(), third.notifications.deliverDue()]);
      expect(r2.sent + r3.sent).toBe(1);
      expect(await second.notifications.deliverDue()).toMatchObject({ planned: 0, sent: 0 });
      const rows = await deliveries(testSql(a));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ state: 'sent', attempts: 1 });
      expect(rows[0]!.body).toContain(k.trackingNo);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('when a worker died while sending, then the row is taken again only after its lease ran out', async () => {
    const c = clock();
    const { services, sql } = buildApp({ config: notifyConfig({ quietHours: null }), now: c.now });
    await file(services, sql);
    await services.notifications.plan();
    const id = (await deliveries(sql))[0]!.id;
    // As a worker that claimed the row and was killed would leave it.
    await sql.run(
      "UPDATE notification_deliveries SET state = 'sending', attempts = 1, lease_until = ? WHERE id = ?",
      new Date(c.now().getTime() + 120_000).toISOString(),
      id,
    );
    expect(await services.notifications.deliverDue()).toMatchObject({ sent: 0 });
    c.advance(121_000);
    expect(await services.notifications.deliverDue()).toMatchObject({ sent: 1 });
    expect((await deliveries(sql))[0]).toMatchObject({ state: 'sent', attempts: 2 });
  });
});

describe('configuration', () => {
  it('when a real provider is chosen with a setting missing, then start-up stops naming it', () => {
    expect(() =>
      loadConfig({
        MASHANG_SMS_PROVIDER: 'aliyun',
        MASHANG_SMS_ACCESS_KEY_ID: 'x',
        MASHANG_SMS_SIGN_NAME: '码上服务',
        MASHANG_SMS_TEMPLATES: JSON.stringify(TEMPLATES),
      }),
    ).toThrowError(/MASHANG_SMS_ACCESS_KEY_SECRET/);
    expect(() =>
      loadConfig({
        MASHANG_SMS_PROVIDER: 'tencent',
        MASHANG_SMS_ACCESS_KEY_ID: 'x',
        MASHANG_SMS_ACCESS_KEY_SECRET: 'y',
        MASHANG_SMS_SIGN_NAME: '码上服务',
        MASHANG_SMS_TEMPLATES: JSON.stringify(TEMPLATES),
      }),
    ).toThrowError(/MASHANG_SMS_SDK_APP_ID/);
    expect(() => loadConfig({ MASHANG_SMS_TEMPLATES: '{"received":"SMS_1"}' })).toThrowError(ConfigError);
    // Alibaba Cloud's signature: V3 unless told rpc; anything else stops start-up naming the setting.
    expect(loadConfig({}).notify.sms.aliyunSignature).toBe('v3');
    expect(loadConfig({ MASHANG_SMS_ALIYUN_SIGNATURE: 'rpc' }).notify.sms.aliyunSignature).toBe('rpc');
    expect(() => loadConfig({ MASHANG_SMS_ALIYUN_SIGNATURE: 'v2' })).toThrowError(/MASHANG_SMS_ALIYUN_SIGNATURE/);
    // The digest: 08:30 unless told otherwise; empty turns it off; a bad time stops start-up.
    expect(loadConfig({}).notify.digestAt).toBe(510);
    expect(loadConfig({ MASHANG_NOTIFY_DIGEST_AT: '' }).notify.digestAt).toBeNull();
    expect(() => loadConfig({ MASHANG_NOTIFY_DIGEST_AT: '8:30am' })).toThrowError(/MASHANG_NOTIFY_DIGEST_AT/);
    expect(() => loadConfig({ MASHANG_SMS_QUIET_HOURS: '9pm-8am' })).toThrowError(/MASHANG_SMS_QUIET_HOURS/);
  });

  it('when nothing is set, then the log provider, 30 s retries and quiet hours 21:00–08:00 apply; empty quiet hours are off', () => {
    const c = loadConfig({});
    expect(c.notify).toMatchObject({ retrySeconds: 30, sms: { provider: 'log', quietHours: { start: 1260, end: 480 } } });
    expect(loadConfig({ MASHANG_SMS_QUIET_HOURS: '' }).notify.sms.quietHours).toBeNull();
  });
});

describe('the delivery log', () => {
  async function withLog() {
    const c = clock();
    const fake = started(await fakeAliyun('test-secret'));
    const stack = buildApp({
      config: notifyConfig({
        provider: 'aliyun',
        accessKeyId: 'LTAI-test',
        accessKeySecret: 'test-secret',
        signName: '码上服务',
        templates: TEMPLATES,
        endpoint: fake.url,
        quietHours: null,
      }),
      now: c.now,
    });
    const { services, sql } = stack;
    const a = await aVillage(sql, { name: '甲庄村', townCode: '370812103' });
    const b = await aVillage(sql, { name: '乙屯村', townCode: '370812107' });
    fake.answers.push({ status: 200, body: { Code: 'isv.AMOUNT_NOT_ENOUGH' } });
    const ka = await file(services, sql, { villageId: a.id });
    const kb = await file(services, sql, { villageId: b.id, phone: '13812345678' });
    await services.notifications.deliverDue();
    const staffA = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    return { ...stack, fake, ka, kb, agent: await signIn(stack.app, staffA.username) };
  }

  it('when staff open the log, then they see their villages only, phones masked, links cut, with the provider code', async () => {
    const { agent, ka, kb } = await withLog();
    const res = await agent.get('/admin/notifications').expect(200);
    expect(res.text).toContain(ka.trackingNo);
    expect(res.text).not.toContain(kb.trackingNo);
    expect(res.text).toContain('139****5678');
    expect(res.text).not.toContain('13912345678');
    expect(res.text).toContain('isv.AMOUNT_NOT_ENOUGH');
    const filtered = await agent.get('/admin/notifications?state=sent').expect(200);
    expect(filtered.text).not.toContain(ka.trackingNo);
  });

  it("when a dead delivery is retried with the form, then it is sent; without the CSRF token nothing changes; another township's is not there", async () => {
    const { agent, sql, services, kb } = await withLog();
    const [dead, other] = await deliveries(sql);
    expect(dead!.state).toBe('dead');
    const detail = await agent.get(`/admin/notifications/${dead!.id}`).expect(200);
    expect(detail.text).toContain('isv.AMOUNT_NOT_ENOUGH');
    expect(detail.text).not.toContain(
      '/track/' + (await sql.value('SELECT token FROM cases WHERE id = (SELECT case_id FROM notification_deliveries WHERE id = ?)', dead!.id)),
    );
    await agent.post(`/admin/notifications/${dead!.id}/retry`).type('form').send({}).expect(403);
    expect((await deliveries(sql))[0]!.state).toBe('dead');
    await agent.get(`/admin/notifications/${other!.id}`).expect(404);
    const csrf = await csrfFor(agent);
    await agent.post(`/admin/notifications/${other!.id}/retry`).type('form').send({ _csrf: csrf }).expect(404);
    const res = await agent.post(`/admin/notifications/${dead!.id}/retry`).type('form').send({ _csrf: csrf }).expect(303);
    expect(res.headers.location).toBe('/admin/notifications?retried=1');
    await services.notifications.deliverDue();
    expect((await deliveries(sql))[0]).toMatchObject({ state: 'sent' });
    expect(kb.trackingNo).toBeTruthy();
  });

  it("when a case page is opened, then it lists the case's notifications", async () => {
    const { agent, ka } = await withLog();
    const res = await agent.get(`/admin/cases/${ka.id}`).expect(200);
    expect(res.text).toContain('id="notifications"');
    expect(res.text).toContain('139****5678');
  });

  it('when an admin adds a channel in the back office, then its secret and address key are never shown', async () => {
    const { app, services } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, admin.username);
    const csrf = await csrfFor(agent);
    await agent
      .post('/admin/channels')
      .type('form')
      .send({
        _csrf: csrf,
        kind: 'dingtalk',
        url: 'https://oapi.dingtalk.com/robot/send?access_token=SECRET-TOKEN',
        secret: 'SECsecret',
        scopeCode: '370812103',
      })
      .expect(303);
    const page = await agent.get('/admin/channels').expect(200);
    expect(page.text).toContain('https://oapi.dingtalk.com/…');
    expect(page.text).not.toContain('SECRET-TOKEN');
    expect(page.text).not.toContain('SECsecret');
    const bad = await agent.post('/admin/channels').type('form').send({ _csrf: csrf, kind: 'wecom', url: 'x', scopeCode: '1' }).expect(400);
    expect(bad.text).toContain('没有这个代码的村');
    const id = (await services.notifications.channels())[0]!.id;
    await agent.post(`/admin/channels/${id}/remove`).type('form').send({ _csrf: csrf }).expect(303);
    expect(await services.notifications.channels()).toEqual([]);
    // Cadres manage no channel (township staff manage their township's: channels-admin.test.ts).
    const cadre = await aUser(services, { role: 'cadre' });
    await (await signIn(app, cadre.username)).get('/admin/channels').expect(403);
  });
});

describe('the channels command', () => {
  it('when channels are added, listed and removed on the command line, then the list shows them shortened and a bad one exits 1', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const dir = dirs.make();
      const env = { MASHANG_DB: path.join(dir, 'm.sqlite'), MASHANG_DATA_DIR: dir, LOG_LEVEL: 'silent' };
      seededFile(env.MASHANG_DB).close();
      expect(
        await main(['channels', 'add', 'wecom', '--url', 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY-123', '--town', '370812103'], env),
      ).toBe(0);
      expect(
        await main(
          ['channels', 'add', 'dingtalk', '--url', 'https://oapi.dingtalk.com/robot/send?access_token=T', '--secret', 'SEC-xyz', '--district', '370812'],
          env,
        ),
      ).toBe(0);
      expect(await main(['channels', 'add', 'wecom', '--url', 'https://x.example/', '--village', '999999999999'], env)).toBe(1);
      expect(await main(['channels', 'add', 'wecom', '--url', 'https://x.example/'], env)).toBe(2);
      log.mockClear();
      expect(await main(['channels', 'list'], env)).toBe(0);
      const listed = log.mock.calls.map((c) => String(c[0]));
      expect(listed).toHaveLength(2);
      expect(listed.join('\n')).toContain('https://qyapi.weixin.qq.com/…');
      expect(listed.join('\n')).not.toMatch(/KEY-123|SEC-xyz/);
      const id = Number(listed[0]!.split('\t')[0]);
      expect(await main(['channels', 'remove', String(id)], env)).toBe(0);
      expect(await main(['channels', 'remove', String(id)], env)).toBe(1);
      log.mockClear();
      await main(['channels', 'list'], env);
      expect(log.mock.calls).toHaveLength(1);
      expect(error).toHaveBeenCalled();
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  });
});

describe('the worker in the server', () => {
  it('when a case is filed, then the worker is woken by the event and delivers at once, without waiting for its timer', async () => {
    const wecom = started(await fakeWecom());
    const { services, sql } = buildApp({ config: notifyConfig({ quietHours: null }) });
    const a = await aVillage(sql, { name: '甲庄村' });
    await services.notifications.addChannel({ kind: 'wecom', url: `${wecom.url}/send`, scopeCode: a.code });
    const worker = startNotificationWorker(services.notifications, { events: services.events, everyMs: 3600_000 });
    try {
      await new Promise((r) => setTimeout(r, 50));
      await file(services, sql, { villageId: a.id });
      for (let i = 0; i < 100 && (await deliveries(sql)).filter((d) => d.state === 'sent').length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect((await deliveries(sql)).map((d) => [d.channel, d.state])).toEqual([
        ['sms', 'sent'],
        ['wecom', 'sent'],
      ]);
      expect(wecom.received).toHaveLength(1);
    } finally {
      await worker.stop();
    }
  });
});

describe('deadlines in the channels', () => {
  it('when a case comes within a working day of its deadline and then passes it, then its channel hears yellow once and red once, and another village nothing', async () => {
    const c = clock();
    const [wecomA, wecomB] = [started(await fakeWecom()), started(await fakeWecom())];
    const { services, sql } = buildApp({ config: notifyConfig({ quietHours: null }), now: c.now });
    const a = await aVillage(sql, { name: '甲庄村', townCode: '370812103' });
    const b = await aVillage(sql, { name: '乙屯村', townCode: '370812107' });
    await services.notifications.addChannel({ kind: 'wecom', url: `${wecomA.url}/send`, scopeCode: a.code });
    await services.notifications.addChannel({ kind: 'wecom', url: `${wecomB.url}/send`, scopeCode: b.code });
    const k = await file(services, sql, { villageId: a.id, notifySms: false });
    await services.notifications.deliverDue();
    expect(wecomA.received).toHaveLength(1);
    const due = Date.parse((await sql.value<string>('SELECT first_response_due FROM cases WHERE id = ?', k.id))!);
    const text = (i: number) => (JSON.parse(wecomA.received[i]!.body) as { markdown: { content: string } }).markdown.content;

    c.set(new Date(due - 3600_000).toISOString());
    await services.notifications.deliverDue();
    await services.notifications.deliverDue();
    expect(wecomA.received).toHaveLength(2);
    expect(text(1)).toContain(`诉求即将到期 ${k.trackingNo}`);

    c.set(new Date(due + 60_000).toISOString());
    await services.notifications.deliverDue();
    await services.notifications.deliverDue();
    expect(wecomA.received).toHaveLength(3);
    expect(text(2)).toContain(`诉求已超期 ${k.trackingNo}`);
    expect(wecomB.received).toHaveLength(0);
  });
});
