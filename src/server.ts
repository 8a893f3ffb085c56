import pino from 'pino';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { prepare } from './bootstrap.js';
import { DatabaseProblem, optimize } from './db/index.js';
import { scheduleBackups } from './db/backup.js';
import { gracefulShutdown } from './http/shutdown.js';
import { startNotificationWorker } from './features/notifications/worker.js';
import { openSharedState } from './http/shared-state.js';

/** Requests under way get this long to finish on SIGTERM; below Docker's and systemd's kill timeouts. */
const SHUTDOWN_GRACE_MS = 5000;

/**
 * The log (one line per request, among others) goes to stdout in blocks: written once 4 KB have
 * gathered or a second has passed, whichever comes first, and whatever is left on exit (pino
 * flushes it then, a crash included). A write per line cost the server a tenth of a plate page's
 * CPU time. Only a process killed outright (SIGKILL) loses up to its last second of lines.
 */
const LOG_BLOCK_BYTES = 4096;
const LOG_FLUSH_MS = 1000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
  const logger = pino({ level: config.logLevel }, pino.destination({ dest: 1, minLength: LOG_BLOCK_BYTES, periodicFlush: LOG_FLUSH_MS }));
  let prepared;
  try {
    prepared = await prepare(config, logger);
  } catch (err) {
    if (err instanceof DatabaseProblem) {
      logger.fatal({ db: config.dbFile }, err.message);
      console.error(`Mashang did not start: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const { db, database, services, adminCreated, adminPassword, createdDatabase, dbPath, emptyWithoutDemo, seeded } = prepared;
  // Rate limits counted in Redis when MASHANG_REDIS_URL is set (every instance shares them).
  const shared = openSharedState(config, logger);
  if (config.redisUrl) logger.info('rate limits shared through Redis');
  const app = createApp(services, { logger, shared });

  // Read before listening: the start-up message names a sample plate.
  const { household, village } = await services.places.sampleTokens();
  const server = app.listen(config.port, config.host, () => {
    const lines = [
      '',
      `  码上服务 Mashang is running at ${config.publicBaseUrl}`,
      createdDatabase
        ? `  New database created at ${dbPath}${seeded ? ', with the fictional demo district' : ', empty'}. If you expected existing data, stop and check MASHANG_DB.`
        : '',
      emptyWithoutDemo
        ? '  The database holds no households. Load them with `npm run mashang -- import households FILE` (the demo loads only with MASHANG_DEMO=1).'
        : '',
      household ? `  Sample household page: ${config.publicBaseUrl}/p/${household}` : '',
      village ? `  Sample village page:   ${config.publicBaseUrl}/v/${village}` : '',
      `  Service catalogue:     ${config.publicBaseUrl}/services`,
      `  Back office:           ${config.publicBaseUrl}/admin/login`,
      adminCreated
        ? adminPassword
          ? `  Back-office user "admin" created with password: ${adminPassword}  (shown once; change it after signing in)`
          : '  Back-office user "admin" created with MASHANG_ADMIN_PASSWORD.'
        : '',
      '',
    ].filter((l, i, all) => l !== '' || i === 0 || i === all.length - 1);
    process.stdout.write(lines.join('\n') + '\n');
  });
  // Background jobs: close unrated resolved cases after 7 days, mark the cases past their deadline, drop expired sessions and unconfirmed imports.
  // The run under way, if any: shutdown lets it finish before closing the database.
  let jobsRun: Promise<void> = Promise.resolve();
  const runJobs = async (): Promise<void> => {
    try {
      const closed = await services.caseOffice.autoClose();
      const overdue = await services.caseOffice.markOverdue();
      const pruned = await services.staff.pruneSessions();
      await services.throttle.limits.prune();
      const uploads = services.pendingImports.prune();
      // SQLite's statistics follow the cases as they grow (a no-op while nothing changed much).
      if (db) optimize(db);
      if (closed || overdue || pruned || uploads) logger.info({ closed, overdue, pruned, uploads }, 'jobs ran');
    } catch (err) {
      logger.error({ err }, 'jobs failed');
    }
  };
  // runJobs logs its own failures.
  jobsRun = runJobs();
  const jobs = setInterval(() => {
    jobsRun = jobsRun.then(runJobs);
  }, 10 * 60_000);
  jobs.unref();
  // Notifications: made from committed case events by a cursor, delivered with retries; woken by each event.
  const notifier = startNotificationWorker(services.notifications, { events: services.events, logger });
  // Scheduled backups copy SQLite's file; PostgreSQL is backed up with its own tools.
  const backups = config.backup && db ? scheduleBackups(db, { ...config.backup, dataDir: config.dataDir, logger }) : undefined;
  if (config.backup && !db) logger.warn('MASHANG_BACKUP_DIR is ignored on PostgreSQL: back it up with its own tools (pg_dump)');
  else if (config.backup)
    logger.info({ dir: config.backup.dir, keep: config.backup.keep, everyHours: config.backup.everyMs / 3600_000 }, 'scheduled backups on');
  const shutdown = gracefulShutdown(server, {
    graceMs: SHUTDOWN_GRACE_MS,
    onForce: () => logger.warn(`closing connections still open after ${SHUTDOWN_GRACE_MS / 1000} s`),
  });

  server.on('error', (err) => {
    logger.fatal({ err }, 'server failed');
    process.exit(1);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    clearInterval(jobs);
    // Stop accepting, close idle connections, let requests in flight finish (for a grace period),
    // let a backup under way finish, then close Redis and the database.
    void Promise.all([shutdown.close(), backups?.stop(), notifier.stop(), jobsRun])
      .then(async () => {
        await shared.close();
        await database.close();
      })
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'closing the database failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
