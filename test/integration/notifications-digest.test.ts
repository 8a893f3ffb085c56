import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, aHousehold, aVillage } from '../helpers/builders.js';
import { helpRequest } from '../helpers/cases.js';
import { aUser, signIn } from '../helpers/staff.js';
import { fakeDingtalk, fakeWebhook, fakeWecom, type FakeServer } from '../helpers/fake-providers.js';
import { testConfig, type Config } from '../../src/config.js';
import type { Services } from '../../src/services.js';
import type { TestSql } from '../helpers/sql.js';
import { scopeOf } from '../../src/domain/scope.js';

/** The digest from 08:30 China time (510 minutes), as the default configuration has it. */
function digestConfig(digestAt: number | null = 510): Partial<Config> {
  const base = testConfig();
  return { notify: { ...base.notify, digestAt, sms: { ...base.notify.sms, quietHours: null } }, publicBaseUrl: 'http://mashang.example' };
}

/** A clock tests move by hand; times are written in China time (+08:00). */
function clock(at: string) {
  let now = new Date(at);
  return { now: () => now, set: (iso: string) => void (now = new Date(iso)) };
}

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
const started = <T extends FakeServer>(s: T): T => (servers.push(s), s);

const PHONE = '13912345678';

/** A help request in the village at the clock's time, with the villager's phone. */
async function file(services: Services, sql: TestSql, villageId: number) {
  const h = await aHousehold(sql, { villageId });
  const plate = await services.places.plateByToken(h.token);
  return services.cases.submit(helpRequest(plate, { phone: PHONE, content: '家里的自来水管冻裂了', notifySms: true }));
}

const digests = (sql: TestSql) =>
  sql.all<{ channelId: number; digestDay: string; state: string; body: string; scopeCode: string }>(
    `SELECT channel_id AS "channelId", digest_day AS "digestDay", state, body, scope_code AS "scopeCode"
     FROM notification_deliveries WHERE message = 'digest' ORDER BY channel_id, digest_day`,
  );

/** What a robot received that is a digest (channels also hear of new and flagged cases). */
const digestsAt = (s: FakeServer) => s.received.filter((r) => r.body.includes('待办提醒') || r.body.includes('"kind":"digest"'));
const wecomText = (r: { body: string }) => (JSON.parse(r.body) as { markdown: { content: string } }).markdown.content;
const dingText = (r: { body: string }) => (JSON.parse(r.body) as { markdown: { text: string } }).markdown.text;

