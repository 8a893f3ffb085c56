import crypto from 'node:crypto';

/** The villager's private link: 16 random bytes (128 bits), 22 URL-safe characters. */
export function newCaseToken(): string {
  return crypto.randomBytes(16).toString('base64url');
}

export const CASE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** Hidden form field that makes a double tap, a refresh or a resubmit create one case. */
export function newIdempotencyKey(): string {
  return crypto.randomBytes(16).toString('base64url');
}

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{22}$/;
