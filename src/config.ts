import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { passwordProblem, PASSWORD_PROBLEMS } from './features/staff/password-policy.js';

/** The villager's SMS messages, each with its own approved template at the provider. */
export const SMS_MESSAGES = ['received', 'replied', 'resolved', 'rejected', 'extended'] as const;
export type SmsMessage = (typeof SMS_MESSAGES)[number];

const boolish = z.enum(['0', '1', 'true', 'false', 'yes', 'no']).transform((v) => v === '1' || v === 'true' || v === 'yes');

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    MASHANG_DB: z.string().min(1).default('db/mashang.sqlite'),
    MASHANG_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL (leave it unset for SQLite in MASHANG_DB)' }).optional(),
    MASHANG_DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
    MASHANG_DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
    MASHANG_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
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
      .refine(
        (v) => v !== 'true',
        "must be a hop count (e.g. 1) or the proxies' addresses, not true: with true a client could write its own X-Forwarded-For and escape every rate limit",
      )
      .refine(
        (v) => v === undefined || v === '' || v === 'false' || parseTrustProxy(v) !== undefined,
        'must be a hop count (1, 2, …) or addresses/CIDRs separated by commas (loopback, linklocal and uniquelocal are allowed)',
      ),
    MASHANG_BENCH_HELLO: boolish.default(false),
    MASHANG_IDLE_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
    MASHANG_SESSION_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 14)
      .default(12),
    MASHANG_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    MASHANG_DEMO: boolish.optional(),
    MASHANG_BACKUP_DIR: z.string().min(1).optional(),
    MASHANG_BACKUP_KEEP: z.coerce.number().int().min(1).max(1000).default(7),
    MASHANG_BACKUP_HOURS: z.coerce
      .number()
      .min(0.25, 'must be at least 0.25 (15 minutes)')
      .max(24 * 31)
      .default(24),
    MASHANG_NOTIFY_RETRY_SECONDS: z.coerce
      .number()
      .min(1)
      .max(24 * 3600)
      .default(30),
    MASHANG_SMS_PROVIDER: z.enum(['log', 'aliyun', 'tencent']).default('log'),
    MASHANG_SMS_ACCESS_KEY_ID: z.string().min(1).optional(),
    MASHANG_SMS_ACCESS_KEY_SECRET: z.string().min(1).optional(),
    MASHANG_SMS_SIGN_NAME: z.string().min(1).optional(),
    MASHANG_SMS_SDK_APP_ID: z.string().min(1).optional(),
    MASHANG_SMS_TEMPLATES: z
      .string()
      .optional()
      .refine(
        (v) => v === undefined || parseTemplates(v) !== undefined,
        `must be JSON naming a template code for each of ${SMS_MESSAGES.join(', ')}, e.g. {"received":"SMS_1",…}`,
      ),
    MASHANG_SMS_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
    MASHANG_SMS_REGION: z.string().min(1).default('ap-guangzhou'),
    MASHANG_SMS_ALIYUN_SIGNATURE: z.enum(['v3', 'rpc']).default('v3'),
    MASHANG_SMS_QUIET_HOURS: z
      .string()
      .default('21:00-08:00')
      .refine((v) => v.trim() === '' || parseQuietHours(v) !== undefined, 'must be HH:MM-HH:MM (China time), or empty for none'),
    MASHANG_SMS_DAILY_CAP: z.coerce.number().int().min(1).max(100).default(5),
    MASHANG_NOTIFY_DIGEST_AT: z
      .string()
      .default('08:30')
      .refine((v) => v.trim() === '' || parseClockTime(v) !== undefined, 'must be HH:MM (China time), or empty for no digest'),
    MASHANG_REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
    MASHANG_REDIS_PREFIX: z
      .string()
      .regex(/^[\w:.-]{1,64}$/, 'must be 1–64 letters, digits or _ : . -')
      .optional(),
    MASHANG_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    MASHANG_METRICS_ALLOW: z
      .string()
      .optional()
      .refine((v) => v === undefined || parseAddressList(v) !== undefined, 'must be IP addresses or CIDRs separated by commas, e.g. 10.0.0.5,192.168.1.0/24'),
  })
  .transform((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.PUBLIC_BASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_BASE_URL'], message: 'is required in production' });
    }
    // https is terminated by a proxy (this server speaks http): without trusting it, requests look
    // insecure, the Secure session cookie is never set and sign-in goes round in a loop.
    if (env.PUBLIC_BASE_URL?.startsWith('https:') && !parseTrustProxy(env.TRUST_PROXY)) {
      ctx.addIssue({
        code: 'custom',
        path: ['TRUST_PROXY'],
        message: 'must be set when PUBLIC_BASE_URL is https: the number of proxies in front of this server (usually 1), or their addresses',
      });
    }
    // A real provider with a missing setting would fail every message: refuse to start instead.
    if (env.MASHANG_SMS_PROVIDER !== 'log') {
      const needed = ['MASHANG_SMS_ACCESS_KEY_ID', 'MASHANG_SMS_ACCESS_KEY_SECRET', 'MASHANG_SMS_SIGN_NAME', 'MASHANG_SMS_TEMPLATES'] as const;
      const all = env.MASHANG_SMS_PROVIDER === 'tencent' ? [...needed, 'MASHANG_SMS_SDK_APP_ID' as const] : needed;
      for (const name of all) {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: `is required with MASHANG_SMS_PROVIDER=${env.MASHANG_SMS_PROVIDER}` });
      }
    }
    const publicBaseUrl = (env.PUBLIC_BASE_URL ?? `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${env.PORT}`).replace(/\/+$/, '');
    return {
      env: env.NODE_ENV,
      port: env.PORT,
      host: env.HOST,
      dbFile: env.MASHANG_DB,
      /** PostgreSQL instead of the SQLite file when set */
      databaseUrl: env.MASHANG_DATABASE_URL,
      /** PostgreSQL's limits in ms (0: none): opening a connection, one statement, a transaction left idle */
      databaseTimeouts: {
        connectMs: env.MASHANG_DATABASE_CONNECT_TIMEOUT_MS,
        statementMs: env.MASHANG_DATABASE_STATEMENT_TIMEOUT_MS,
        idleInTransactionMs: env.MASHANG_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      },
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
      notify: {
        /** the first retry waits this long, then twice as long each time (at most 8 tries) */
        retrySeconds: env.MASHANG_NOTIFY_RETRY_SECONDS,
        /** the working-day digest to the cadres' channels goes from this China-time minute of the day; null when off */
        digestAt: env.MASHANG_NOTIFY_DIGEST_AT.trim() === '' ? null : (parseClockTime(env.MASHANG_NOTIFY_DIGEST_AT) ?? null),
        sms: {
          provider: env.MASHANG_SMS_PROVIDER,
          accessKeyId: env.MASHANG_SMS_ACCESS_KEY_ID ?? '',
          accessKeySecret: env.MASHANG_SMS_ACCESS_KEY_SECRET ?? '',
          signName: env.MASHANG_SMS_SIGN_NAME ?? '',
          sdkAppId: env.MASHANG_SMS_SDK_APP_ID ?? '',
          templates: (env.MASHANG_SMS_TEMPLATES ? parseTemplates(env.MASHANG_SMS_TEMPLATES) : undefined) ?? null,
          /** the provider's base URL (a private cloud, a test server); else its public one */
          endpoint: env.MASHANG_SMS_ENDPOINT?.replace(/\/+$/, '') ?? null,
          region: env.MASHANG_SMS_REGION,
          /** Alibaba Cloud's request signature: V3 (ACS3-HMAC-SHA256, its current one) or the older RPC (HMAC-SHA1) */
          aliyunSignature: env.MASHANG_SMS_ALIYUN_SIGNATURE,
          /** China-time minutes [start, end) in which no SMS goes out; null when off */
          quietHours: env.MASHANG_SMS_QUIET_HOURS.trim() === '' ? null : (parseQuietHours(env.MASHANG_SMS_QUIET_HOURS) ?? null),
          /** SMS a phone gets at most in a China day */
          dailyCap: env.MASHANG_SMS_DAILY_CAP,
        },
      },
      /** rate-limit counters shared by every instance; in each process's memory when unset */
      redisUrl: env.MASHANG_REDIS_URL,
      /** the start of every key this installation keeps in Redis (installations may share one Redis) */
      redisPrefix: env.MASHANG_REDIS_PREFIX,
      /** /metrics answers a bearer of this token or a client from these addresses; 404 to anyone else */
      metrics: { token: env.MASHANG_METRICS_TOKEN, allow: (env.MASHANG_METRICS_ALLOW ? parseAddressList(env.MASHANG_METRICS_ALLOW) : undefined) ?? [] },
      backup: env.MASHANG_BACKUP_DIR
        ? { dir: env.MASHANG_BACKUP_DIR, keep: env.MASHANG_BACKUP_KEEP, everyMs: Math.round(env.MASHANG_BACKUP_HOURS * 3600_000) }
        : undefined,
    };
  });

