import { Writable } from 'node:stream';
import { MemoryStore } from 'express-rate-limit';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { limitStores, memoryLimitStore } from '../../src/http/rate-limits.js';

function capture() {
  const lines: Array<{ level: number; msg: string; limiter?: string; failures?: number }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const STORE_ERROR = 'express-rate-limit: error from store, allowing request without rate-limiting.';

describe('limitStores', () => {
  it("asks the factory for each limiter's own store by name, and always fails open", () => {
    const asked: string[] = [];
    const stores = limitStores((name) => (asked.push(name), new MemoryStore()), capture().logger);
    const a = stores('lookup-ip');
    const b = stores('login-ip');
    expect(asked).toEqual(['lookup-ip', 'login-ip']);
    expect(a.store).not.toBe(b.store);
    expect(a.passOnStoreError).toBe(true);
    expect(limitStores(memoryLimitStore, capture().logger)('x').store).toBeUndefined();
  });

  it('logs store failures at warn once a minute at most, across limiters, with how many failed meanwhile', () => {
    const { logger, lines } = capture();
    let t = 1_000_000;
    const stores = limitStores(memoryLimitStore, logger, () => t);
    const lookup = stores('lookup-ip').logger;
    const login = stores('login-ip').logger;
    lookup.error(new Error('The client is offline'), STORE_ERROR);
    for (let i = 0; i < 5; i++) login.error(new Error('The client is offline'), STORE_ERROR);
    t += 59_000;
    lookup.error(new Error('The client is offline'), STORE_ERROR);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, limiter: 'lookup-ip', failures: 1 });
    t += 1_000;
    login.error(new Error('The client is offline'), 'express-rate-limit: error from store during decrement.');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 40, limiter: 'login-ip', failures: 7 });
  });

  it("passes the limiter's own configuration errors on at once, unthrottled", () => {
    const { logger, lines } = capture();
    const l = limitStores(memoryLimitStore, logger)('submit-ip').logger;
    l.error(new Error('ERR_ERL_DOUBLE_COUNT'));
    l.error(new Error('ERR_ERL_DOUBLE_COUNT'));
    l.warn(new Error('a change is coming'));
    expect(lines.map((x) => x.level)).toEqual([50, 50, 40]);
  });
});
