import type { Db } from '../../src/db/index.js';
import type { Services } from '../../src/services.js';
import type { CaseState } from '../../src/features/cases/machine.js';
import { demoHousehold } from './builders.js';

/**
 * A case filed through the real service, then moved to `state` by writing what the back office
 * would write (state and events), for tests of the villager's side.
 */
export async function aCase(
  db: Db,
  services: Services,
  o: { state?: CaseState; phone?: string; content?: string; resolvedAt?: Date; internalNote?: string; publicReply?: string } = {},
) {
  const h = demoHousehold(db);
  const plate = await services.places.plateByToken(h.token);
  const { token, trackingNo } = await services.cases.submit({
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
  });
  const id = db.prepare('SELECT id FROM cases WHERE token = ?').pluck().get(token) as number;
  const event = db.prepare(`INSERT INTO case_events (case_id, at, actor, type, from_state, to_state, public, body) VALUES (?, ?, 'user', ?, ?, ?, ?, ?)`);
  const at = new Date().toISOString();
  if (o.internalNote) event.run(id, at, 'note', null, null, 0, o.internalNote);
  if (o.publicReply) event.run(id, at, 'reply', null, null, 1, o.publicReply);
  const state = o.state ?? 'submitted';
  if (state !== 'submitted') {
    const resolvedAt = state === 'resolved' || state === 'closed' ? (o.resolvedAt ?? new Date()).toISOString() : null;
    db.prepare('UPDATE cases SET state = ?, resolved_at = ?, version = version + 1 WHERE id = ?').run(state, resolvedAt, id);
    event.run(
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
