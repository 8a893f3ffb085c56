import { inScope, type Scope } from '../../domain/scope.js';
import { NotFoundError } from '../../errors.js';
import type { HouseholdFile, HouseholdRecord, PlaceRow, PlacesRepo, PlateView, Visit, VillageRow } from './repo.js';
export type { HouseholdRecord, PlateView } from './repo.js';
import { isPlateTokenShape, newPlateToken } from './tokens.js';
import type { UnitOfWork } from '../../db/unit-of-work.js';
import { ConflictError } from '../../errors.js';

export type { PlaceRow } from './repo.js';

export interface HouseholdInput {
  address: string;
  contactName: string | null;
  contactPhone: string | null;
  notes: string;
}

const PLATE_CACHE_LIMIT = 20_000;

export function createPlacesService(repo: PlacesRepo, uow: UnitOfWork) {
  // Every scan reads a plate; plates change rarely. Cached look-ups are dropped whenever the
  // places revision (bumped by triggers on any write, from any process) moves.
  let cache = { rev: -1, plates: new Map<string, PlateView>() };
  return {
    /** The plate behind a scanned token, active or replaced; NotFoundError when there is none. */
    plateByToken(token: string): PlateView {
      if (!isPlateTokenShape(token)) throw new NotFoundError('plate');
      const rev = repo.revision();
      if (rev !== cache.rev || cache.plates.size >= PLATE_CACHE_LIMIT) cache = { rev, plates: new Map() };
      let plate = cache.plates.get(token);
      if (!plate) {
        plate = repo.findPlate(token);
        if (!plate) throw new NotFoundError('plate');
        cache.plates.set(token, plate);
      }
      return plate;
    },
    /** The plate with this id (its printed code, MP000123, is the id), active or replaced; undefined when none. */
    plateById: (id: number): PlateView | undefined => (Number.isSafeInteger(id) && id > 0 ? repo.findPlateById(id) : undefined),
    sampleTokens(): { household?: string; village?: string } {
      return { household: repo.sampleHouseholdToken(), village: repo.sampleVillageToken() };
    },
    /** A household's file for a user whose scope covers it; undefined otherwise. */
    householdFile(scope: Scope, householdId: number): { household: HouseholdFile; visits: Visit[] } | undefined {
      const household = repo.household(householdId);
      if (!household || !inScope(scope, household.villageId)) return undefined;
      return { household, visits: repo.visits(householdId) };
    },

    activePlateToken: (householdId: number) => repo.activePlateToken(householdId),

    towns: () => repo.towns(),
    renameTown: (code: string, name: string) => {
      if (!repo.renameTown(code, name)) throw new NotFoundError('town');
    },
    /** The town's 便民服务中心 as item guides show it to villagers of the town. */
    setTownCentre: (code: string, centre: { address: string; hours: string; phone: string }) => {
      if (!repo.setTownCentre(code, centre)) throw new NotFoundError('town');
    },
    renameVillage(scope: Scope, code: string, name: string): void {
      const v = repo.villages().find((x) => x.code === code);
      if (!v || !inScope(scope, v.id)) throw new NotFoundError('village');
      repo.renameVillage(code, name);
    },
    /** A new village under a township (its 12-digit code starts with the township's 9), with its plate. */
    addVillage(townCode: string, code: string, name: string): number {
      const townId = repo.townId(townCode);
      if (townId === undefined || !code.startsWith(townCode) || repo.villageCodeTaken(code)) throw new ConflictError('village code');
      return uow.runSync(() => repo.insertVillage(townId, code, name, newPlateToken()));
    },

    /** Households of a village in the caller's scope, searched by address or contact. */
    householdsOf(scope: Scope, villageId: number, q: string) {
      if (!inScope(scope, villageId)) throw new NotFoundError('village');
      return repo.listHouseholds(villageId, q);
    },

    /** Changes a household in scope; an address already used in the village is a conflict. */
    updateHousehold(scope: Scope, id: number, h: HouseholdInput): void {
      const current = repo.household(id);
      if (!current || !inScope(scope, current.villageId)) throw new NotFoundError('household');
      if (repo.addressTaken(current.villageId, h.address, id)) throw new ConflictError('address taken');
      repo.updateHousehold(id, h);
    },

    /** Adds a household with its plate, in one transaction. */
    addHousehold(scope: Scope, villageId: number, h: HouseholdInput): number {
      if (!inScope(scope, villageId)) throw new NotFoundError('village');
      if (repo.addressTaken(villageId, h.address, 0)) throw new ConflictError('address taken');
      return uow.runSync(() => repo.insertHousehold(villageId, h, newPlateToken()));
    },

    /** Records a visit (走访) to a household in the user's scope. */
    recordVisit(scope: Scope, userId: number, householdId: number, visitedOn: string, notes: string): void {
      const household = repo.household(householdId);
      if (!household || !inScope(scope, household.villageId)) throw new NotFoundError('household');
      repo.addVisit(householdId, userId, visitedOn, notes, new Date().toISOString());
    },

    /** Households of these villages, as the import file has them. */
    householdsIn: (villageIds: number[]): HouseholdRecord[] => repo.householdsIn(villageIds),
    /** Households of these villages in the export's order (township, village, then as added). */
    exportHouseholds: (villageIds: number[]): HouseholdRecord[] => repo.exportHouseholds(villageIds),
    /**
     * The same rows, one village at a time (by village code, so township by township), each read
     * whole: a download writes one village while the next waits, in flat memory.
     */
    *exportHouseholdsByVillage(villageIds: number[]): Generator<HouseholdRecord[]> {
      const wanted = new Set(villageIds);
      const villages = repo
        .villages()
        .filter((v) => wanted.has(v.id))
        .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
      for (const v of villages) yield repo.exportHouseholds([v.id]);
    },
    /**
     * Writes households keyed on (village, address), all or none: a new address is added with its
     * plate, a known one gets the contact and notes given. Writing the same rows twice changes
     * nothing more. The caller has checked the villages against its scope.
     */
    upsertHouseholds<H extends HouseholdInput & { villageId: number }>(rows: H[], plateToken: (h: H) => string = () => newPlateToken()): void {
      uow.runSync(() => {
        for (const h of rows) if (!repo.insertHouseholdIfNew(h.villageId, h, () => plateToken(h))) repo.updateHouseholdAt(h.villageId, h);
      });
    },

    /**
     * A new plate for a household (lost or damaged), in one transaction: the old one is marked
     * replaced, so its QR then says so. The caller has checked the household against its scope.
     */
    reissueHouseholdPlate(householdId: number, villageId: number, token: string, at: string): number {
      return uow.runSync(() => repo.reissueHouseholdPlate(householdId, villageId, token, at));
    },

    /** Every village, by township (the command line and imports resolve codes with it). */
    allVillages: (): VillageRow[] => repo.villages(),
    /** The villages a user may see, by township. */
    villagesIn(scope: Scope): VillageRow[] {
      return repo.villages().filter((v) => inScope(scope, v.id));
    },
    isEmpty(): boolean {
      return repo.countHouseholds() === 0;
    },

    /** Every village with its township and district, ordered by code (the places import and export). */
    placeRows: (): Array<PlaceRow & { villageId: number }> => repo.placeRows(),
    /**
     * Adds or updates districts, townships and villages keyed on their codes, in one transaction.
     * A new village gets its plate, with a token from `plateToken` (a random one unless given).
     */
    importPlaces(rows: PlaceRow[], plateToken: (villageCode: string) => string = () => newPlateToken()): void {
      uow.runSync(() => {
        for (const row of rows) repo.upsertPlace(row, () => plateToken(row.villageCode));
      });
    },
  };
}

export type PlacesService = ReturnType<typeof createPlacesService>;
