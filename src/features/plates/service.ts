import { inScope, type Scope } from '../../domain/scope.js';
import { NotFoundError } from '../../errors.js';
import type { CadresService } from '../cadres/service.js';
import type { PlacesService } from '../places/service.js';
import { newPlateToken } from '../places/tokens.js';
import type { PlateSelection, PlatesRepo, PrintablePlate } from './repo.js';
import { plateUrl } from './qr.js';

/** How many plates are read from the database at once for a print sheet or a PDF. */
const PLATE_SLICE = 200;

export function createPlatesService(deps: {
  repo: PlatesRepo;
  cadres: CadresService;
  places: Pick<PlacesService, 'reissueHouseholdPlate'>;
  publicBaseUrl: string;
  now?: () => Date;
}) {
  const { repo, cadres, places } = deps;
  const now = deps.now ?? (() => new Date());
  return {
    url: (kind: 'household' | 'village', token: string) => plateUrl(deps.publicBaseUrl, kind, token),
    count: (s: PlateSelection): Promise<number> => repo.count(s),
    /**
     * The selected plates in print order, one at a time, read from the database PLATE_SLICE at a
     * time: each slice is read whole, so the caller may await between plates (a PDF waiting for a
     * slow client) while villagers' cases and everything else are written.
     */
    async *iterate(s: PlateSelection): AsyncGenerator<PrintablePlate> {
      const slice = await repo.sliceReader(s);
      let last: PrintablePlate | undefined;
      for (;;) {
        const rows = await slice(last, PLATE_SLICE);
        yield* rows;
        if (rows.length < PLATE_SLICE) return;
        last = rows[rows.length - 1];
      }
    },
    /** The village's own plate (notice board) with its cadres, if the village is in scope. */
    async villagePlate(scope: Scope, code: string) {
      const v = await repo.villagePlate(code);
      if (!v || !inScope(scope, v.villageId)) return undefined;
      return { ...v, cadres: await cadres.forVillage(v.villageId) };
    },
    async households(scope: Scope, villageId: number) {
      if (!inScope(scope, villageId)) throw new NotFoundError('village');
      return repo.households(villageId);
    },
    /** One household's plate, within scope (for the reissue confirmation). */
    async household(scope: Scope, householdId: number) {
      const villageId = await repo.householdVillage(householdId);
      if (villageId === undefined || !inScope(scope, villageId)) throw new NotFoundError('household');
      const row = (await repo.households(villageId)).find((h) => h.id === householdId);
      if (!row) throw new NotFoundError('household');
      return { ...row, villageId };
    },
    /** A new plate for a household (lost or damaged): the old QR then says the plate was replaced. */
    async reissue(scope: Scope, householdId: number): Promise<{ token: string; plateId: number }> {
      const villageId = await repo.householdVillage(householdId);
      if (villageId === undefined || !inScope(scope, villageId)) throw new NotFoundError('household');
      const token = newPlateToken();
      // the plates table is the places feature's: it issues the new plate
      const plateId = await places.reissueHouseholdPlate(householdId, villageId, token, now().toISOString());
      return { token, plateId };
    },
  };
}

export type PlatesService = ReturnType<typeof createPlatesService>;
