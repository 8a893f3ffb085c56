import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('configuration', () => {
  it('has working defaults for the demo', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.dbFile).toBe('db/mashang.sqlite');
    expect(c.publicBaseUrl).toBe('http://127.0.0.1:3000');
  });

  it('fails fast naming the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'ftp://x' })).toThrow(/PUBLIC_BASE_URL/);
    expect(() => loadConfig({ MASHANG_ADMIN_PASSWORD: 'short' })).toThrow(/MASHANG_ADMIN_PASSWORD/);
  });

  it('requires PUBLIC_BASE_URL in production, since QR codes are built from it', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/PUBLIC_BASE_URL/);
    expect(loadConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://mashang.example.gov.cn/' }).publicBaseUrl).toBe(
      'https://mashang.example.gov.cn',
    );
  });
});
