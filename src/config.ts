import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { passwordProblem, PASSWORD_PROBLEMS } from './features/staff/password-policy.js';

const boolish = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    MASHANG_DB: z.string().min(1).default('db/mashang.sqlite'),
    MASHANG_DATA_DIR: z.string().min(1).default('data'),
    PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    MASHANG_ADMIN_PASSWORD: z
      .string()
      .optional()
      .superRefine((v, ctx) => {
        const problem = v === undefined ? undefined : passwordProblem(v, 'admin');
        if (problem) ctx.addIssue({ code: 'custom', message: `is refused: ${PASSWORD_PROBLEMS[problem]}` });
      }),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    TRUST_PROXY: z
      .string()
      .optional()
      .refine((v) => v !== 'true', 'must be a hop count (e.g. 1) or the proxies\' addresses, not true: with true a client could write its own X-Forwarded-For and escape every rate limit')
      .refine((v) => v === undefined || v === '' || v === 'false' || parseTrustProxy(v) !== undefined, 'must be a hop count (1, 2, …) or addresses/CIDRs separated by commas (loopback, linklocal and uniquelocal are allowed)'),
    MASHANG_BENCH_HELLO: boolish.default(false),
    MASHANG_IDLE_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
    MASHANG_SESSION_HOURS: z.coerce.number().int().min(1).max(24 * 14).default(12),
    MASHANG_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    MASHANG_DEMO: boolish.optional(),
    MASHANG_BACKUP_DIR: z.string().min(1).optional(),
    MASHANG_BACKUP_KEEP: z.coerce.number().int().min(1).max(1000).default(7),
    MASHANG_BACKUP_HOURS: z.coerce.number().min(0.25, 'must be at least 0.25 (15 minutes)').max(24 * 31).default(24),
  })
  .transform((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.PUBLIC_BASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_BASE_URL'], message: 'is required in production' });
    }
    // https is terminated by a proxy (this server speaks http): without trusting it, requests look
    // insecure, the Secure session cookie is never set and sign-in goes round in a loop.
    if (env.PUBLIC_BASE_URL?.startsWith('https:') && !parseTrustProxy(env.TRUST_PROXY)) {
      ctx.addIssue({ code: 'custom', path: ['TRUST_PROXY'], message: 'must be set when PUBLIC_BASE_URL is https: the number of proxies in front of this server (usually 1), or their addresses' });
    }
    const publicBaseUrl = (env.PUBLIC_BASE_URL ?? `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${env.PORT}`).replace(/\/+$/, '');
    return {
      env: env.NODE_ENV,
      port: env.PORT,
      host: env.HOST,
      dbFile: env.MASHANG_DB,
      dataDir: env.MASHANG_DATA_DIR,
      publicBaseUrl,
      adminPassword: env.MASHANG_ADMIN_PASSWORD,
      logLevel: env.LOG_LEVEL,
      trustProxy: parseTrustProxy(env.TRUST_PROXY) ?? false,
      benchHello: env.MASHANG_BENCH_HELLO,
      /** signs CSRF tokens; when unset, a random one is kept in the database's settings */
      secret: env.MASHANG_SECRET,
      /** back-office sessions end after this many minutes without a request */
      idleMinutes: env.MASHANG_IDLE_MINUTES,
      /** back-office sessions end this many hours after sign-in, however active */
      sessionHours: env.MASHANG_SESSION_HOURS,
      /** load the fictional demo district into an empty database: on by default outside production */
      demo: env.MASHANG_DEMO ?? env.NODE_ENV !== 'production',
      /** scheduled backups: off unless a folder is given */
      backup: env.MASHANG_BACKUP_DIR ? { dir: env.MASHANG_BACKUP_DIR, keep: env.MASHANG_BACKUP_KEEP, everyMs: Math.round(env.MASHANG_BACKUP_HOURS * 3600_000) } : undefined,
    };
  });

/**
 * Express's `trust proxy`: a hop count, or the proxies' addresses. Never `true`, which trusts the
 * left-most X-Forwarded-For entry, one the client writes itself. False when unset; undefined when
 * the value makes no sense.
 */
function parseTrustProxy(v: string | undefined): false | number | string | undefined {
  if (v === undefined || v === '' || v === 'false' || v === '0') return false;
  if (/^\d+$/.test(v)) return Number(v);
  const named = new Set(['loopback', 'linklocal', 'uniquelocal']);
  const parts = v.split(',').map((p) => p.trim());
  const valid = parts.every((p) => {
    if (named.has(p)) return true;
    const [addr, bits, ...rest] = p.split('/');
    const family = isIP(addr ?? '');
    return family !== 0 && rest.length === 0 && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)));
  });
  return valid ? parts.join(',') : undefined;
}

export type Config = z.output<typeof schema>;

export class ConfigError extends Error {}

/** Reads the configuration from the environment; a bad value stops start-up with the variable's name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** A configuration for tests and tools: defaults, with overrides. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', MASHANG_DB: ':memory:', MASHANG_DATA_DIR: path.join(os.tmpdir(), 'mashang-test-data') }),
    ...overrides,
  };
}
