import { NotFoundError } from '../../errors.js';
import type { PlacesRepo, PlateView } from './repo.js';
import { isPlateTokenShape } from './tokens.js';

export function createPlacesService(repo: PlacesRepo) {
  return {
    /** The plate behind a scanned token, active or replaced; NotFoundError when there is none. */
    plateByToken(token: string): PlateView {
      const plate = isPlateTokenShape(token) ? repo.findPlate(token) : undefined;
      if (!plate) throw new NotFoundError('plate');
      return plate;
    },
    sampleTokens(): { household?: string; village?: string } {
      return { household: repo.sampleHouseholdToken(), village: repo.sampleVillageToken() };
    },
    isEmpty(): boolean {
      return repo.countHouseholds() === 0;
    },
  };
}

export type PlacesService = ReturnType<typeof createPlacesService>;
