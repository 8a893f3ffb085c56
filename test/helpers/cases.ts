import type { TestSql } from './sql.js';
import type { Services } from '../../src/services.js';
import type { CaseState } from '../../src/features/cases/machine.js';
import type { SubmitCase } from '../../src/features/cases/service.js';
import { demoHousehold } from './builders.js';

/** A help request (求助) from this household's plate, as the villager's form sends it. */
export function helpRequest(
  plate: { villageId: number; householdId: number | null; plateId: number },
  o: { content?: string; phone?: string; notifySms?: boolean } = {},
): SubmitCase {
  return {
    kind: 'help',
    category: null,
    item: null,
    villageId: plate.villageId,
    householdId: plate.householdId,
    plateId: plate.plateId,
    name: '李桂芳',
    phone: o.phone ?? '13912345678',
    anonymous: false,
    content: o.content ?? '家里的自来水管冻裂了，请帮忙联系维修',
    callbackTime: 'any',
    idempotencyKey: null,
    photos: [],
    ...(o.notifySms === undefined ? {} : { notifySms: o.notifySms }),
  };
}

/**
 * A case filed through the real service, then moved to `state` by writing what the back office
 * would write (state and events), for tests of the villager's side.
 */
export async function aCase(
  sql: TestSql,
  services: Services,
  o: { state?: CaseState; phone?: string; content?: string; resolvedAt?: Date; internalNote?: string; publicReply?: string } = {},
) {
  const h = await demoHousehold(sql);
  const plate = await services.places.plateByToken(h.token);
  const { token, trackingNo } = await services.cases.submit(helpRequest(plate, { phone: o.phone, content: o.content }));
  const id = Number(await sql.value('SELECT id FROM cases WHERE token = ?', token));
  const event = {
    run: (...values: unknown[]) =>
      sql.run(`INSERT INTO case_events (case_id, at, actor, type, from_state, to_state, public, body) VALUES (?, ?, 'user', ?, ?, ?, ?, ?)`, ...values),
  };
  const at = new Date().toISOString();
  if (o.internalNote) await event.run(id, at, 'note', null, null, 0, o.internalNote);
  if (o.publicReply) await event.run(id, at, 'reply', null, null, 1, o.publicReply);
  const state = o.state ?? 'submitted';
  if (state !== 'submitted') {
    const resolvedAt = state === 'resolved' || state === 'closed' ? (o.resolvedAt ?? new Date()).toISOString() : null;
    await sql.run('UPDATE cases SET state = ?, resolved_at = ?, version = version + 1 WHERE id = ?', state, resolvedAt, id);
    await event.run(
      id,
      resolvedAt ?? at,
      state === 'resolved' ? 'resolved' : 'accepted',
      'submitted',
      state,
      1,
      state === 'resolved' ? '已联系水务站上门维修，管道已更换。' : '',
    );
  }
  return { id, token, trackingNo, household: h };
}

/** Many cases at once, straight into the table, in one transaction (see scripts/many-cases.ts). */
export { insertManyCases as manyCases } from '../../scripts/many-cases.js';
