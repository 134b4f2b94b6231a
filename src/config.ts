// Reads the environment once into a validated, frozen Config. The only module that reads
// process.env; a bad value stops start-up with one line naming the variable and the fix.

import { z } from 'zod';
import { normalisePhoneNumber } from './domain/phone.js';
import { isTimeZone } from './domain/time-zone.js';

export type DatabaseLocation =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string };

export type AccessLogTarget = { kind: 'off' } | { kind: 'stdout' } | { kind: 'file'; path: string };

export interface Config {
  port: number;
  /** The address to listen on; loopback unless a proxy on another host must reach us. */
  host: string;
  /** The business phone calls are forwarded to, E.164 digits. */
  proxyToNumber: string;
  database: DatabaseLocation;
  /** Null closes the admin routes. */
  adminToken: string | null;
  /** Public base URL (the ngrok address), without a trailing slash; needed for call whisper. */
  publicUrl: string | null;
  /** Null leaves webhooks unverified (refused at start-up in production unless allowed). */
  signatureSecret: string | null;
  signatureMaxAgeSeconds: number;
  qualifiedCallSeconds: number;
  accessLog: AccessLogTarget;
  /** How often the in-memory copy of the tracking numbers is re-read from the store. */
  numbersRefreshMs: number;
  /** How long the answer webhook waits for the store before it spools the call instead. */
  answerStoreTimeoutMs: number;
  /** Append-only file that keeps calls and events while the store is unavailable. */
  spoolPath: string;
  /** The business's IANA time zone: the default for each route's opening hours. */
  timeZone: string;
  /** The spool's files take at most this much disk; past it, what the store cannot take is lost. */
  spoolMaxBytes: number;
  /** Website origins (scheme://host[:port]) whose pages may ask for a number pool's number. */
  dniAllowedOrigins: string[];
  /** New number holds one client address may take per hour: a bot cannot drain a pool. */
  dniHoldsPerAddressPerHour: number;
  /** The Vonage application whose private key signs recording downloads; null: nothing is downloaded. */
  vonageApplication: { applicationId: string; privateKeyPath: string } | null;
  /** Where recordings, voicemails and transcripts are stored. */
  recordingsDir: string;
  /** Recordings older than this are deleted; null keeps them until deleted by hand. */
  recordingRetentionDays: number | null;
  /** The wait before a failed download is tried again; it doubles with each attempt, up to an hour. */
  recordingRetryMs: number;
  /** Test-only: recordings may also be fetched from 127.0.0.1 over http. Refused in production. */
  recordingsAllowLoopback: boolean;
  /** Lets webhook subscriptions reach loopback and private addresses (a receiver on this host or LAN). */
  webhookAllowPrivate: boolean;
  /** Calls older than this many days are deleted; null keeps them for ever. */
  callRetentionDays: number | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  /** Every problem found, one line each (the message joins them). */
  readonly problems: readonly string[];

  constructor(problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.join('\n'));
    this.problems = list;
  }
}

export const DEFAULT_SQLITE_PATH = './data/call-tracker.db';

export const emptyAsUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

function integer(name: string, min: number, max: number, fallback: number) {
  return z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .optional()
      .transform((raw, ctx) => {
        if (raw === undefined) return fallback;
        const value = Number(raw);
        if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
          ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max}, got "${raw}"` });
          return z.NEVER;
        }
        return value;
      }),
  );
}

export function parseDatabaseUrl(raw: string | undefined): DatabaseLocation {
  if (raw === undefined) return { kind: 'sqlite', path: DEFAULT_SQLITE_PATH };
  if (raw === 'memory:') return { kind: 'memory' };
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError('DATABASE_URL "sqlite:" needs a file path, e.g. DATABASE_URL=sqlite:./data/call-tracker.db');
    return { kind: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      const url = new URL(raw);
      if (!url.hostname && !url.searchParams.get('host')) throw new Error('no host');
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid PostgreSQL URL; expected postgres://user:password@host:5432/database');
    }
    return { kind: 'postgres', url: raw };
  }
  throw new ConfigError(
    'DATABASE_URL must be sqlite:<path>, postgres://user:password@host/database or memory: (leave it unset for ./data/call-tracker.db)',
  );
}

/**
 * An http(s) base URL without its trailing slashes, undefined when unset; one that `allowed`
 * refuses (an outbound URL's allow-list) is named with `rule`, what it must be.
 */
export function baseUrl(name: string, rule: string, allowed: (url: URL) => boolean = () => true) {
  return z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .optional()
      .transform((raw, ctx) => {
        if (raw === undefined) return undefined;
        let url: URL | null = null;
        try {
          url = new URL(raw);
        } catch {
          // reported below
        }
        // Paths are appended to a base URL, which a query or fragment would swallow.
        if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:') || /[?#]/.test(raw) || !allowed(url)) {
          ctx.addIssue({ code: 'custom', message: `${name} must be ${rule}, got "${raw}"` });
          return z.NEVER;
        }
        return raw.replace(/\/+$/, '');
      }),
  );
}

/** A comma-separated list of http(s) origins, each without path, query or trailing slash. */
const originList = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return [];
      const origins: string[] = [];
      for (const entry of raw.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
        let origin: string | null = null;
        try {
          const url = new URL(entry);
          if ((url.protocol === 'https:' || url.protocol === 'http:') && url.origin === entry.replace(/\/$/, '')) origin = url.origin;
        } catch {
          origin = null;
        }
        if (origin === null) {
          ctx.addIssue({ code: 'custom', message: `DNI_ALLOWED_ORIGINS: "${entry}" is not an origin such as https://www.example.com` });
          return z.NEVER;
        }
        origins.push(origin);
      }
      return origins;
    }),
);

