import crypto from 'node:crypto';
import type { SettingsRepo } from './repo.js';

export function createSettingsService(repo: SettingsRepo, configured: string | undefined) {
  return {
    /** The installation's signing secret: MASHANG_SECRET, else a random one kept in settings. */
    secret(): string {
      if (configured) return configured;
      const found = repo.get('secret');
      if (found) return found;
      repo.insertIfAbsent('secret', crypto.randomBytes(32).toString('base64url'));
      // Whichever process stored it first wins: read it back.
      return repo.get('secret')!;
    },
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
