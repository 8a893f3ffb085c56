import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { demoHousehold } from '../helpers/builders.js';
import { helpRequest } from '../helpers/cases.js';
import { onPostgres } from '../helpers/engine.js';

/**
 * The notifications' cursor over case events, when ids are not committed in their order. On
 * PostgreSQL two transactions can take event ids 100 and 101 and commit 101 first; a cursor moved to
 * 101 at once would never see 100, and its SMS would never go. (On SQLite one write transaction at a
 * time makes ids visible in order: the case cannot arise, so this runs on the PostgreSQL run.)
 */
describe.runIf(onPostgres)('the outbox on PostgreSQL, with events committed out of their id order', () => {
  it('an event committed after a later one is still planned', async () => {
    const { services, sql, database } = buildApp();
    const h = await demoHousehold(sql);
    const plate = await services.places.plateByToken(h.token);
    const file = (content: string) => services.cases.submit(helpRequest(plate, { content, notifySms: true }));
    const first = await file('家里的自来水管冻裂了，请帮忙联系维修');
    await services.notifications.deliverDue();
    const caseId = Number(await sql.value('SELECT id FROM cases WHERE token = ?', first.token));

    // a reply to the first case, written in a transaction that stays open …
    const slow = await database.pool!.connect();
    try {
      await slow.query('BEGIN');
      const { rows } = await slow.query<{ id: number }>(
        `INSERT INTO case_events (case_id, at, actor, type, from_state, to_state, public, body)
         VALUES ($1, $2, 'user', 'reply', NULL, NULL, 1, '已安排水务站明天上门') RETURNING id`,
        [caseId, new Date().toISOString()],
      );
      const replyId = rows[0]!.id;
      // … while another case is filed (a later id, committed first) and the outbox runs
      const second = await file('村口的路灯坏了三天了');
      await services.notifications.deliverDue();
      const secondEvent = Number(await sql.value('SELECT min(e.id) FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.token = ?', second.token));
      expect(secondEvent).toBeGreaterThan(replyId);
      expect(Number(await sql.value('SELECT count(*) FROM notification_deliveries WHERE event_id = ?', secondEvent))).toBe(1);
      await slow.query('COMMIT');

      await services.notifications.deliverDue();
      const reply = await sql.all<{ message: string; recipient: string }>(
        'SELECT message, recipient FROM notification_deliveries WHERE event_id = ? ORDER BY id',
        replyId,
      );
      expect(reply).toEqual([{ message: 'replied', recipient: '13912345678' }]);
    } finally {
      slow.release();
    }
    // planned once each, however many rounds read them again
    await services.notifications.deliverDue();
    expect(Number(await sql.value('SELECT count(*) FROM notification_deliveries'))).toBe(3);
  });

  it("an event written with an old time (as a job's start) does not let the cursor pass an earlier one still being written", async () => {
    const { services, sql, database } = buildApp();
    const h = await demoHousehold(sql);
    const plate = await services.places.plateByToken(h.token);
    const filed = await services.cases.submit(helpRequest(plate, { notifySms: true }));
    await services.notifications.deliverDue();
    // as when a while has passed: the cursor is past every event so far
    await sql.run("UPDATE notification_cursor SET last_event_id = (SELECT max(id) FROM case_events) WHERE name = 'case_events'");
    const caseId = Number(await sql.value('SELECT id FROM cases WHERE token = ?', filed.token));
    const slow = await database.pool!.connect();
    try {
      await slow.query('BEGIN');
      const { rows } = await slow.query<{ id: number }>(
        `INSERT INTO case_events (case_id, at, actor, type, from_state, to_state, public, body)
         VALUES ($1, $2, 'user', 'reply', NULL, NULL, 1, '已安排水务站明天上门') RETURNING id`,
        [caseId, new Date().toISOString()],
      );
      const replyId = rows[0]!.id;
      // a later event, committed first, whose time was taken ten minutes earlier
      const old = new Date(Date.now() - 10 * 60_000).toISOString();
      await sql.run(
        `INSERT INTO case_events (case_id, at, actor, type, from_state, to_state, public, body) VALUES (?, ?, 'system', 'note', NULL, NULL, 0, '')`,
        caseId,
        old,
      );
      await services.notifications.deliverDue();
      await slow.query('COMMIT');
      await services.notifications.deliverDue();
      expect(await sql.all('SELECT message FROM notification_deliveries WHERE event_id = ?', replyId)).toEqual([{ message: 'replied' }]);
    } finally {
      slow.release();
    }
  });
});