describe('the 08:30 working-day digest to the cadres channels', () => {
  it('on a working day: nothing at 08:29; at 08:30 one message per channel whose place has open cases, with the right counts and back-office links; never again that day', async () => {
    // Wednesday 25 November: a case that is overdue by Monday. Friday 27th: one due at the end of
    // Monday. Monday 30th 08:00: one due on Tuesday. Another township's village: one case.
    const c = clock('2026-11-25T10:00:00+08:00');
    const { services, sql, database } = buildApp({ config: digestConfig(), now: c.now });
    const a = await aVillage(sql, { name: '甲庄村', townCode: '370812103' });
    const quiet = await aVillage(sql, { name: '丙湾村', townCode: '370812103' });
    const b = await aVillage(sql, { name: '乙屯村', townCode: '370812107' });
    const red = await file(services, sql, a.id);
    c.set('2026-11-27T10:00:00+08:00');
    const yellow = await file(services, sql, a.id);
    c.set('2026-11-30T08:00:00+08:00');
    await file(services, sql, a.id);
    await file(services, sql, b.id);
    // The filings are planned before the channels exist: what the channels get is the digest alone.
    await services.notifications.deliverDue();

    const [wecomA, wecomQuiet, wecomB, ding, hook] = [
      started(await fakeWecom()),
      started(await fakeWecom()),
      started(await fakeWecom()),
      started(await fakeDingtalk('SECding')),
      started(await fakeWebhook('hook-secret')),
    ];
    const chA = await services.notifications.addChannel({ kind: 'wecom', url: `${wecomA.url}/send?key=A`, scopeCode: a.code });
    await services.notifications.addChannel({ kind: 'wecom', url: `${wecomQuiet.url}/send?key=Q`, scopeCode: quiet.code });
    const chB = await services.notifications.addChannel({ kind: 'wecom', url: `${wecomB.url}/send?key=B`, scopeCode: b.code });
    const chTown = await services.notifications.addChannel({
      kind: 'dingtalk',
      url: `${ding.url}/robot/send?access_token=T`,
      secret: 'SECding',
      scopeCode: '370812103',
    });
    const chDistrict = await services.notifications.addChannel({ kind: 'webhook', url: `${hook.url}/mashang`, secret: 'hook-secret', scopeCode: '370812' });

    c.set('2026-11-30T08:29:00+08:00');
    await services.notifications.deliverDue();
    expect(await digests(sql)).toEqual([]);

    c.set('2026-11-30T08:30:00+08:00');
    await services.notifications.deliverDue();
    const made = await digests(sql);
    // The village with nothing open gets nothing.
    expect(made.map((d) => d.channelId)).toEqual([chA, chB, chTown, chDistrict]);
    expect(made.every((d) => d.digestDay === '2026-11-30' && d.state === 'sent')).toBe(true);
    expect(made.map((d) => d.scopeCode)).toEqual([a.code, b.code, '370812103', '370812']);
    expect(digestsAt(wecomQuiet)).toEqual([]);
    for (const s of [wecomA, wecomB, ding, hook]) {
      expect(digestsAt(s)).toHaveLength(1);
      expect(digestsAt(s)[0]!.verified).toBe(true);
    }

    const linkA = `http://mashang.example/admin/cases?state=open&village=${a.id}`;
    const linkB = `http://mashang.example/admin/cases?state=open&village=${b.id}`;
    const textA = wecomText(digestsAt(wecomA)[0]!);
    expect(textA).toContain('甲庄村待办提醒 11月30日');
    expect(textA).toContain('合计：待办 3 件，今日到期 1 件，已超期 1 件');
    expect(textA).toContain(`- [甲庄村](${linkA})：待办 3，今日到期 1，已超期 1`);
    // A village channel never sees another village's counts.
    expect(textA).not.toContain('乙屯村');
    expect(textA).not.toContain('丙湾村');
    const textB = wecomText(digestsAt(wecomB)[0]!);
    expect(textB).toContain(`- [乙屯村](${linkB})：待办 1，今日到期 0，已超期 0`);
    expect(textB).not.toContain('甲庄村');

    // The township's channel: its villages with something open, none of another township's.
    const textTown = dingText(digestsAt(ding)[0]!);
    expect(textTown).toContain('颜店镇待办提醒 11月30日');
    expect(textTown).toContain(`- [甲庄村](${linkA})：待办 3，今日到期 1，已超期 1`);
    expect(textTown).not.toContain('乙屯村');
    expect(textTown).not.toContain('丙湾村');

    // The district's webhook: JSON of kind digest, every village with something open.
    const event = JSON.parse(digestsAt(hook)[0]!.body) as Record<string, unknown>;
    expect(event).toMatchObject({ event: 'digest', kind: 'digest', day: '2026-11-30', scope: { code: '370812' }, totals: { open: 4, yellow: 1, red: 1 } });
    expect(event.villages).toEqual([
      { code: a.code, name: '甲庄村', town: '颜店镇', open: 3, yellow: 1, red: 1, link: linkA },
      { code: b.code, name: '乙屯村', town: '漕河镇', open: 1, yellow: 0, red: 0, link: linkB },
    ]);

    // Links to the back office only: no villager's page, no phone, no name.
    for (const r of [wecomA, wecomB, ding, hook].flatMap(digestsAt)) {
      expect(r.body).not.toContain(PHONE);
      expect(r.body).not.toContain('139****5678');
      expect(r.body).not.toContain('李桂芳');
      expect(r.body).not.toContain('/track/');
      expect(r.body).not.toContain(red.token);
      expect(r.body).not.toContain(yellow.token);
    }

    // A later round, and a second instance on the same database, add nothing.
    c.set('2026-11-30T08:31:00+08:00');
    await services.notifications.deliverDue();
    const second = buildApp({ db: database, config: digestConfig(), now: c.now });
    await second.services.notifications.deliverDue();
    expect(await digests(sql)).toHaveLength(4);
    // Even with the day's round forgotten (a crash before it was recorded), the unique key holds.
    await sql.run('DELETE FROM notification_digest_runs');
    await second.services.notifications.deliverDue();
    expect(await digests(sql)).toHaveLength(4);
    for (const s of [wecomA, wecomB, ding, hook]) expect(digestsAt(s)).toHaveLength(1);
  });

  it('when the server was down at 08:30, then the digest goes when it runs later that day, and a missed day is never sent on the next', async () => {
    const c = clock('2026-11-27T10:00:00+08:00');
    const { services, sql } = buildApp({ config: digestConfig(), now: c.now });
    const a = await aVillage(sql, { name: '甲庄村' });
    await file(services, sql, a.id);
    await services.notifications.deliverDue();
    const wecom = started(await fakeWecom());
    const ch = await services.notifications.addChannel({ kind: 'wecom', url: `${wecom.url}/send`, scopeCode: a.code });

    // Monday: the first round of the day is at 15:10.
    c.set('2026-11-30T15:10:00+08:00');
    await services.notifications.deliverDue();
    expect((await digests(sql)).map((d) => [d.channelId, d.digestDay])).toEqual([[ch, '2026-11-30']]);

    // Tuesday (no round on Wednesday): Thursday 08:00 sends nothing for the days gone by, 08:30 Thursday's.
    c.set('2026-12-03T08:00:00+08:00');
    await services.notifications.deliverDue();
    expect(await digests(sql)).toHaveLength(1);
    c.set('2026-12-03T08:30:00+08:00');
    await services.notifications.deliverDue();
    expect((await digests(sql)).map((d) => d.digestDay)).toEqual(['2026-11-30', '2026-12-03']);
  });

  it('on a weekend and a holiday nothing is sent; on a make-up Saturday (调休) the digest goes', async () => {
    const c = clock('2026-09-28T10:00:00+08:00');
    const { services, sql } = buildApp({ config: digestConfig(), now: c.now });
    const a = await aVillage(sql, { name: '甲庄村' });
    await file(services, sql, a.id);
    await services.notifications.deliverDue();
    const wecom = started(await fakeWecom());
    await services.notifications.addChannel({ kind: 'wecom', url: `${wecom.url}/send`, scopeCode: a.code });

    for (const day of ['2026-10-01', '2026-10-05', '2026-10-11']) {
      // 国庆节 holidays (a Thursday, a Monday) and an ordinary Sunday.
      c.set(`${day}T09:00:00+08:00`);
      await services.notifications.deliverDue();
    }
    expect(await digests(sql)).toEqual([]);

    // Saturday 10 October 2026 is a working day (国庆节调休上班).
    c.set('2026-10-10T09:00:00+08:00');
    await services.notifications.deliverDue();
    expect((await digests(sql)).map((d) => d.digestDay)).toEqual(['2026-10-10']);
    expect(wecomText(digestsAt(wecom)[0]!)).toContain('待办 1');
  });

  it('when a channel is added after the day’s digest went, then it gets its own that day, and no channel gets a second', async () => {
    const c = clock('2026-11-27T10:00:00+08:00');
    const { services, sql } = buildApp({ config: digestConfig(), now: c.now });
    const a = await aVillage(sql, { name: '甲庄村' });
    await file(services, sql, a.id);
    await services.notifications.deliverDue();
    const first = started(await fakeWecom());
    const ch1 = await services.notifications.addChannel({ kind: 'wecom', url: `${first.url}/send`, scopeCode: a.code });
    c.set('2026-11-30T08:30:00+08:00');
    await services.notifications.deliverDue();
    const later = started(await fakeWecom());
    const ch2 = await services.notifications.addChannel({ kind: 'wecom', url: `${later.url}/send`, scopeCode: '370812103' });
    c.set('2026-11-30T09:00:00+08:00');
    await services.notifications.deliverDue();
    expect((await digests(sql)).map((d) => d.channelId)).toEqual([ch1, ch2]);
    expect(digestsAt(first)).toHaveLength(1);
    expect(digestsAt(later)).toHaveLength(1);
  });

  it('when nothing is open in any channel’s place, then no digest is sent', async () => {
    const c = clock('2026-11-30T09:00:00+08:00');
    const { services, sql } = buildApp({ config: digestConfig(), now: c.now });
    const wecom = started(await fakeWecom());
    await services.notifications.addChannel({ kind: 'wecom', url: `${wecom.url}/send`, scopeCode: '370812' });
    await services.notifications.deliverDue();
    expect(await digests(sql)).toEqual([]);
    expect(wecom.received).toEqual([]);
  });

  it('when MASHANG_NOTIFY_DIGEST_AT is empty, then no digest is made', async () => {
    const c = clock('2026-11-27T10:00:00+08:00');
    const { services, sql } = buildApp({ config: digestConfig(null), now: c.now });
    const a = await aVillage(sql, { name: '甲庄村' });
    await file(services, sql, a.id);
    await services.notifications.addChannel({ kind: 'wecom', url: 'http://127.0.0.1:9/send', scopeCode: a.code });
    c.set('2026-11-30T09:00:00+08:00');
    await services.notifications.deliverDue();
    expect(await digests(sql)).toEqual([]);
  });

  it('in the delivery log, a village cadre sees the digest of their village and a 404 for the township’s', async () => {
    const c = clock('2026-11-27T10:00:00+08:00');
    const { app, services, sql } = buildApp({ config: digestConfig(), now: c.now });
    const a = await aVillage(sql, { name: '甲庄村' });
    await file(services, sql, a.id);
    await services.notifications.deliverDue();
    await services.notifications.addChannel({ kind: 'webhook', url: 'http://127.0.0.1:9/a', scopeCode: a.code });
    await services.notifications.addChannel({ kind: 'webhook', url: 'http://127.0.0.1:9/town', scopeCode: '370812103' });
    c.set('2026-11-30T08:30:00+08:00');
    await services.notifications.deliverDue();
    const ids = await sql.column<number>("SELECT id FROM notification_deliveries WHERE message = 'digest' ORDER BY scope_code DESC");
    expect(ids).toHaveLength(2);
    const cadre = scopeOf([a.id]);
    // (On PostgreSQL the filing's event is read again until the cursor passes it, and the channels hear of it too.)
    const log = (await services.notifications.list(cadre, { channel: 'webhook' }, 1)).rows.filter((r) => r.message === 'digest');
    expect(log.map((r) => r.id)).toEqual([ids[0]]);
    expect(log[0]).toMatchObject({ message: 'digest', digestDay: '2026-11-30', text: '甲庄村待办提醒 11月30日' });
    await expect(services.notifications.get(cadre, ids[1]!)).rejects.toThrow();
    const townIds = await sql.column<number>("SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.code = '370812103'");
    const township = await services.notifications.list(scopeOf(townIds), { channel: 'webhook' }, 1);
    expect(
      township.rows
        .filter((r) => r.message === 'digest')
        .map((r) => r.id)
        .sort(),
    ).toEqual([...ids].sort());

    // The pages: the log lists the digest by its day, and its own page shows the message.
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(app, staff.username);
    const list = await agent.get('/admin/notifications?channel=webhook').expect(200);
    expect(list.text).toContain('每日待办提醒');
    expect(list.text).toContain('2026-11-30');
    const one = await agent.get(`/admin/notifications/${ids[1]}`).expect(200);
    expect(one.text).toContain('颜店镇待办提醒 11月30日');
    // A cadre of the village may not open the township's.
    const cadreRow = await aCadre(sql, { villageId: a.id, phone: '19900007301' });
    const cadreUser = await aUser(services, { role: 'cadre', cadreId: cadreRow.id });
    await (await signIn(app, cadreUser.username)).get(`/admin/notifications/${ids[1]}`).expect(404);
  });
});
