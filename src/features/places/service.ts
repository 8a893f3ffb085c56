import { inScope, type Scope } from '../../domain/scope.js';
import { NotFoundError } from '../../errors.js';
import type { Coordinates, DistrictRow, HouseholdFile, HouseholdRecord, PlaceRow, PlacesRepo, PlateView, Visit, VillageRow } from './repo.js';
export type { Coordinates, HouseholdRecord, PlateView, VillageRow } from './repo.js';
import { isPlateTokenShape, newPlateToken } from './tokens.js';
import type { UnitOfWork } from '../../db/unit-of-work.js';
import { isUniqueViolation } from '../../db/database.js';
import { ConflictError, ValidationError } from '../../errors.js';
import { CHINA_RANGE } from '../../domain/geo.js';
import { t } from '../../i18n/index.js';

export type { PlaceRow } from './repo.js';

export interface HouseholdInput {
  address: string;
  contactName: string | null;
  contactPhone: string | null;
  notes: string;
}

const PLATE_CACHE_LIMIT = 20_000;

/**
 * A write after a check for its duplicate: another request may write the same key in between, and
 * the database's unique key then refuses this one. That is the same conflict the check reports.
 */
async function unlessTaken<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(what);
    throw err;
  }
}

/** Coordinates outside China are a caller's mistake (parseVillageCoordinates catches them first). */
function checkCoordinates(c: Coordinates): void {
  if (c === null) return;
  const { latitude: la, longitude: lo } = CHINA_RANGE;
  if (!(c.latitude >= la.min && c.latitude <= la.max && c.longitude >= lo.min && c.longitude <= lo.max)) {
    throw new ValidationError([{ field: 'latitude', text: t('data.places.latitudeRange'), href: '#latitude' }]);
  }
}

