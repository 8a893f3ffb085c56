import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.js';
import { contains, inList } from '../../db/dialect.js';

export interface PlateView {
  plateId: number;
  token: string;
  kind: 'household' | 'village';
  status: 'active' | 'replaced';
  householdId: number | null;
  address: string | null;
  villageId: number;
  villageCode: string;
  villageName: string;
  townName: string;
  districtId: number;
  districtCode: string;
  districtName: string;
  /** the district's hotline, for the footer */
  districtHotline: string;
  /** the town's 便民服务中心: address, hours, telephone ('' when not recorded) */
  centreAddress: string;
  centreHours: string;
  centrePhone: string;
}

export interface HouseholdFile {
  id: number;
  address: string;
  contactName: string | null;
  contactPhone: string | null;
  notes: string;
  villageId: number;
  villageName: string;
  townName: string;
}

export interface Visit {
  id: number;
  visitedOn: string;
  notes: string;
  userName: string;
}

/** A household as the import file has it: empty strings for what is not recorded. */
export interface HouseholdRecord {
  villageCode: string;
  villageId: number;
  address: string;
  contactName: string;
  contactPhone: string;
  notes: string;
}

export interface VillageRow {
  id: number;
  code: string;
  name: string;
  townId: number;
  townName: string;
  districtId: number;
  /** WGS-84 decimal degrees of the village committee's seat; null (both) when not known */
  latitude: number | null;
  longitude: number | null;
}

/** One village with its township (and its 便民服务中心) and district: a row of the places import. */
export interface PlaceRow {
  districtCode: string;
  districtName: string;
  townCode: string;
  townName: string;
  centreAddress: string;
  centreHours: string;
  centrePhone: string;
  villageCode: string;
  villageName: string;
  /**
   * The village's WGS-84 coordinates (both or neither; null when not known). Undefined in a row
   * from a file without the columns: the stored ones are kept.
   */
  latitude?: number | null;
  longitude?: number | null;
}

/** A district: the boundary of its catalogue, places, people, channels and keys. */
export interface DistrictRow {
  id: number;
  code: string;
  name: string;
  /** the number in the resident pages' footer */
  hotline: string;
}

// A plate with its household, village, township and district: what a scanned plate shows.
const PLATE_VIEW = sql`
  SELECT p.id AS "plateId", p.token, p.kind, p.status, p.household_id AS "householdId", h.address,
         v.id AS "villageId", v.code AS "villageCode", v.name AS "villageName", t.name AS "townName",
         d.id AS "districtId", d.code AS "districtCode", d.name AS "districtName", d.hotline AS "districtHotline",
         t.centre_address AS "centreAddress", t.centre_hours AS "centreHours", t.centre_phone AS "centrePhone"
  FROM plates p
  JOIN villages v ON v.id = p.village_id
  JOIN towns t ON t.id = v.town_id
  JOIN districts d ON d.id = t.district_id
  LEFT JOIN households h ON h.id = p.household_id`;
const HOUSEHOLD_RECORD = sql`SELECT v.code AS "villageCode", v.id AS "villageId", h.address, coalesce(h.contact_name, '') AS "contactName",
    coalesce(h.contact_phone, '') AS "contactPhone", h.notes
  FROM households h JOIN villages v ON v.id = h.village_id`;

/** A village's coordinates, or null when not known. */
export type Coordinates = { latitude: number; longitude: number } | null;

type HouseholdFields = { address: string; contactName: string | null; contactPhone: string | null; notes: string };

