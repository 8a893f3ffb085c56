import fs from 'node:fs';
import path from 'node:path';
import { buildApp, type TestApp } from './app.js';
import { emptyDb } from './db.js';
import { aCadre, aHousehold, aVillage } from './builders.js';
import { helpRequest } from './cases.js';
import type { Objects } from './id-routes.js';

/** District B of the city tests: a real code and name, its places and people made up. */
export const DISTRICT_B = { code: '370881', name: '曲阜市', town: '370881901', townName: '尼山矩阵镇', village: '370881901201', villageName: '尼山矩阵村' };

/** Words found only on B's objects, to look for in A's lists. */
export const B_MARKS = {
  household: '尼山矩阵路8号',
  content: '尼山矩阵：村口路灯坏了，请派人维修',
  cadre: '孔尼山',
  template: '尼山模板',
  districtTemplate: '尼山全区模板',
  apiKey: '尼山密钥',
  channel: 'nishanmatrix',
  user: 'nishanuser',
};

export interface SecondDistrict {
  aId: number;
  bId: number;
  /** one of each of B's objects, as the id-route table takes them */
  objects: Objects;
  trackingNo: string;
  /** B's API key, as a client sends it */
  apiKey: string;
  /** a user of B (the object of /admin/users/:id/active) */
  userId: number;
}

/**
 * Adds district B (曲阜市) beside the demo's 兖州区 (A): a township and a village with a household,
 * a cadre, a case with a photo and a failed SMS, a township template and a district-wide one, a group
 * robot, an API key, a user and one catalogue item of its own (a copy of one of A's, renamed and
 * recoded).
 */
