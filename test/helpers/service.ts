// Starts the real service on a loopback port for a test, with a config built from overrides.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { MemoryLogger } from './memory-logger.js';
import { startService, type RunningService, type StartOptions } from '../../src/service.js';
import type { CallStore } from '../../src/store/call-store.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const BUSINESS_PHONE = '447700900000';

export interface TestService extends RunningService {
  logger: MemoryLogger;
  config: Readonly<Config>;
  /** Headers that open the admin API. */
  admin: Record<string, string>;
}

let services = 0;

export async function startTestService(
  env: Record<string, string> = {}, store?: CallStore, now?: () => Date, options: Partial<StartOptions> = {},
): Promise<TestService> {
  const config = loadConfig({
    PORT: '0',
    PROXY_TO_NUMBER: BUSINESS_PHONE,
    DATABASE_URL: 'memory:',
    ADMIN_TOKEN,
    ACCESS_LOG: 'off',
    // Each service its own spool: a spool is one process's, and tests must not replay each other's.
    SPOOL_PATH: join(tmpdir(), `call-tracker-test-${process.pid}-${++services}`, 'spool.ndjson'),
    RECORDINGS_DIR: join(tmpdir(), `call-tracker-test-${process.pid}-${services}`, 'recordings'),
    ...env,
  });
  const logger = new MemoryLogger();
  const service = await startService(config, { ...options, logger, store, host: '127.0.0.1', now });
  return { ...service, logger, config, admin: { authorization: `Bearer ${ADMIN_TOKEN}` } };
}

let counter = 0;
/** A uuid shaped like Vonage's, unique within the test run. */
export function vonageUuid(prefix = 'leg'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}
