import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

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
    MASHANG_ADMIN_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    TRUST_PROXY: z.string().optional(),
    MASHANG_BENCH_HELLO: boolish.default(false),
    MASHANG_IDLE_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
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
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      benchHello: env.MASHANG_BENCH_HELLO,
      /** signs CSRF tokens; when unset, a random one is kept in the database's settings */
      secret: env.MASHANG_SECRET,
      /** back-office sessions end after this many minutes without a request */
      idleMinutes: env.MASHANG_IDLE_MINUTES,
      /** load the fictional demo district into an empty database: on by default outside production */
      demo: env.MASHANG_DEMO ?? env.NODE_ENV !== 'production',
      /** scheduled backups: off unless a folder is given */
      backup: env.MASHANG_BACKUP_DIR ? { dir: env.MASHANG_BACKUP_DIR, keep: env.MASHANG_BACKUP_KEEP, everyMs: Math.round(env.MASHANG_BACKUP_HOURS * 3600_000) } : undefined,
    };
  });

function parseTrustProxy(v: string | undefined): boolean | number | string {
  if (v === undefined || v === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
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
