// Builds the Express app from its parts; only server.ts listens.

import express, { type RequestHandler } from 'express';
import type { CallTracker } from './domain/call-tracker.js';
import type { Config } from './config.js';
import { errorHandler, notFound } from './http/error-handler.js';
import type { Logger } from './logger.js';
import type { NumberDirectory } from './domain/number-directory.js';
import { adminApiRoutes } from './http/routes/admin-api.js';
import { auditApiRoutes } from './http/routes/audit-api.js';
import { callersApiRoutes } from './http/routes/callers-api.js';
import { webhookApiRoutes } from './http/routes/webhooks-api.js';
import type { DeliveryWorker } from './webhooks/delivery-worker.js';
import type { ResolveHost } from './webhooks/target-address.js';
import { dashboardRoutes } from './http/routes/dashboard.js';
import { dniAdminRoutes } from './http/routes/dni-admin.js';
import { dniRoutes } from './http/routes/dni.js';
import { NumberAssigner } from './domain/attribution/number-assigner.js';
import { dashboardPageRoutes } from './http/routes/dashboard-pages.js';
import { healthRoutes } from './http/routes/health.js';
import { recordingRoutes } from './http/routes/recording-routes.js';
import { reportRoutes } from './http/routes/reports.js';
import { addWebhookRoutes } from './http/routes/webhooks.js';
import { requireSignIn } from './security/admin-auth.js';
import { loginRoutes } from './http/routes/login.js';
import { teamApiRoutes } from './http/routes/team-api.js';
import { liveCallRoutes } from './http/routes/live-calls.js';
import { limitFailedLogins } from './security/login-limiter.js';
import { adminSecurityHeaders } from './security/security-headers.js';
import { webhookSignatures } from './security/webhook-signature.js';
import type { SpoolStatus } from './durability/spool.js';
import type { CallStore } from './store/call-store.js';
import type { MediaFiles } from './store/media-files.js';
import type { MediaIntake } from './durability/media-intake.js';

export interface AppDeps {
  config: Readonly<Config>;
  store: CallStore;
  directory: NumberDirectory;
  tracker: CallTracker;
  logger: Logger;
  /** What waits in the spool for the store, for /healthz. */
  spoolStatus: () => SpoolStatus;
  /** Takes recording and transcription webhooks' jobs. */
  mediaIntake: MediaIntake;
  /** Where stored recordings are read from. */
  mediaFiles: MediaFiles;
  /** Null turns the access log off (tests). */
  accessLog: RequestHandler | null;
  webhookWorker: DeliveryWorker;
  /** How webhook target names are resolved (the system's resolver; tests give their own). */
  resolveHost: ResolveHost;
}

export function createApp(deps: AppDeps): express.Express {
  const { config, store, directory, tracker, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Repeated query keys become arrays, which the parsers refuse; nested objects are never built.
  app.set('query parser', 'simple');
  // A TLS proxy on this machine (nginx, the ngrok agent) says the request came over TLS, so the
  // session cookie is marked Secure (req.secure); nobody else can say so.
  app.set('trust proxy', 'loopback');
  if (deps.accessLog) app.use(deps.accessLog);

  addWebhookRoutes(app, tracker, deps.mediaIntake, webhookSignatures(config.signatureSecret, config.signatureMaxAgeSeconds, logger));
  app.use(healthRoutes(store, deps.spoolStatus));
  app.use(dniRoutes(new NumberAssigner(store.dni), config));

  // One count of failed logins per address, whether at the login page or with a token.
  const failedLogins = limitFailedLogins(logger);
  app.use(loginRoutes(store.team, failedLogins, logger));
  const adminPaths = ['/tracked-calls', '/api', '/dashboard'];
  app.use(adminPaths, adminSecurityHeaders, failedLogins, requireSignIn({ adminToken: config.adminToken, team: store.team }));
  app.use(teamApiRoutes(store));
  app.use(liveCallRoutes(store));
  app.use(adminApiRoutes(store, directory, config.timeZone));
  app.use(dniAdminRoutes(store, directory, config));
  app.use(recordingRoutes(store, deps.mediaFiles));
  app.use(webhookApiRoutes({ store, worker: deps.webhookWorker, resolveHost: deps.resolveHost, allowPrivate: config.webhookAllowPrivate }));
  app.use(callersApiRoutes(store, deps.spoolStatus, deps.mediaFiles));
  app.use(auditApiRoutes(store));
  app.use(reportRoutes(store, config));
  app.use(dashboardRoutes(store, config));
  app.use(dashboardPageRoutes(config));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
