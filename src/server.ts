import pino from 'pino';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { prepare } from './bootstrap.js';

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
  const logger = pino({ level: config.logLevel });
  const { db, services, adminCreated, adminPassword } = await prepare(config, logger);
  const app = createApp(services, { logger });

  const server = app.listen(config.port, config.host, () => {
    const { household, village } = services.places.sampleTokens();
    const lines = [
      '',
      `  码上服务 Mashang is running at ${config.publicBaseUrl}`,
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
  // Background jobs: close unrated resolved cases after 7 days, drop expired sessions and unconfirmed imports.
  const runJobs = () => {
    try {
      const closed = services.caseOffice.autoClose();
      const pruned = services.staff.pruneSessions();
      const uploads = services.pendingImports.prune();
      if (closed || pruned || uploads) logger.info({ closed, pruned, uploads }, 'jobs ran');
    } catch (err) {
      logger.error({ err }, 'jobs failed');
    }
  };
  runJobs();
  const jobs = setInterval(runJobs, 10 * 60_000);
  jobs.unref();

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
    // Stop accepting, let requests in flight finish, then close the database.
    server.close(() => {
      db.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      logger.warn('forcing shutdown after 10 s');
      server.closeAllConnections();
    }, 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
