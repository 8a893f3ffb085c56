import type { Db } from '../../db/index.js';

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
  districtName: string;
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
}

export function createPlacesRepo(db: Db) {
  // A plate with its household, village, township and district: what a scanned plate shows.
  const PLATE_VIEW = `
    SELECT p.id AS plateId, p.token, p.kind, p.status, p.household_id AS householdId, h.address,
           v.id AS villageId, v.code AS villageCode, v.name AS villageName, t.name AS townName, d.name AS districtName,
           t.centre_address AS centreAddress, t.centre_hours AS centreHours, t.centre_phone AS centrePhone
    FROM plates p
    JOIN villages v ON v.id = p.village_id
    JOIN towns t ON t.id = v.town_id
    JOIN districts d ON d.id = t.district_id
    LEFT JOIN households h ON h.id = p.household_id`;
  const byToken = db.prepare(`${PLATE_VIEW} WHERE p.token = ?`);
  const byPlateId = db.prepare(`${PLATE_VIEW} WHERE p.id = ?`);
  const sampleHouseholdPlate = db.prepare(`
    SELECT token FROM plates WHERE kind = 'household' AND status = 'active' ORDER BY id LIMIT 1`);
  const sampleVillagePlate = db.prepare(`
    SELECT token FROM plates WHERE kind = 'village' AND status = 'active' ORDER BY id LIMIT 1`);
  const countHouseholds = db.prepare('SELECT count(*) FROM households').pluck();
  const villages = db.prepare(`SELECT v.id, v.code, v.name, t.id AS townId, t.name AS townName
    FROM villages v JOIN towns t ON t.id = v.town_id ORDER BY t.code, v.code`);
  const revision = db.prepare('SELECT rev FROM places_revision WHERE id = 1').pluck();
  const household = db.prepare(`SELECT h.id, h.address, h.contact_name AS contactName, h.contact_phone AS contactPhone, h.notes,
      v.id AS villageId, v.name AS villageName, t.name AS townName
    FROM households h JOIN villages v ON v.id = h.village_id JOIN towns t ON t.id = v.town_id WHERE h.id = ?`);
  const visits = db.prepare(`SELECT hv.id, hv.visited_on AS visitedOn, hv.notes, u.display_name AS userName
    FROM household_visits hv JOIN users u ON u.id = hv.user_id WHERE hv.household_id = ? ORDER BY hv.visited_on DESC, hv.id DESC LIMIT 100`);
  const plateOfHousehold = db.prepare("SELECT token FROM plates WHERE household_id = ? AND status = 'active'").pluck();
  const listHouseholds = db.prepare(`SELECT h.id, h.address, h.contact_name AS contactName, h.contact_phone AS contactPhone, h.notes,
      (SELECT token FROM plates p WHERE p.household_id = h.id AND p.status = 'active') AS token
    FROM households h WHERE h.village_id = ? AND (? = '' OR instr(h.address, ?) > 0 OR instr(coalesce(h.contact_name, ''), ?) > 0)
    ORDER BY h.id LIMIT 500`);
  const updateHousehold = db.prepare('UPDATE households SET address = ?, contact_name = ?, contact_phone = ?, notes = ? WHERE id = ?');
  const insertHousehold = db.prepare('INSERT INTO households (village_id, address, contact_name, contact_phone, notes) VALUES (?, ?, ?, ?, ?)');
  const insertPlate = db.prepare("INSERT INTO plates (token, kind, household_id, village_id) VALUES (?, 'household', ?, ?)");
  const addressTaken = db.prepare('SELECT id FROM households WHERE village_id = ? AND address = ? AND id != ?').pluck();
  const towns = db.prepare(`SELECT t.id, t.code, t.name, (SELECT count(*) FROM villages v WHERE v.town_id = t.id) AS villages,
    t.centre_address AS centreAddress, t.centre_hours AS centreHours, t.centre_phone AS centrePhone
    FROM towns t ORDER BY t.code`);
  const setTownCentre = db.prepare('UPDATE towns SET centre_address = ?, centre_hours = ?, centre_phone = ? WHERE code = ?');
  const renameTown = db.prepare('UPDATE towns SET name = ? WHERE code = ?');
  const renameVillage = db.prepare('UPDATE villages SET name = ? WHERE code = ?');
  const townByCode = db.prepare('SELECT id FROM towns WHERE code = ?').pluck();
  const villageCodeTaken = db.prepare('SELECT 1 FROM villages WHERE code = ?').pluck();
  const insertVillage = db.prepare('INSERT INTO villages (town_id, code, name) VALUES (?, ?, ?)');
  const insertVillagePlate = db.prepare("INSERT INTO plates (token, kind, village_id) VALUES (?, 'village', ?)");
  const HOUSEHOLD_RECORD = `SELECT v.code AS villageCode, v.id AS villageId, h.address, coalesce(h.contact_name, '') AS contactName,
      coalesce(h.contact_phone, '') AS contactPhone, h.notes
    FROM households h JOIN villages v ON v.id = h.village_id`;
  const householdsIn = db.prepare(`${HOUSEHOLD_RECORD} WHERE v.id IN (SELECT value FROM json_each(?))`);
  const exportHouseholds = db.prepare(`${HOUSEHOLD_RECORD} JOIN towns t ON t.id = v.town_id
    WHERE v.id IN (SELECT value FROM json_each(?)) ORDER BY t.code, v.code, h.id`);
  const replaceActivePlate = db.prepare(
    "UPDATE plates SET status = 'replaced', replaced_at = ? WHERE household_id = ? AND status = 'active' AND kind = 'household'",
  );
  const insertIssuedPlate = db.prepare("INSERT INTO plates (token, kind, household_id, village_id, issued_at) VALUES (?, 'household', ?, ?, ?)");
  const insertHouseholdIfNew = db.prepare(
    'INSERT INTO households (village_id, address, contact_name, contact_phone, notes) VALUES (?, ?, ?, ?, ?) ON CONFLICT (village_id, address) DO NOTHING',
  );
  const updateHouseholdAt = db.prepare('UPDATE households SET contact_name = ?, contact_phone = ?, notes = ? WHERE village_id = ? AND address = ?');
  const addVisit = db.prepare('INSERT INTO household_visits (household_id, user_id, visited_on, notes, created_at) VALUES (?, ?, ?, ?, ?)');
  const placeRows = db.prepare(`SELECT v.id AS villageId, d.code AS districtCode, d.name AS districtName, t.code AS townCode, t.name AS townName,
      t.centre_address AS centreAddress, t.centre_hours AS centreHours, t.centre_phone AS centrePhone, v.code AS villageCode, v.name AS villageName
    FROM villages v JOIN towns t ON t.id = v.town_id JOIN districts d ON d.id = t.district_id ORDER BY t.code, v.code`);
  const districtByCode = db.prepare('SELECT id, name FROM districts WHERE code = ?');
  const insertDistrict = db.prepare('INSERT INTO districts (code, name) VALUES (?, ?)');
  const renameDistrict = db.prepare('UPDATE districts SET name = ? WHERE id = ?');
  const townRow = db.prepare(`SELECT id, district_id AS districtId, name, centre_address AS address, centre_hours AS hours, centre_phone AS phone
    FROM towns WHERE code = ?`);
  const insertTown = db.prepare('INSERT INTO towns (district_id, code, name, centre_address, centre_hours, centre_phone) VALUES (?, ?, ?, ?, ?, ?)');
  const updateTown = db.prepare('UPDATE towns SET name = ?, centre_address = ?, centre_hours = ?, centre_phone = ? WHERE id = ?');
  const villageRow = db.prepare('SELECT id, town_id AS townId, name FROM villages WHERE code = ?');

  return {
    findPlate: (token: string) => byToken.get(token) as PlateView | undefined,
    findPlateById: (id: number) => byPlateId.get(id) as PlateView | undefined,
    sampleHouseholdToken: () => sampleHouseholdPlate.pluck().get() as string | undefined,
    sampleVillageToken: () => sampleVillagePlate.pluck().get() as string | undefined,
    countHouseholds: () => countHouseholds.get() as number,
    revision: () => revision.get() as number,
    villages: () => villages.all() as VillageRow[],
    household: (id: number) => household.get(id) as HouseholdFile | undefined,
    listHouseholds: (villageId: number, q: string) =>
      listHouseholds.all(villageId, q, q, q) as Array<{
        id: number;
        address: string;
        contactName: string | null;
        contactPhone: string | null;
        notes: string;
        token: string | null;
      }>,
    updateHousehold: (id: number, h: { address: string; contactName: string | null; contactPhone: string | null; notes: string }) =>
      updateHousehold.run(h.address, h.contactName, h.contactPhone, h.notes, id),
    insertHousehold: (villageId: number, h: { address: string; contactName: string | null; contactPhone: string | null; notes: string }, token: string) => {
      const id = Number(insertHousehold.run(villageId, h.address, h.contactName, h.contactPhone, h.notes).lastInsertRowid);
      insertPlate.run(token, id, villageId);
      return id;
    },
    /** Households of these villages, as the import file has them. */
    householdsIn: (villageIds: number[]) => householdsIn.all(JSON.stringify(villageIds)) as HouseholdRecord[],
    /** The same, by township, village and age (the export's order). */
    exportHouseholds: (villageIds: number[]) => exportHouseholds.all(JSON.stringify(villageIds)) as HouseholdRecord[],
    /** Marks the household's plate replaced and issues a new one. Call inside a transaction. */
    reissueHouseholdPlate(householdId: number, villageId: number, token: string, at: string): number {
      replaceActivePlate.run(at, householdId);
      return Number(insertIssuedPlate.run(token, householdId, villageId, at).lastInsertRowid);
    },
    /** Adds a household with its plate unless the village has that address; returns whether it was added. */
    insertHouseholdIfNew: (
      villageId: number,
      h: { address: string; contactName: string | null; contactPhone: string | null; notes: string },
      token: () => string,
    ) => {
      const added = insertHouseholdIfNew.run(villageId, h.address, h.contactName, h.contactPhone, h.notes);
      if (added.changes !== 1) return false;
      insertPlate.run(token(), Number(added.lastInsertRowid), villageId);
      return true;
    },
    /** Changes the contact and notes of the household at this address. */
    updateHouseholdAt: (villageId: number, h: { address: string; contactName: string | null; contactPhone: string | null; notes: string }) =>
      updateHouseholdAt.run(h.contactName, h.contactPhone, h.notes, villageId, h.address),
    addressTaken: (villageId: number, address: string, exceptId: number) => addressTaken.get(villageId, address, exceptId) !== undefined,
    towns: () =>
      towns.all() as Array<{ id: number; code: string; name: string; villages: number; centreAddress: string; centreHours: string; centrePhone: string }>,
    setTownCentre: (code: string, c: { address: string; hours: string; phone: string }) => setTownCentre.run(c.address, c.hours, c.phone, code).changes === 1,
    renameTown: (code: string, name: string) => renameTown.run(name, code).changes === 1,
    renameVillage: (code: string, name: string) => renameVillage.run(name, code).changes === 1,
    townId: (code: string) => townByCode.get(code) as number | undefined,
    villageCodeTaken: (code: string) => villageCodeTaken.get(code) === 1,
    insertVillage: (townId: number, code: string, name: string, token: string) => {
      const id = Number(insertVillage.run(townId, code, name).lastInsertRowid);
      insertVillagePlate.run(token, id);
      return id;
    },
    /** Every village with its township and district, as the places import and export read them. */
    placeRows: () => placeRows.all() as Array<PlaceRow & { villageId: number }>,
    /**
     * Adds or updates the district, township and village of one row, keyed on their codes; a new
     * village gets its plate. Only what differs is written.
     */
    upsertPlace: (p: PlaceRow, villagePlateToken: () => string) => {
      const district = districtByCode.get(p.districtCode) as { id: number; name: string } | undefined;
      const districtId = district?.id ?? Number(insertDistrict.run(p.districtCode, p.districtName).lastInsertRowid);
      if (district && district.name !== p.districtName) renameDistrict.run(p.districtName, districtId);
      const town = townRow.get(p.townCode) as { id: number; districtId: number; name: string; address: string; hours: string; phone: string } | undefined;
      const townId = town?.id ?? Number(insertTown.run(districtId, p.townCode, p.townName, p.centreAddress, p.centreHours, p.centrePhone).lastInsertRowid);
      if (town && (town.name !== p.townName || town.address !== p.centreAddress || town.hours !== p.centreHours || town.phone !== p.centrePhone)) {
        updateTown.run(p.townName, p.centreAddress, p.centreHours, p.centrePhone, townId);
      }
      const village = villageRow.get(p.villageCode) as { id: number; townId: number; name: string } | undefined;
      if (!village) {
        const id = Number(insertVillage.run(townId, p.villageCode, p.villageName).lastInsertRowid);
        insertVillagePlate.run(villagePlateToken(), id);
      } else if (village.name !== p.villageName) renameVillage.run(p.villageName, p.villageCode);
    },
    activePlateToken: (householdId: number) => plateOfHousehold.get(householdId) as string | undefined,
    visits: (householdId: number) => visits.all(householdId) as Visit[],
    addVisit: (householdId: number, userId: number, visitedOn: string, notes: string, at: string) =>
      Number(addVisit.run(householdId, userId, visitedOn, notes, at).lastInsertRowid),
  };
}

export type PlacesRepo = ReturnType<typeof createPlacesRepo>;
