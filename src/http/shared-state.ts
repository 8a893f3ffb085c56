import { createClient } from 'redis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Options } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { memoryLimitStore, type LimitStoreFactory } from './rate-limits.js';

/** A rate-limit command waits at most this long: a Redis that hangs must not hang the page. */
const COMMAND_TIMEOUT_MS = 500;
/** /healthz waits this long for Redis' PONG. */
export const PING_TIMEOUT_MS = 500;
/** A connection error is logged at most this often while Redis stays away. */
const ERROR_LOG_MS = 60_000;
/** Keys of the rate limits start with this (then the limiter's name). */
export const DEFAULT_LIMIT_PREFIX = 'mashang:rl:';

/**
 * What the instances of one installation share besides the database: the rate-limit counters
 * (in Redis when MASHANG_REDIS_URL is set, else in each process's memory) and its health.
 */
export interface SharedState {
  createLimitStore: LimitStoreFactory;
  /** why the shared store cannot be used right now (for /healthz); undefined when it can or there is none */
  problem(): Promise<'redis_unreachable' | undefined>;
  /** closes the connection (on shutdown; the app must not serve afterwards) */
  close(): Promise<void>;
}

/** One process, nothing shared: the counters in memory. */
export const localState = (): SharedState => ({
  createLimitStore: memoryLimitStore,
  problem: () => Promise.resolve(undefined),
  close: () => Promise.resolve(),
});

/**
 * The state the configuration asks for: with MASHANG_REDIS_URL, one Redis client for the process,
 * connecting (and reconnecting) in the background. Commands never wait for a connection: while
 * Redis is away they fail at once, and the limiters let requests through (rate-limits.ts).
 * `prefix` keeps the keys of separate installations (or test runs) apart; `clientName` is what
 * Redis' CLIENT LIST shows for the connection.
 */
export function openSharedState(
  config: Pick<Config, 'redisUrl' | 'redisPrefix'>,
  logger: Logger,
  opts: { prefix?: string; clientName?: string } = {},
): SharedState {
  if (!config.redisUrl) return localState();
  const prefix = opts.prefix ?? (config.redisPrefix ? `${config.redisPrefix}:rl:` : DEFAULT_LIMIT_PREFIX);
  const client = createClient({
    url: config.redisUrl,
    name: opts.clientName ?? 'mashang',
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2000,
      // Always try again, backing off to every 2 s: the instance keeps serving meanwhile.
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000),
    },
  });
  let lastLogged = -Infinity;
  // Without a listener an 'error' event would end the process. The message names the host and
  // port at most, never the URL's password.
  client.on('error', (err: unknown) => {
    const t = Date.now();
    if (t - lastLogged < ERROR_LOG_MS) return;
    lastLogged = t;
    logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'redis: connection failed; retrying');
  });
  client.on('ready', () => {
    if (lastLogged !== -Infinity) logger.info('redis: connected again');
    lastLogged = -Infinity;
  });
  // Resolves once connected (retrying until then); rejects only when closed first.
  client.connect().catch(() => undefined);

  const send = (args: string[], timeout = COMMAND_TIMEOUT_MS): Promise<unknown> => withTimeout(client.sendCommand(args, { timeout }), timeout);

  return {
    createLimitStore: (name) => new SharedLimitStore({ sendCommand: (...args: string[]) => send(args) as Promise<RedisReply>, prefix: `${prefix}${name}:` }),
    async problem() {
      try {
        return (await send(['PING'], PING_TIMEOUT_MS)) === 'PONG' ? undefined : 'redis_unreachable';
      } catch {
        return 'redis_unreachable';
      }
    },
    async close() {
      if (client.isReady) await withTimeout(client.close(), 1000).catch(() => undefined);
      if (client.isOpen) client.destroy();
    },
  };
}

/** The promise, or a rejection after `ms`: a belt to the client's own command timeout. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * rate-limit-redis' store, recovering from an outage: it loads its scripts once, at start-up, and a
 * load that failed (Redis away) would stay a rejected promise that fails every later call, even
 * once Redis is back. Here a failed load is tried again at the next call.
 */
class SharedLimitStore extends RedisStore {
  override async init(options: Options): Promise<void> {
    // The limiter does not wait for this; a failure shows (and is logged) at the first request.
    await super.init(options).catch(() => undefined);
  }

  override async increment(key: string) {
    this.incrementScriptSha = retried(this.incrementScriptSha, () => this.loadIncrementScript());
    return super.increment(key);
  }

  override async get(key: string) {
    this.getScriptSha = retried(this.getScriptSha, () => this.loadGetScript());
    return super.get(key);
  }
}

/** The loaded script's SHA, or a new load when the last one failed (seen as handled: its caller awaits it). */
function retried(sha: Promise<string>, load: () => Promise<string>): Promise<string> {
  const next = sha.catch(load);
  next.catch(() => undefined);
  return next;
}
