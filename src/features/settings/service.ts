import crypto from 'node:crypto';
import type { SettingsRepo } from './repo.js';

export function createSettingsService(repo: SettingsRepo, configured: string | undefined) {
  const load = async (): Promise<string> => {
    const found = await repo.get('secret');
    if (found) return found;
    await repo.insertIfAbsent('secret', crypto.randomBytes(32).toString('base64url'));
    // Whichever process stored it first wins: read it back.
    return (await repo.get('secret'))!;
  };
  // Read once, on first use: once stored, the secret never changes.
  let loading: Promise<string> | undefined;
  return {
    /** The installation's signing secret: MASHANG_SECRET, else a random one kept in settings. */
    secret(): Promise<string> {
      if (configured) return Promise.resolve(configured);
      // A failed read is not remembered: the next call tries again.
      loading ??= load().catch((err: unknown) => {
        loading = undefined;
        throw err;
      });
      return loading;
    },
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