export function createPlacesService(repo: PlacesRepo, uow: UnitOfWork) {
  // Every scan reads a plate, every 码上查 page the list of districts; both change rarely. What is
  // kept is dropped whenever the places revision (bumped by triggers on any write, from any
  // process) moves: `fresh` reads it once and hands out what is kept at that revision.
  interface Kept {
    rev: number;
    plates: Map<string, PlateView>;
    districts?: Promise<DistrictRow[]>;
  }
  let kept: Kept = { rev: -1, plates: new Map() };
  const fresh = async (): Promise<Kept> => {
    const rev = await repo.revision();
    if (rev !== kept.rev) kept = { rev, plates: new Map() };
    return kept;
  };
  const districtsAt = (at: Kept): Promise<DistrictRow[]> => {
    if (!at.districts) {
      const list = repo.districts();
      at.districts = list;
      list.catch(() => {
        if (at.districts === list) at.districts = undefined;
      });
    }
    return at.districts;
  };
  const districts = async (): Promise<DistrictRow[]> => districtsAt(await fresh());
  const plateAt = async (at: Kept, token: string): Promise<PlateView | undefined> => {
    if (!isPlateTokenShape(token)) return undefined;
    let plate = at.plates.get(token);
    if (!plate) {
      plate = await repo.findPlate(token);
      if (!plate) return undefined;
      if (at.plates.size >= PLATE_CACHE_LIMIT) at.plates.clear();
      at.plates.set(token, plate);
    }
    return plate;
  };
  return {
    /** The plate behind a scanned token, active or replaced; NotFoundError when there is none. */
    async plateByToken(token: string): Promise<PlateView> {
      if (!isPlateTokenShape(token)) throw new NotFoundError('plate');
      const plate = await plateAt(await fresh(), token);
      if (!plate) throw new NotFoundError('plate');
      return plate;
    },
    /**
     * What a resident page needs to know which district it is about, read at one revision: every
     * district, and the plate behind the phone's home token (undefined when none, or not active).
     */
    async residentPlaces(homeToken: string | null): Promise<{ districts: DistrictRow[]; home: PlateView | undefined }> {
      const at = await fresh();
      const plate = homeToken === null ? undefined : await plateAt(at, homeToken);
      return { districts: await districtsAt(at), home: plate?.status === 'active' ? plate : undefined };
    },
    /** The plate with this id (its printed code, MP000123, is the id), active or replaced; undefined when none. */
    plateById: async (id: number): Promise<PlateView | undefined> => (Number.isSafeInteger(id) && id > 0 ? repo.findPlateById(id) : undefined),
    async sampleTokens(): Promise<{ household?: string; village?: string }> {
      return { household: await repo.sampleHouseholdToken(), village: await repo.sampleVillageToken() };
    },
    /** A household's file for a user whose scope covers it; undefined otherwise. */
    async householdFile(scope: Scope, householdId: number): Promise<{ household: HouseholdFile; visits: Visit[] } | undefined> {
      const household = await repo.household(householdId);
      if (!household || !inScope(scope, household.villageId)) return undefined;
      return { household, visits: await repo.visits(householdId) };
    },

    activePlateToken: (householdId: number) => repo.activePlateToken(householdId),

    /** The townships a scope's user works with: every one of its districts (or of the city). */
    townsIn: (scope: Scope) => repo.towns(scope.all ? 'all' : [...new Set([...scope.districtIds])]),
    /** Every township of these districts ('all': the city). */
    towns: (districtIds: number[] | 'all' = 'all') => repo.towns(districtIds),
    /** Every district of the installation, by code. */
    districts,
    /** The district with this code, or undefined. */
    async districtByCode(code: string): Promise<DistrictRow | undefined> {
      return (await districts()).find((d) => d.code === code);
    },
    /** The districts a scope serves whole or in part (its villages' districts), by code. */
    async districtsIn(scope: Scope): Promise<DistrictRow[]> {
      const all = await repo.districts();
      if (scope.all) return all;
      const ids = new Set(scope.districtIds);
      if (scope.villageIds.size) for (const v of await repo.villagesById([...scope.villageIds])) ids.add(v.districtId);
      return all.filter((d) => ids.has(d.id));
    },
    /** Adds a district (6-digit code, not yet used). */
    async addDistrict(code: string, name: string): Promise<number> {
      return uow.run(async () => {
        if ((await repo.districts()).some((d) => d.code === code)) throw new ConflictError('district');
        return repo.addDistrict(code, name);
      });
    },
    /** The number a district's resident pages show in their footer. */
    setDistrictHotline: async (code: string, hotline: string): Promise<void> => {
      if (!(await repo.setDistrictHotline(code, hotline))) throw new NotFoundError('district');
    },
    renameTown: async (code: string, name: string): Promise<void> => {
      if (!(await repo.renameTown(code, name))) throw new NotFoundError('town');
    },
    /** The town's 便民服务中心 as item guides show it to villagers of the town. */
    setTownCentre: async (code: string, centre: { address: string; hours: string; phone: string }): Promise<void> => {
      if (!(await repo.setTownCentre(code, centre))) throw new NotFoundError('town');
    },
    async renameVillage(scope: Scope, code: string, name: string): Promise<void> {
      const v = (await repo.villages()).find((x) => x.code === code);
      if (!v || !inScope(scope, v.id)) throw new NotFoundError('village');
      await repo.renameVillage(code, name);
    },
    /**
     * A village's name and coordinates (null: not known), for a user whose scope covers it. The
     * caller has checked the coordinates (parseVillageCoordinates: WGS-84, inside China).
     */
    async editVillage(scope: Scope, code: string, edit: { name: string; coordinates: Coordinates }): Promise<void> {
      const v = (await repo.villages()).find((x) => x.code === code);
      if (!v || !inScope(scope, v.id)) throw new NotFoundError('village');
      checkCoordinates(edit.coordinates);
      await uow.run(async () => {
        if (v.name !== edit.name) await repo.renameVillage(code, edit.name);
        if (v.latitude !== (edit.coordinates?.latitude ?? null) || v.longitude !== (edit.coordinates?.longitude ?? null)) {
          await repo.setVillageCoordinates(code, edit.coordinates);
        }
      });
    },
    /** A new village under a township (its 12-digit code starts with the township's 9), with its plate. */
    async addVillage(townCode: string, code: string, name: string, coordinates: Coordinates = null): Promise<number> {
      const townId = await repo.townId(townCode);
      if (townId === undefined || !code.startsWith(townCode) || (await repo.villageCodeTaken(code))) throw new ConflictError('village code');
      checkCoordinates(coordinates);
      return unlessTaken('village code', () => uow.run(() => repo.insertVillage(townId, code, name, coordinates, newPlateToken())));
    },

    /** Households of a village in the caller's scope, searched by address or contact. */
    async householdsOf(scope: Scope, villageId: number, q: string) {
      if (!inScope(scope, villageId)) throw new NotFoundError('village');
      return repo.listHouseholds(villageId, q);
    },

    /** Changes a household in scope; an address already used in the village is a conflict. */
    async updateHousehold(scope: Scope, id: number, h: HouseholdInput): Promise<void> {
      const current = await repo.household(id);
      if (!current || !inScope(scope, current.villageId)) throw new NotFoundError('household');
      if (await repo.addressTaken(current.villageId, h.address, id)) throw new ConflictError('address taken');
      await unlessTaken('address taken', () => repo.updateHousehold(id, h));
    },

    /** Adds a household with its plate, in one transaction. */
    async addHousehold(scope: Scope, villageId: number, h: HouseholdInput): Promise<number> {
      if (!inScope(scope, villageId)) throw new NotFoundError('village');
      if (await repo.addressTaken(villageId, h.address, 0)) throw new ConflictError('address taken');
      return unlessTaken('address taken', () => uow.run(() => repo.insertHousehold(villageId, h, newPlateToken())));
    },

    /** Records a visit (走访) to a household in the user's scope. */
    async recordVisit(scope: Scope, userId: number, householdId: number, visitedOn: string, notes: string): Promise<void> {
      const household = await repo.household(householdId);
      if (!household || !inScope(scope, household.villageId)) throw new NotFoundError('household');
      await repo.addVisit(householdId, userId, visitedOn, notes, new Date().toISOString());
    },

    /** Households of these villages, as the import file has them. */
    householdsIn: (villageIds: number[]): Promise<HouseholdRecord[]> => repo.householdsIn(villageIds),
    /** Households of these villages in the export's order (township, village, then as added). */
    exportHouseholds: (villageIds: number[]): Promise<HouseholdRecord[]> => repo.exportHouseholds(villageIds),
    /**
     * The same rows, one village at a time (by village code, so township by township), each read
     * whole: a download writes one village while the next waits, in flat memory.
     */
    async *exportHouseholdsByVillage(villageIds: number[]): AsyncGenerator<HouseholdRecord[]> {
      const wanted = new Set(villageIds);
      const villages = (await repo.villages()).filter((v) => wanted.has(v.id)).sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
      for (const v of villages) yield await repo.exportHouseholds([v.id]);
    },
    /**
     * Writes households keyed on (village, address), all or none: a new address is added with its
     * plate, a known one gets the contact and notes given. Writing the same rows twice changes
     * nothing more. The caller has checked the villages against its scope.
     */
    async upsertHouseholds<H extends HouseholdInput & { villageId: number }>(rows: H[], plateToken: (h: H) => string = () => newPlateToken()): Promise<void> {
      await uow.run(async () => {
        const added = await repo.insertHouseholdsIfNew(rows, (i) => plateToken(rows[i]!));
        for (const [i, h] of rows.entries()) if (!added[i]) await repo.updateHouseholdAt(h.villageId, h);
      });
    },

    /**
     * A new plate for a household (lost or damaged), in one transaction: the old one is marked
     * replaced, so its QR then says so. The caller has checked the household against its scope.
     */
    reissueHouseholdPlate(householdId: number, villageId: number, token: string, at: string): Promise<number> {
      return uow.run(() => repo.reissueHouseholdPlate(householdId, villageId, token, at));
    },

    /** Every village, by township (the command line and imports resolve codes with it). */
    allVillages: (): Promise<VillageRow[]> => repo.villages(),
    /** The villages a user may see, by township. */
    async villagesIn(scope: Scope): Promise<VillageRow[]> {
      if (!scope.all) return scope.villageIds.size ? repo.villagesById([...scope.villageIds]) : [];
      return (await repo.villages()).filter((v) => inScope(scope, v.id));
    },
    async isEmpty(): Promise<boolean> {
      return (await repo.countHouseholds()) === 0;
    },

    /** Every village with its township and district, ordered by code (the places import and export). */
    placeRows: (): Promise<Array<PlaceRow & { villageId: number }>> => repo.placeRows(),
    /**
     * Adds or updates districts, townships and villages keyed on their codes, in one transaction.
     * A new village gets its plate, with a token from `plateToken` (a random one unless given).
     */
    async importPlaces(rows: PlaceRow[], plateToken: (villageCode: string) => string = () => newPlateToken()): Promise<void> {
      await uow.run(async () => {
        for (const row of rows) await repo.upsertPlace(row, () => plateToken(row.villageCode));
      });
    },
  };
}

export type PlacesService = ReturnType<typeof createPlacesService>;
