import type { Feature, ServiceContext } from '../feature.js';
import { createSettingsRepo } from './repo.js';
import { createSettingsService } from './service.js';

const services = ({ database, config }: ServiceContext) => ({
  /** The installation's signing secret: MASHANG_SECRET, else a random one kept in settings. */
  secret: createSettingsService(createSettingsRepo(database), config.secret).secret,
});

/** The installation's own settings (the signing secret). */
export const settingsFeature: Feature<ReturnType<typeof services>> = { name: 'settings', services };
