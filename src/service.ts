// Assembles the running service (store, number directory, recorder, tracker, app) and listens;
// tests start it on port 0, server.ts on the configured port.

import { createServer, type ServerOptions, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accessLog } from './http/access-log.js';
import { logClientErrors } from './http/client-errors.js';
import { createApp } from './app.js';
import { CallRecorder } from './durability/call-recorder.js';
import { CallTracker } from './domain/call-tracker.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { NumberDirectory } from './domain/number-directory.js';
import { Spool } from './durability/spool.js';
import { startMedia, type MediaParts } from './durability/media.js';
import type { CallStore } from './store/call-store.js';
import { openStore } from './store/open-store.js';
import { RoundRobinTurns } from './domain/round-robin-turns.js';
import { RetentionSweeper } from './privacy/retention.js';
import { DeliveryWorker } from './webhooks/delivery-worker.js';
import { systemResolve, type ResolveHost } from './webhooks/target-address.js';
import { WebhookSender } from './webhooks/webhook-sender.js';

export interface RunningService {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  store: CallStore;
  /** Stops accepting, finishes requests in flight, writes what is pending, closes the store. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
  /** An already open store (tests share one between instances); opened from config otherwise. */
  store?: CallStore;
  host?: string;
  /** The clock calls are routed and stamped by; tests set the instant. */
  now?: () => Date;
  /** Resolves webhook target names; tests give one that answers what they need. */
  resolveHost?: ResolveHost;
  /** The webhook retry schedule; tests shorten it. */
  webhookRetryDelaysMs?: readonly number[];
}

/** The port could not be taken: its own error, so that start-up does not blame the store. */
export class ListenError extends Error {
  override name = 'ListenError';

  constructor(port: number, cause: NodeJS.ErrnoException) {
    const reason = cause.code === 'EADDRINUSE'
      ? `port ${port} is already in use: stop whatever listens there, or set PORT to a free port`
      : cause.code === 'EACCES'
        ? `port ${port} needs privileges this user does not have: use a port above 1023 (a reverse proxy can serve 80/443)`
        : `cannot listen on port ${port}: ${cause.message}`;
    super(reason, { cause });
  }
}

/** Requests still running this long into a stop are cut off, so the stop ends well within 10 s. */
const IN_FLIGHT_GRACE_MS = 5000;

/**
 * A webhook is a few hundred bytes sent at once, and Vonage gives up on an answer after a few
 * seconds: a client that takes longer than this to send its request is holding a socket, not
 * calling. Node checks these every connectionsCheckingInterval (30 s by default), so that is
 * shortened too.
 */
export const SERVER_LIMITS = {
  headersTimeout: 5000,
  requestTimeout: 15_000,
  connectionsCheckingInterval: 1000,
  // Vonage and load balancers keep connections alive between webhooks; outlive their idle
  // timeout (60 s on the common balancers) so they never send on a socket we are closing.
  keepAliveTimeout: 65_000,
} satisfies ServerOptions;

/**
 * Far above the webhooks and admin sessions of one business, and well below the usual limit of
 * 1,024 open files, so the database, the spool and the logs always get theirs.
 */
export const MAX_CONNECTIONS = 500;

export async function startService(config: Readonly<Config>, options: StartOptions): Promise<RunningService> {
  const { logger } = options;
  const store = options.store ?? (await openStore(config.database, logger));
  const directory = new NumberDirectory(store, config.numbersRefreshMs, logger);
  let spool: Spool;
  try {
    await directory.load();
    spool = await Spool.open(config.spoolPath, logger, config.spoolMaxBytes);
  } catch (error) {
    if (!options.store) await store.close();
    throw error;
  }
  const recorder = new CallRecorder(store, spool, logger, config.answerStoreTimeoutMs);
  let media: MediaParts;
  try {
    media = await startMedia(config, store.media, recorder, logger);
  } catch (error) {
    await spool.close();
    if (!options.store) await store.close();
    throw error;
  }
  directory.startRefreshing();
  recorder.startReplaying();
  const tracker = new CallTracker(config, directory, recorder, new RoundRobinTurns(store, logger), logger, options.now);
  const resolveHost = options.resolveHost ?? systemResolve;
  const webhookWorker = new DeliveryWorker(store, new WebhookSender(resolveHost, config.webhookAllowPrivate), logger, {
    refreshMs: config.numbersRefreshMs, retryDelaysMs: options.webhookRetryDelaysMs,
  });
  await webhookWorker.start();
  const retention = config.callRetentionDays === null ? null : new RetentionSweeper(store, config.callRetentionDays, logger, media.files);
  retention?.start();
  const app = createApp({
    config, store, directory, tracker, logger, spoolStatus: () => recorder.spoolStatus(),
    mediaIntake: media.intake, mediaFiles: media.files, accessLog: accessLog(config.accessLog, logger),
    webhookWorker, resolveHost,
  });

  const server = createServer(SERVER_LIMITS, app);
  server.maxConnections = MAX_CONNECTIONS;
  logClientErrors(server, logger);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, options.host ?? config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    directory.stopRefreshing();
    await recorder.stop();
    if (!options.store) await store.close();
    throw new ListenError(config.port, error as NodeJS.ErrnoException);
  }
  const port = (server.address() as AddressInfo).port;

  // During a stop every response says Connection: close, so no client sends another request on
  // a keep-alive socket we are about to close; requests in flight finish first.
  const responses = new Set<ServerResponse>();
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (stopping) res.setHeader('Connection', 'close');
    responses.add(res);
    res.on('close', () => responses.delete(res));
  });

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      directory.stopRefreshing();
      for (const res of responses) if (!res.headersSent) res.setHeader('Connection', 'close');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const cutOff = setTimeout(() => server.closeAllConnections(), IN_FLIGHT_GRACE_MS);
      await closed;
      clearTimeout(cutOff);
      await media.stop();
      await recorder.stop();
      await Promise.all([webhookWorker.stop(), retention?.stop()]);
      if (!options.store) await store.close();
    })());

  return { url: `http://127.0.0.1:${port}`, port, store, stop };
}
