// Start-up: .env → config → store → app → listen, and a graceful stop on SIGTERM or SIGINT.

import 'dotenv/config';
import { ConfigError, loadConfig, type Config } from './config.js';
import { configWarnings, misspellingWarnings } from './config-warnings.js';
import { consoleLogger as logger } from './logger.js';
import { adminTokenPath, loadOrCreateAdminToken } from './security/admin-token-file.js';
import { ListenError, startService } from './service.js';
import { SpoolInUseError } from './durability/spool-lock.js';
import { describeLocation } from './store/open-store.js';

/** A stop that takes longer than this is cut short, so an orchestrator never has to kill us. */
const STOP_DEADLINE_MS = 10_000;

function refuseToStart(lines: readonly string[]): never {
  for (const line of lines) process.stderr.write(`call-tracker: ${line}\n`);
  process.exit(1);
}

interface AdminLogin {
  config: Readonly<Config>;
  /** What to give as the password, for the log; null when the admin routes are closed. */
  password: string | null;
  /** The token file this start created, if any. */
  generatedInto: string | null;
}

/**
 * How to log in to the dashboard. A single-instance install (SQLite) without ADMIN_TOKEN gets a
 * token generated into a file, so that the README's first command opens the dashboard; with
 * PostgreSQL every instance must share one token, so the admin routes stay closed until it is set.
 */
async function adminLogin(config: Readonly<Config>): Promise<AdminLogin> {
  if (config.adminToken !== null) return { config, password: 'ADMIN_TOKEN', generatedInto: null };
  if (config.database.kind !== 'sqlite') return { config, password: null, generatedInto: null };
  const file = await loadOrCreateAdminToken(adminTokenPath(config.database.path), logger);
  return {
    config: Object.freeze({ ...config, adminToken: file.token }),
    password: `the token in ${file.path}`,
    generatedInto: file.created ? file.path : null,
  };
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    // A misspelt name is often the cause of a missing setting: name it first.
    if (error instanceof ConfigError) refuseToStart([...misspellingWarnings(process.env), ...error.problems]);
    throw error;
  }

  let login;
  try {
    login = await adminLogin(config);
  } catch (error) {
    // The token file lives beside the database: a folder that cannot hold it cannot hold the database either.
    const reason = error instanceof Error ? error.message : String(error);
    refuseToStart([`cannot start with ${describeLocation(config.database)}: cannot write the admin token file beside it: ${reason}`]);
  }
  config = login.config;

  let service;
  try {
    service = await startService(config, { logger });
  } catch (error) {
    if (error instanceof ListenError || error instanceof SpoolInUseError) refuseToStart([error.message]);
    const reason = error instanceof Error ? error.message : String(error);
    refuseToStart([`cannot start with ${describeLocation(config.database)}: ${reason}`]);
  }

  // Installed before the first log line: a supervisor that waits for it may signal at once, and
  // a signal with no handler would kill the process mid-request.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return; // a second signal while stopping changes nothing
    stopping = true;
    logger.info(`${signal} received: finishing requests in flight, then stopping`);
    const deadline = setTimeout(() => {
      logger.error('stop took too long; exiting now');
      process.exit(1);
    }, STOP_DEADLINE_MS);
    deadline.unref();
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('stop failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  logger.info(`call-tracker listening on port ${service.port}`, {
    host: config.host,
    store: describeLocation(config.database),
    forwardingTo: config.proxyToNumber,
  });
  for (const warning of configWarnings(process.env, config)) logger.warn(warning);
  const dashboardUrl = `${config.publicUrl ?? `http://localhost:${service.port}`}/dashboard`;
  if (login.password === null) logger.warn('ADMIN_TOKEN is not set: the admin API and dashboard are closed (every instance on PostgreSQL needs the same token)');
  if (login.generatedInto !== null) logger.info(`ADMIN_TOKEN is not set: generated an admin token into ${login.generatedInto} (readable by this user only)`);
  if (login.password !== null) logger.info(`dashboard: ${dashboardUrl} (any user name; password: ${login.password})`);
  if (config.signatureSecret === null) logger.warn('VONAGE_SIGNATURE_SECRET is not set: webhooks are not verified, anyone can forge calls');
  if (config.vonageApplication === null) logger.warn('VONAGE_APPLICATION_ID is not set: recording webhooks are kept, but nothing is downloaded until it is');
  if (config.publicUrl === null) logger.warn('PUBLIC_URL is not set: call whisper, recording, voicemail and a route\'s fail-over to its next destination are off');
}

await main();
