// Start-up: .env → config → store → app → listen, and a graceful stop on SIGTERM or SIGINT.

import 'dotenv/config';
import { ConfigError, loadConfig } from './config.js';
import { consoleLogger as logger } from './logger.js';
import { startService } from './service.js';
import { describeLocation } from './store/open-store.js';

/** A stop that takes longer than this is cut short, so an orchestrator never has to kill us. */
const STOP_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`call-tracker: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  let service;
  try {
    service = await startService(config, { logger });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`call-tracker: cannot start with ${describeLocation(config.database)}: ${reason}\n`);
    process.exit(1);
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
  if (config.adminToken === null) logger.warn('ADMIN_TOKEN is not set: the admin API and dashboard are closed');
  if (config.signatureSecret === null) logger.warn('VONAGE_SIGNATURE_SECRET is not set: webhooks are not verified, anyone can forge calls');
  if (config.publicUrl === null) logger.warn('PUBLIC_URL is not set: call whisper is off');
}

await main();
