import { describe, expect, it } from 'vitest';
import { derivedPlateToken, isPlateTokenShape, newPlateToken, PLATE_TOKEN_BYTES } from '../../src/features/places/tokens.js';

describe('plate tokens', () => {
  it('carry at least 60 random bits in 12 URL-safe characters', () => {
    expect(PLATE_TOKEN_BYTES * 8).toBeGreaterThanOrEqual(60);
    const token = newPlateToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(isPlateTokenShape(token)).toBe(true);
  });

  it('do not repeat', () => {
    const seen = new Set(Array.from({ length: 20_000 }, newPlateToken));
    expect(seen.size).toBe(20_000);
  });

  it('derived tokens repeat for the same key and name, and differ for another key or name', () => {
    const a = derivedPlateToken('k1', 'h:370812103201:1胡同1号');
    expect(derivedPlateToken('k1', 'h:370812103201:1胡同1号')).toBe(a);
    expect(derivedPlateToken('k2', 'h:370812103201:1胡同1号')).not.toBe(a);
    expect(derivedPlateToken('k1', 'h:370812103201:1胡同2号')).not.toBe(a);
    expect(isPlateTokenShape(a)).toBe(true);
  });

  it('the shape check refuses anything else', () => {
    for (const bad of ['', 'short', 'A'.repeat(13), 'AAAAAAAAAAA=', 'AAAAAA/AAAAA', "AAAAAA'AAAAA"]) expect(isPlateTokenShape(bad)).toBe(false);
  });
});