export async function secondDistrict(stack: Pick<TestApp, 'services' | 'sql'>): Promise<SecondDistrict> {
  const { services, sql } = stack;
  const aId = (await services.places.districtByCode('370812'))!.id;
  // the seeded demo holds 曲阜市 already; an installation without it gets it here
  const bId = (await services.places.districtByCode(DISTRICT_B.code))?.id ?? (await services.places.addDistrict(DISTRICT_B.code, DISTRICT_B.name));
  await sql.run('INSERT INTO towns (district_id, code, name) VALUES (?, ?, ?)', bId, DISTRICT_B.town, DISTRICT_B.townName);
  const village = await aVillage(sql, { townCode: DISTRICT_B.town, code: DISTRICT_B.village, name: DISTRICT_B.villageName });
  const household = await aHousehold(sql, { villageId: village.id, address: B_MARKS.household, contactName: '孔繁华' });
  const cadreId = (await aCadre(sql, { villageId: village.id, name: B_MARKS.cadre, phone: '19900008801' })).id;
  await sql.run('UPDATE cadres SET district_id = ? WHERE id = ?', bId, cadreId);

  const plate = await services.places.plateByToken(household.token);
  const filed = await services.cases.submit(helpRequest(plate!, { content: B_MARKS.content, phone: '13912348801' }));
  const caseId = Number(await sql.value('SELECT id FROM cases WHERE token = ?', filed.token));
  const fileName = `district-b-${caseId}-${Date.now()}.jpg`;
  fs.mkdirSync(path.dirname(services.cases.photoPath(fileName)), { recursive: true });
  fs.writeFileSync(services.cases.photoPath(fileName), Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
  const photoId = (await sql.value<number>(
    "INSERT INTO case_photos (case_id, file_name, mime, bytes, width, height, created_at) VALUES (?, ?, 'image/jpeg', 4, 1, 1, '2026-01-01') RETURNING id",
    caseId,
    fileName,
  ))!;
  const eventId = (await sql.value<number>('SELECT min(id) FROM case_events WHERE case_id = ?', caseId))!;
  const notificationId = (await sql.value<number>(
    `INSERT INTO notification_deliveries (event_id, case_id, village_id, channel, recipient, message, body, state, attempts, next_at, created_at, updated_at)
    VALUES (?, ?, ?, 'sms', '13912348801', 'received', '已收到', 'dead', 8, '2026-01-01', '2026-01-01', '2026-01-01') RETURNING id`,
    eventId,
    caseId,
    village.id,
  ))!;

  const templateId = (await sql.value<number>(
    "INSERT INTO reply_templates (kind, title, body, town_code, district_id, created_at) VALUES ('help', ?, '尼山矩阵回复内容', ?, ?, '2026-01-01') RETURNING id",
    B_MARKS.template,
    DISTRICT_B.town,
    bId,
  ))!;
  await sql.run(
    "INSERT INTO reply_templates (kind, title, body, town_code, district_id, created_at) VALUES ('help', ?, '尼山全区回复内容', NULL, ?, '2026-01-01')",
    B_MARKS.districtTemplate,
    bId,
  );
  const channelId = await services.notifications.addChannel({
    kind: 'wecom',
    url: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${B_MARKS.channel}`,
    scopeCode: DISTRICT_B.town,
  });
  const key = await services.open311.createKey(B_MARKS.apiKey, null, bId);
  const userId = await services.staff.createUser({
    username: B_MARKS.user,
    displayName: '尼山人员',
    password: 'correct-horse-battery',
    role: 'staff',
    districtId: bId,
    scopes: [{ level: 'town', code: DISTRICT_B.town }],
  });

  // B's own item: one of A's, recoded and renamed.
  const [source] = await services.catalog.editableItems(aId, [
    (await sql.value<string>('SELECT code FROM catalog_items WHERE district_id = ? ORDER BY id LIMIT 1', aId))!,
  ]);
  const catalogCode = `B${source!.code.slice(1)}`;
  await services.catalog.saveItems(bId, [{ ...source!, code: catalogCode, implCode: `B${source!.implCode.slice(1)}`, name: '尼山矩阵专项事项' }]);

  return {
    aId,
    bId,
    trackingNo: filed.trackingNo,
    apiKey: key.key,
    userId,
    objects: {
      caseId,
      photoId,
      catalogCode,
      villageCode: village.code,
      householdId: household.id,
      plateToken: household.token,
      cadreId,
      templateId,
      apiKeyId: key.row.id,
      notificationId,
      channelId,
    },
  };
}

/** Users of the city: administrators of A and B, staff of a township of A and of B's, a cadre of B's village, a city administrator. */
export type CityWho = 'adminA' | 'staffA' | 'adminB' | 'staffB' | 'cadreB' | 'city';

export async function cityUser(
  { services, sql }: Pick<TestApp, 'services' | 'sql'>,
  d: SecondDistrict,
  who: CityWho,
  n: number,
): Promise<{ username: string; role: 'admin' | 'staff' | 'cadre' }> {
  const username = `${who.toLowerCase()}${n}`;
  const base = { username, displayName: `${who}人员`, password: 'correct-horse-battery' };
  if (who === 'city') await services.staff.createUser({ ...base, role: 'admin', districtId: null });
  else if (who === 'adminA' || who === 'adminB') await services.staff.createUser({ ...base, role: 'admin', districtId: who === 'adminA' ? d.aId : d.bId });
  else if (who === 'staffA') await services.staff.createUser({ ...base, role: 'staff', districtId: d.aId, scopes: [{ level: 'town', code: '370812103' }] });
  else if (who === 'staffB') await services.staff.createUser({ ...base, role: 'staff', districtId: d.bId, scopes: [{ level: 'town', code: DISTRICT_B.town }] });
  else {
    const villageId = (await sql.value<number>('SELECT id FROM villages WHERE code = ?', DISTRICT_B.village))!;
    const cadreId = (await aCadre(sql, { villageId, name: '颜尼山', phone: `1990000${String(8900 + n).padStart(4, '0')}` })).id;
    await sql.run('UPDATE cadres SET district_id = ? WHERE id = ?', d.bId, cadreId);
    await services.staff.createUser({ ...base, role: 'cadre', districtId: d.bId, cadreId });
  }
  return { username, role: who === 'city' || who.startsWith('admin') ? 'admin' : who.startsWith('staff') ? 'staff' : 'cadre' };
}

/**
 * An installation of one district (兖州区, one township and village, no catalogue), on SQLite: the
 * seeded demo holds two. What it shows (no chooser, no city table) is decided above the data layer.
 */
export async function oneDistrictApp(): Promise<TestApp> {
  const t = buildApp({ db: emptyDb() });
  await t.services.places.importPlaces([
    {
      districtCode: '370812',
      districtName: '兖州区',
      townCode: '370812103',
      townName: '颜店镇',
      centreAddress: '',
      centreHours: '',
      centrePhone: '',
      villageCode: '370812103201',
      villageName: '测试村',
    },
  ]);
  return t;
}