/** MASHANG_SMS_TEMPLATES: {"received":"SMS_123",…} with a code for every message, else undefined. */
function parseTemplates(v: string): Record<SmsMessage, string> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const map = parsed as Record<string, unknown>;
  if (!SMS_MESSAGES.every((k) => typeof map[k] === 'string' && (map[k] as string).trim() !== '')) return undefined;
  return Object.fromEntries(SMS_MESSAGES.map((k) => [k, (map[k] as string).trim()])) as Record<SmsMessage, string>;
}

/** '08:30' → 510 minutes of the day; undefined when malformed. */
export function parseClockTime(v: string): number | undefined {
  const m = /^\s*([01]\d|2[0-3]):([0-5]\d)\s*$/.exec(v);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** '21:00-08:00' → minutes of the day { start: 1260, end: 480 }; undefined when malformed or empty. */
export function parseQuietHours(v: string): { start: number; end: number } | undefined {
  const m = /^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*$/.exec(v);
  if (!m) return undefined;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  return start === end ? undefined : { start, end };
}

/** An address or a CIDR, as the metrics allow-list holds it. */
export interface AddressRule {
  address: string;
  family: 'ipv4' | 'ipv6';
  /** the prefix length of a subnet; absent for one address */
  bits?: number;
}

/** '10.0.0.5, 192.168.1.0/24' → rules; undefined when an entry is not an address or a CIDR. */
export function parseAddressList(v: string): AddressRule[] | undefined {
  const parts = v
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const rules: AddressRule[] = [];
  for (const p of parts) {
    const [address = '', bits, ...rest] = p.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return undefined;
    if (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))) return undefined;
    rules.push({ address, family: family === 4 ? 'ipv4' : 'ipv6', ...(bits === undefined ? {} : { bits: Number(bits) }) });
  }
  return rules;
}

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
    // No digest unless a test asks for one (notify.digestAt): the other tests count every message a channel gets.
    ...loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      MASHANG_DB: ':memory:',
      MASHANG_DATA_DIR: path.join(os.tmpdir(), 'mashang-test-data'),
      MASHANG_NOTIFY_DIGEST_AT: '',
    }),
    ...overrides,
  };
}