/** The database alone, for commands that need nothing else (`npm run import`); throws ConfigError. */
export function loadDatabaseLocation(env: Record<string, string | undefined>): DatabaseLocation {
  return parseDatabaseUrl(emptyAsUndefined(env.DATABASE_URL) as string | undefined);
}

function parseAccessLog(raw: string | undefined): AccessLogTarget {
  if (raw === undefined || raw === 'stdout') return { kind: 'stdout' };
  if (raw === 'off') return { kind: 'off' };
  return { kind: 'file', path: raw };
}

/** "true" or "false"; unset is false. */
function flag(name: string) {
  return z.preprocess(
    emptyAsUndefined,
    z.enum(['true', 'false'], { error: `${name} must be true or false` }).optional().transform((raw) => raw === 'true'),
  );
}

const schema = z.object({
  PORT: integer('PORT', 0, 65535, 5000),
  HOST: z.preprocess(
    emptyAsUndefined,
    z.string().regex(/^[\w.:%-]+$/, 'HOST must be an address or host name to listen on, e.g. HOST=127.0.0.1 or HOST=0.0.0.0').default('127.0.0.1'),
  ),
  NODE_ENV: z.preprocess(emptyAsUndefined, z.string().optional()),
  PROXY_TO_NUMBER: z.preprocess(
    emptyAsUndefined,
    z
      .string({ error: 'PROXY_TO_NUMBER is missing: set it to the business phone that calls are forwarded to, e.g. PROXY_TO_NUMBER=447700900000' })
      .transform((raw, ctx) => {
        const number = normalisePhoneNumber(raw);
        if (number === null) {
          ctx.addIssue({ code: 'custom', message: `PROXY_TO_NUMBER "${raw}" is not a phone number: write it in international form, e.g. +44 7700 900000` });
          return z.NEVER;
        }
        return number;
      }),
  ),
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .optional()
      .transform((raw, ctx) => {
        try {
          return parseDatabaseUrl(raw);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          ctx.addIssue({ code: 'custom', message: error.message });
          return z.NEVER;
        }
      }),
  ),
  ADMIN_TOKEN: z.preprocess(
    emptyAsUndefined,
    z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters: generate one with `openssl rand -hex 24`').optional(),
  ),
  PUBLIC_URL: baseUrl('PUBLIC_URL', 'an http(s) URL such as https://abc123.ngrok.app, without a query or fragment').transform((url) => url ?? null),
  VONAGE_SIGNATURE_SECRET: z.preprocess(emptyAsUndefined, z.string().optional()),
  ALLOW_UNSIGNED_WEBHOOKS: flag('ALLOW_UNSIGNED_WEBHOOKS'),
  SIGNATURE_MAX_AGE_SECONDS: integer('SIGNATURE_MAX_AGE_SECONDS', 10, 86_400, 300),
  QUALIFIED_CALL_SECONDS: integer('QUALIFIED_CALL_SECONDS', 0, 86_400, 60),
  ACCESS_LOG: z.preprocess(emptyAsUndefined, z.string().optional()),
  NUMBERS_REFRESH_MS: integer('NUMBERS_REFRESH_MS', 100, 3_600_000, 5000),
  ANSWER_STORE_TIMEOUT_MS: integer('ANSWER_STORE_TIMEOUT_MS', 10, 2000, 250),
  SPOOL_PATH: z.preprocess(emptyAsUndefined, z.string().default('./data/spool.ndjson')),
  TIMEZONE: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default('UTC')
      .transform((raw, ctx) => {
        if (isTimeZone(raw)) return raw;
        ctx.addIssue({ code: 'custom', message: `TIMEZONE must be an IANA time zone such as Europe/London or America/New_York, got "${raw}"` });
        return z.NEVER;
      }),
  ),
  SPOOL_MAX_BYTES: integer('SPOOL_MAX_BYTES', 4096, Number.MAX_SAFE_INTEGER, 1024 ** 3),
  DNI_ALLOWED_ORIGINS: originList,
  DNI_HOLDS_PER_ADDRESS_PER_HOUR: integer('DNI_HOLDS_PER_ADDRESS_PER_HOUR', 1, 1_000_000, 20),
  VONAGE_APPLICATION_ID: z.preprocess(emptyAsUndefined, z.string().max(100).optional()),
  VONAGE_PRIVATE_KEY: z.preprocess(emptyAsUndefined, z.string().default('./private.key')),
  RECORDINGS_DIR: z.preprocess(emptyAsUndefined, z.string().default('./data/recordings')),
  // Unset: kept until deleted (0 is never a valid setting, so it can stand for unset).
  RECORDING_RETENTION_DAYS: integer('RECORDING_RETENTION_DAYS', 1, 36_500, 0),
  RECORDING_RETRY_MS: integer('RECORDING_RETRY_MS', 10, 3_600_000, 10_000),
  RECORDINGS_TEST_ALLOW_LOOPBACK: flag('RECORDINGS_TEST_ALLOW_LOOPBACK'),
  WEBHOOK_ALLOW_PRIVATE: z.preprocess(
    emptyAsUndefined,
    z.enum(['true', 'false'], { message: 'WEBHOOK_ALLOW_PRIVATE must be true or false' }).default('false'),
  ),
  CALL_RETENTION_DAYS: z.preprocess(emptyAsUndefined, integer('CALL_RETENTION_DAYS', 1, 36_500, 0)),
}).superRefine((vars, ctx) => {
  // Unsigned, anyone can forge calls and events and learn where each number forwards.
  if (vars.NODE_ENV === 'production' && vars.VONAGE_SIGNATURE_SECRET === undefined && !vars.ALLOW_UNSIGNED_WEBHOOKS) {
    ctx.addIssue({
      code: 'custom',
      path: ['VONAGE_SIGNATURE_SECRET'],
      message: 'VONAGE_SIGNATURE_SECRET is not set and NODE_ENV=production: set it to the signature secret from the Vonage Dashboard (Settings), or set ALLOW_UNSIGNED_WEBHOOKS=true to run with unverified webhooks anyway',
    });
  }
  if (vars.NODE_ENV === 'production' && vars.RECORDINGS_TEST_ALLOW_LOOPBACK) {
    ctx.addIssue({
      code: 'custom', path: ['RECORDINGS_TEST_ALLOW_LOOPBACK'],
      message: 'RECORDINGS_TEST_ALLOW_LOOPBACK=true is refused when NODE_ENV=production: it would let the recording key reach a host that is not Vonage\'s',
    });
  }
});

