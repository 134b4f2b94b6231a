// README's reference tables against the code: the configuration tables and example.env name the
// variables config.ts and setup-config.ts read, and the routes tables the routes the app serves.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createApp } from '../src/app.js';
import { CONFIG_VARIABLES, loadConfig } from '../src/config.js';
import { SETUP_VARIABLES } from '../src/setup-config.js';
import { CallRecorder } from '../src/durability/call-recorder.js';
import { Spool } from '../src/durability/spool.js';
import { CallTracker } from '../src/domain/call-tracker.js';
import { NumberDirectory } from '../src/domain/number-directory.js';
import { RoundRobinTurns } from '../src/domain/round-robin-turns.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { startMedia } from '../src/durability/media.js';
import { DeliveryWorker } from '../src/webhooks/delivery-worker.js';
import { systemResolve } from '../src/webhooks/target-address.js';
import { WebhookSender } from '../src/webhooks/webhook-sender.js';
import { MemoryLogger } from './helpers/memory-logger.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const EXAMPLE_ENV = readFileSync(new URL('../example.env', import.meta.url), 'utf8');

/** The text of README's `## <title>` section, up to the next section of that level. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `README has a ${title} section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

const sorted = (names: Iterable<string>) => [...new Set(names)].sort();

/** The variables named in the first cell of a table's rows. */
const tableVariables = (text: string) =>
  text.split('\n').filter((line) => line.startsWith('| `')).flatMap((line) => [...line.split(' | ')[0]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!));

/** DEBUG is read only to refuse values that would make Vonage's SDK log secrets: no setting. */
const NOT_SETTINGS = new Set(['DEBUG']);

test('README\'s configuration tables and example.env name exactly the variables the server and the setup read', () => {
  const [serverTable, setupTable] = section('Configuration').split('Read by `npm run setup` only');
  const setupOnly = SETUP_VARIABLES.filter((name) => !CONFIG_VARIABLES.includes(name) && !NOT_SETTINGS.has(name));
  assert.deepEqual(sorted(tableVariables(serverTable!)), sorted(CONFIG_VARIABLES), 'the server\'s table');
  assert.deepEqual(sorted(tableVariables(setupTable!)), sorted(setupOnly), 'the setup-only table');

  const [serverEnv, setupEnv] = EXAMPLE_ENV.split('# Read by `npm run setup` only');
  const assigned = (text: string) => [...text.matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
  assert.deepEqual(sorted(assigned(serverEnv!)), sorted(CONFIG_VARIABLES), 'example.env, the server\'s part');
  assert.deepEqual(sorted(assigned(setupEnv!)), sorted(setupOnly), 'example.env, the setup part');
});

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: RouteLayer[] };
}

/** `METHOD /path` for every route the app registers, through the routers it mounts at its root. */
function registeredRoutes(stack: RouteLayer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) return Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${layer.route!.path}`);
    return layer.handle.stack ? registeredRoutes(layer.handle.stack) : [];
  });
}

/** `METHOD /path` for every route README's Routes section names; a path without a method is a GET. */
function documentedRoutes(): string[] {
  const text = section('Routes');
  const routes = [...text.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/[^`?\s]*)/g)].map((m) => `${m[1]} ${m[2]}`);
  routes.push(...[...text.matchAll(/`POST (\/[^`]+)` \(`GET` when unsigned\)/g)].map((m) => `GET ${m[1]}`));
  routes.push(...[...text.matchAll(/`(\/[a-z][^`?\s]*)`/g)].map((m) => `GET ${m[1]}`));
  return routes;
}

test('README\'s routes tables name every route the app serves, and no other', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-readme-'));
  const logger = new MemoryLogger();
  const config = loadConfig({
    PROXY_TO_NUMBER: '447700900000', DATABASE_URL: 'memory:', SPOOL_PATH: join(dir, 'spool.ndjson'), RECORDINGS_DIR: join(dir, 'recordings'),
  });
  const store = new MemoryStore();
  const spool = await Spool.open(config.spoolPath, logger, config.spoolMaxBytes);
  try {
    const directory = new NumberDirectory(store, config.numbersRefreshMs, logger);
    const recorder = new CallRecorder(store, spool, logger, config.answerStoreTimeoutMs);
    const media = await startMedia(config, store.media, recorder, logger);
    const app = createApp({
      mediaIntake: media.intake, mediaFiles: media.files,
      config, store, directory, logger, accessLog: null, resolveHost: systemResolve,
      tracker: new CallTracker(config, directory, recorder, new RoundRobinTurns(store, logger), logger),
      spoolStatus: () => recorder.spoolStatus(),
      webhookWorker: new DeliveryWorker(store, new WebhookSender(systemResolve, false), logger, { refreshMs: config.numbersRefreshMs }),
    });
    const documented = documentedRoutes();
    // The dashboard's assets are one row: `/dashboard/assets/*`; the login page's too.
    const served = registeredRoutes((app as unknown as { router: { stack: RouteLayer[] } }).router.stack)
      .map((route) => route.replace(/^GET \/(dashboard|login)\/assets\/.+$/, 'GET /$1/assets/*'));
    assert.deepEqual(sorted(documented), sorted(served));
  } finally {
    await spool.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
