import { NotFoundError } from '../../errors.js';
import type { HouseholdFile, PlacesRepo, PlateView, Visit, VillageRow } from './repo.js';
import { isPlateTokenShape } from './tokens.js';

const PLATE_CACHE_LIMIT = 20_000;

export function createPlacesService(repo: PlacesRepo) {
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
    sampleTokens(): { household?: string; village?: string } {
      return { household: repo.sampleHouseholdToken(), village: repo.sampleVillageToken() };
    },
    /** A household's file for a user whose scope covers it; undefined otherwise. */
    householdFile(scope: { villageIds: ReadonlySet<number> }, householdId: number): { household: HouseholdFile; visits: Visit[] } | undefined {
      const household = repo.household(householdId);
      if (!household || !scope.villageIds.has(household.villageId)) return undefined;
      return { household, visits: repo.visits(householdId) };
    },

    activePlateToken: (householdId: number) => repo.activePlateToken(householdId),

    /** Records a visit (走访) to a household in the user's scope. */
    recordVisit(scope: { villageIds: ReadonlySet<number> }, userId: number, householdId: number, visitedOn: string, notes: string): void {
      const household = repo.household(householdId);
      if (!household || !scope.villageIds.has(household.villageId)) throw new NotFoundError('household');
      repo.addVisit(householdId, userId, visitedOn, notes, new Date().toISOString());
    },

    /** The villages a user may see, by township. */
    villagesIn(scope: { villageIds: ReadonlySet<number> }): VillageRow[] {
      return repo.villages().filter((v) => scope.villageIds.has(v.id));
    },
    isEmpty(): boolean {
      return repo.countHouseholds() === 0;
    },
  };
}

export type PlacesService = ReturnType<typeof createPlacesService>;