/** Every variable the server reads, with its check (the setup CLI reuses some). */
export const serverVariables = schema.shape;
export const CONFIG_VARIABLES: readonly string[] = Object.keys(serverVariables);

/** Builds the Config from an environment (process.env in server.ts); throws ConfigError naming every problem. */
export function loadConfig(env: Record<string, string | undefined>): Readonly<Config> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '');
      return issue.message.includes(variable) ? issue.message : `${variable}: ${issue.message}`;
    }));
  }
  const vars = parsed.data;
  return Object.freeze({
    port: vars.PORT,
    host: vars.HOST,
    proxyToNumber: vars.PROXY_TO_NUMBER,
    database: vars.DATABASE_URL,
    adminToken: vars.ADMIN_TOKEN ?? null,
    publicUrl: vars.PUBLIC_URL,
    signatureSecret: vars.VONAGE_SIGNATURE_SECRET ?? null,
    signatureMaxAgeSeconds: vars.SIGNATURE_MAX_AGE_SECONDS,
    qualifiedCallSeconds: vars.QUALIFIED_CALL_SECONDS,
    accessLog: parseAccessLog(vars.ACCESS_LOG),
    numbersRefreshMs: vars.NUMBERS_REFRESH_MS,
    answerStoreTimeoutMs: vars.ANSWER_STORE_TIMEOUT_MS,
    spoolPath: vars.SPOOL_PATH,
    timeZone: vars.TIMEZONE,
    spoolMaxBytes: vars.SPOOL_MAX_BYTES,
    dniAllowedOrigins: vars.DNI_ALLOWED_ORIGINS,
    dniHoldsPerAddressPerHour: vars.DNI_HOLDS_PER_ADDRESS_PER_HOUR,
    vonageApplication: vars.VONAGE_APPLICATION_ID === undefined
      ? null
      : { applicationId: vars.VONAGE_APPLICATION_ID, privateKeyPath: vars.VONAGE_PRIVATE_KEY },
    recordingsDir: vars.RECORDINGS_DIR,
    recordingRetentionDays: vars.RECORDING_RETENTION_DAYS === 0 ? null : vars.RECORDING_RETENTION_DAYS,
    recordingRetryMs: vars.RECORDING_RETRY_MS,
    recordingsAllowLoopback: vars.RECORDINGS_TEST_ALLOW_LOOPBACK,
    webhookAllowPrivate: vars.WEBHOOK_ALLOW_PRIVATE === 'true',
    // 0 is the schema's "unset": the range refuses it as a value.
    callRetentionDays: vars.CALL_RETENTION_DAYS === 0 ? null : vars.CALL_RETENTION_DAYS,
  });
}
