import crypto from 'node:crypto';

/**
 * Plate tokens: 12 URL-safe characters from 9 random bytes = 72 bits, so the QR stays small
 * and guessing one is hopeless. Case tokens use 16 bytes (128 bits).
 */
export const PLATE_TOKEN_BYTES = 9;
export const PLATE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{12}$/;

export function newPlateToken(): string {
  return crypto.randomBytes(PLATE_TOKEN_BYTES).toString('base64url');
}

/**
 * A token derived from a secret key and a stable name: the demo seed uses it so that the same key
 * gives the same plates (deterministic), while a random key per installation keeps them unguessable.
 */
export function derivedPlateToken(key: string, name: string): string {
  return crypto.createHmac('sha256', key).update(name).digest().subarray(0, PLATE_TOKEN_BYTES).toString('base64url');
}

export function isPlateTokenShape(token: string): boolean {
  return PLATE_TOKEN_PATTERN.test(token);
}
