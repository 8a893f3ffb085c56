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
    expect(loadConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://mashang.example.gov.cn/', TRUST_PROXY: '1' }).publicBaseUrl).toBe(
      'https://mashang.example.gov.cn',
    );
  });

  it('refuses TRUST_PROXY=true, which would let a client write its own address and escape every limit', () => {
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: must be a hop count/);
  });

  it('takes a hop count or proxy addresses for TRUST_PROXY, and refuses anything else', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback,10.0.0.0/8');
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(() => loadConfig({ TRUST_PROXY: 'yes please' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
  });

  it('an https PUBLIC_BASE_URL needs TRUST_PROXY: behind a TLS proxy sign-in would otherwise loop', () => {
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'https://mashang.example.gov.cn' })).toThrow(/TRUST_PROXY: must be set when PUBLIC_BASE_URL is https/);
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://mashang.example.gov.cn', TRUST_PROXY: '1' }).trustProxy).toBe(1);
  });
});