export function createPlacesRepo(db: Database) {
  const one = async <T>(query: RawBuilder<{ v: T }>) => (await db.get(query))?.v;
  const readRevision = db.fixed(sql<{ v: number }>`SELECT rev AS v FROM places_revision WHERE id = 1`);
  const insertedId = async (query: RawBuilder<{ id: number }>) => (await db.get(query))!.id;
  const insertVillagePlate = (token: string, villageId: number) =>
    db.run(sql`INSERT INTO plates (token, kind, village_id) VALUES (${token}, 'village', ${villageId})`);
  const insertHouseholdPlate = (token: string, householdId: number, villageId: number) =>
    db.run(sql`INSERT INTO plates (token, kind, household_id, village_id) VALUES (${token}, 'household', ${householdId}, ${villageId})`);
  const insertVillage = (townId: number, code: string, name: string, at: Coordinates) =>
    insertedId(
      sql`INSERT INTO villages (town_id, code, name, latitude, longitude)
          VALUES (${townId}, ${code}, ${name}, ${at?.latitude ?? null}, ${at?.longitude ?? null}) RETURNING id`,
    );
  const setVillageCoordinates = async (code: string, at: Coordinates) =>
    (await db.run(sql`UPDATE villages SET latitude = ${at?.latitude ?? null}, longitude = ${at?.longitude ?? null} WHERE code = ${code}`)).changes === 1;
  const renameVillage = async (code: string, name: string) => (await db.run(sql`UPDATE villages SET name = ${name} WHERE code = ${code}`)).changes === 1;

  return {
    findPlate: async (token: string) => db.get<PlateView>(sql`${PLATE_VIEW} WHERE p.token = ${token}`),
    findPlateById: async (id: number) => db.get<PlateView>(sql`${PLATE_VIEW} WHERE p.id = ${id}`),
    sampleHouseholdToken: async () => one<string>(sql`SELECT token AS v FROM plates WHERE kind = 'household' AND status = 'active' ORDER BY id LIMIT 1`),
    sampleVillageToken: async () => one<string>(sql`SELECT token AS v FROM plates WHERE kind = 'village' AND status = 'active' ORDER BY id LIMIT 1`),
    countHouseholds: async () => (await one<number>(sql`SELECT count(*) AS v FROM households`))!,
    /** read on every scan and every 码上查 page: a statement of its own (Database.fixed) */
    revision: async () => (await readRevision())!.v,
    villages: async () =>
      db.all<VillageRow>(sql`SELECT v.id, v.code, v.name, t.id AS "townId", t.name AS "townName", t.district_id AS "districtId", v.latitude, v.longitude
        FROM villages v JOIN towns t ON t.id = v.town_id ORDER BY t.code, v.code`),
    /** These villages (a user's scope), by township: a township's forty, not the city's six thousand. */
    villagesById: async (ids: number[]) =>
      db.all<VillageRow>(sql`SELECT v.id, v.code, v.name, t.id AS "townId", t.name AS "townName", t.district_id AS "districtId", v.latitude, v.longitude
        FROM villages v JOIN towns t ON t.id = v.town_id WHERE ${inList(db, sql`v.id`, ids)} ORDER BY t.code, v.code`),
    household: async (id: number) =>
      db.get<HouseholdFile>(sql`SELECT h.id, h.address, h.contact_name AS "contactName", h.contact_phone AS "contactPhone", h.notes,
          v.id AS "villageId", v.name AS "villageName", t.name AS "townName"
        FROM households h JOIN villages v ON v.id = h.village_id JOIN towns t ON t.id = v.town_id WHERE h.id = ${id}`),
    listHouseholds: async (villageId: number, q: string) =>
      db.all<{
        id: number;
        address: string;
        contactName: string | null;
        contactPhone: string | null;
        notes: string;
        token: string | null;
      }>(sql`SELECT h.id, h.address, h.contact_name AS "contactName", h.contact_phone AS "contactPhone", h.notes,
          (SELECT token FROM plates p WHERE p.household_id = h.id AND p.status = 'active') AS token
        FROM households h
        WHERE h.village_id = ${villageId}
          AND (CAST(${q} AS text) = '' OR ${contains(db, sql`h.address`, q)} OR ${contains(db, sql`coalesce(h.contact_name, '')`, q)})
        ORDER BY h.id LIMIT 500`),
    updateHousehold: async (id: number, h: HouseholdFields) =>
      db.run(
        sql`UPDATE households SET address = ${h.address}, contact_name = ${h.contactName}, contact_phone = ${h.contactPhone}, notes = ${h.notes} WHERE id = ${id}`,
      ),
    insertHousehold: async (villageId: number, h: HouseholdFields, token: string) => {
      const id = await insertedId(
        sql`INSERT INTO households (village_id, address, contact_name, contact_phone, notes)
            VALUES (${villageId}, ${h.address}, ${h.contactName}, ${h.contactPhone}, ${h.notes}) RETURNING id`,
      );
      await insertHouseholdPlate(token, id, villageId);
      return id;
    },
    /** Households of these villages, as the import file has them. */
    householdsIn: async (villageIds: number[]) =>
      villageIds.length === 0 ? [] : db.all<HouseholdRecord>(sql`${HOUSEHOLD_RECORD} WHERE ${inList(db, sql`v.id`, villageIds)}`),
    /** The same, by township, village and age (the export's order). */
    exportHouseholds: async (villageIds: number[]) =>
      villageIds.length === 0
        ? []
        : db.all<HouseholdRecord>(
            sql`${HOUSEHOLD_RECORD} JOIN towns t ON t.id = v.town_id WHERE ${inList(db, sql`v.id`, villageIds)} ORDER BY t.code, v.code, h.id`,
          ),
    /** Marks the household's plate replaced and issues a new one. Call inside a transaction. */
    async reissueHouseholdPlate(householdId: number, villageId: number, token: string, at: string): Promise<number> {
      await db.run(
        sql`UPDATE plates SET status = 'replaced', replaced_at = ${at} WHERE household_id = ${householdId} AND status = 'active' AND kind = 'household'`,
      );
      return insertedId(
        sql`INSERT INTO plates (token, kind, household_id, village_id, issued_at) VALUES (${token}, 'household', ${householdId}, ${villageId}, ${at}) RETURNING id`,
      );
    },
    /**
     * Adds the households whose (village, address) is new, each with its plate (token(i) for rows[i]),
     * a hundred rows a statement: a round trip per row would make a large import slow on PostgreSQL.
     * Returns, for each row, whether it was added.
     */
    insertHouseholdsIfNew: async (rows: Array<HouseholdFields & { villageId: number }>, token: (i: number) => string): Promise<boolean[]> => {
      const added: boolean[] = [];
      for (let start = 0; start < rows.length; start += 100) {
        const batch = rows.slice(start, start + 100);
        const inserted = await db.all<{ id: number; villageId: number; address: string }>(
          sql`INSERT INTO households (village_id, address, contact_name, contact_phone, notes)
              VALUES ${sql.join(batch.map((h) => sql`(${h.villageId}, ${h.address}, ${h.contactName}, ${h.contactPhone}, ${h.notes})`))}
              ON CONFLICT (village_id, address) DO NOTHING RETURNING id, village_id AS "villageId", address`,
        );
        const ids = new Map(inserted.map((r) => [`${r.villageId}|${r.address}`, r.id]));
        const plates: RawBuilder<unknown>[] = [];
        batch.forEach((h, i) => {
          const key = `${h.villageId}|${h.address}`;
          const id = ids.get(key);
          ids.delete(key); // the same address twice: added once, then changed
          added.push(id !== undefined);
          if (id !== undefined) plates.push(sql`(${token(start + i)}, 'household', ${id}, ${h.villageId})`);
        });
        if (plates.length) await db.run(sql`INSERT INTO plates (token, kind, household_id, village_id) VALUES ${sql.join(plates)}`);
      }
      return added;
    },
    /** Changes the contact and notes of the household at this address. */
    updateHouseholdAt: async (villageId: number, h: HouseholdFields) =>
      db.run(
        sql`UPDATE households SET contact_name = ${h.contactName}, contact_phone = ${h.contactPhone}, notes = ${h.notes}
            WHERE village_id = ${villageId} AND address = ${h.address}`,
      ),
    addressTaken: async (villageId: number, address: string, exceptId: number) =>
      (await db.get(sql`SELECT id FROM households WHERE village_id = ${villageId} AND address = ${address} AND id != ${exceptId}`)) !== undefined,
    towns: async (districtIds: number[] | 'all') =>
      db.all<{ id: number; districtId: number; code: string; name: string; villages: number; centreAddress: string; centreHours: string; centrePhone: string }>(
        sql`SELECT t.id, t.district_id AS "districtId", t.code, t.name, (SELECT count(*) FROM villages v WHERE v.town_id = t.id) AS villages,
              t.centre_address AS "centreAddress", t.centre_hours AS "centreHours", t.centre_phone AS "centrePhone"
            FROM towns t WHERE ${districtIds === 'all' ? sql`TRUE` : inList(db, sql`t.district_id`, districtIds)} ORDER BY t.code`,
      ),
    districts: async () => db.all<DistrictRow>(sql`SELECT id, code, name, hotline FROM districts ORDER BY code`),
    addDistrict: async (code: string, name: string) =>
      (await db.get<{ id: number }>(sql`INSERT INTO districts (code, name) VALUES (${code}, ${name}) RETURNING id`))!.id,
    setDistrictHotline: async (code: string, hotline: string) =>
      (await db.run(sql`UPDATE districts SET hotline = ${hotline} WHERE code = ${code}`)).changes === 1,
    setTownCentre: async (code: string, c: { address: string; hours: string; phone: string }) =>
      (await db.run(sql`UPDATE towns SET centre_address = ${c.address}, centre_hours = ${c.hours}, centre_phone = ${c.phone} WHERE code = ${code}`)).changes ===
      1,
    renameTown: async (code: string, name: string) => (await db.run(sql`UPDATE towns SET name = ${name} WHERE code = ${code}`)).changes === 1,
    renameVillage,
    setVillageCoordinates,
    townId: async (code: string) => one<number>(sql`SELECT id AS v FROM towns WHERE code = ${code}`),
    villageCodeTaken: async (code: string) => (await db.get(sql`SELECT 1 AS v FROM villages WHERE code = ${code}`)) !== undefined,
    insertVillage: async (townId: number, code: string, name: string, at: Coordinates, token: string) => {
      const id = await insertVillage(townId, code, name, at);
      await insertVillagePlate(token, id);
      return id;
    },
    /** Every village with its township and district, as the places import and export read them. */
    placeRows: async () =>
      db.all<PlaceRow & { villageId: number }>(
        sql`SELECT v.id AS "villageId", d.code AS "districtCode", d.name AS "districtName", t.code AS "townCode", t.name AS "townName",
              t.centre_address AS "centreAddress", t.centre_hours AS "centreHours", t.centre_phone AS "centrePhone", v.code AS "villageCode", v.name AS "villageName",
              v.latitude, v.longitude
            FROM villages v JOIN towns t ON t.id = v.town_id JOIN districts d ON d.id = t.district_id ORDER BY t.code, v.code`,
      ),
    /**
     * Adds or updates the district, township and village of one row, keyed on their codes; a new
     * village gets its plate. Only what differs is written.
     */
    upsertPlace: async (p: PlaceRow, villagePlateToken: () => string) => {
      const district = await db.get<{ id: number; name: string }>(sql`SELECT id, name FROM districts WHERE code = ${p.districtCode}`);
      const districtId = district?.id ?? (await insertedId(sql`INSERT INTO districts (code, name) VALUES (${p.districtCode}, ${p.districtName}) RETURNING id`));
      if (district && district.name !== p.districtName) await db.run(sql`UPDATE districts SET name = ${p.districtName} WHERE id = ${districtId}`);
      const town = await db.get<{ id: number; districtId: number; name: string; address: string; hours: string; phone: string }>(
        sql`SELECT id, district_id AS "districtId", name, centre_address AS address, centre_hours AS hours, centre_phone AS phone FROM towns WHERE code = ${p.townCode}`,
      );
      const townId =
        town?.id ??
        (await insertedId(
          sql`INSERT INTO towns (district_id, code, name, centre_address, centre_hours, centre_phone)
              VALUES (${districtId}, ${p.townCode}, ${p.townName}, ${p.centreAddress}, ${p.centreHours}, ${p.centrePhone}) RETURNING id`,
        ));
      if (town && (town.name !== p.townName || town.address !== p.centreAddress || town.hours !== p.centreHours || town.phone !== p.centrePhone)) {
        await db.run(
          sql`UPDATE towns SET name = ${p.townName}, centre_address = ${p.centreAddress}, centre_hours = ${p.centreHours}, centre_phone = ${p.centrePhone}
              WHERE id = ${townId}`,
        );
      }
      const village = await db.get<{ id: number; townId: number; name: string; latitude: number | null; longitude: number | null }>(
        sql`SELECT id, town_id AS "townId", name, latitude, longitude FROM villages WHERE code = ${p.villageCode}`,
      );
      const at = p.latitude != null && p.longitude != null ? { latitude: p.latitude, longitude: p.longitude } : null;
      if (!village) await insertVillagePlate(villagePlateToken(), await insertVillage(townId, p.villageCode, p.villageName, at));
      else {
        if (village.name !== p.villageName) await renameVillage(p.villageCode, p.villageName);
        // a file without the coordinate columns leaves them as they are
        if (p.latitude !== undefined && (village.latitude !== (at?.latitude ?? null) || village.longitude !== (at?.longitude ?? null))) {
          await setVillageCoordinates(p.villageCode, at);
        }
      }
    },
    activePlateToken: async (householdId: number) => one<string>(sql`SELECT token AS v FROM plates WHERE household_id = ${householdId} AND status = 'active'`),
    visits: async (householdId: number) =>
      db.all<Visit>(sql`SELECT hv.id, hv.visited_on AS "visitedOn", hv.notes, u.display_name AS "userName"
        FROM household_visits hv JOIN users u ON u.id = hv.user_id WHERE hv.household_id = ${householdId} ORDER BY hv.visited_on DESC, hv.id DESC LIMIT 100`),
    addVisit: async (householdId: number, userId: number, visitedOn: string, notes: string, at: string) =>
      insertedId(
        sql`INSERT INTO household_visits (household_id, user_id, visited_on, notes, created_at)
            VALUES (${householdId}, ${userId}, ${visitedOn}, ${notes}, ${at}) RETURNING id`,
      ),
  };
}

export type PlacesRepo = ReturnType<typeof createPlacesRepo>;
