// The setup CLI's settings (npm run setup), read from the environment once, as config.ts reads the
// server's. Vonage credentials are required here only; the server itself never needs them.

import { z } from 'zod';
import { baseUrl, ConfigError, emptyAsUndefined, serverVariables, type DatabaseLocation } from './config.js';

export interface SetupConfig {
  apiKey: string;
  apiSecret: string;
  /** Null: setup creates an application and writes its id to .env. */
  applicationId: string | null;
  /** Where the application's private key is (or is written, when setup creates the application). */
  privateKeyPath: string;
  /** Base URLs of Vonage's APIs; undefined keeps the SDK's own (https://api.nexmo.com, https://rest.nexmo.com). */
  apiHost: string | undefined;
  restHost: string | undefined;
  /** The ngrok agent's local API, asked for the public address when PUBLIC_URL is unset. */
  ngrokApiUrl: string;
  publicUrl: string | null;
  signatureSecret: string | null;
  /** Where the tracking numbers are registered: the server's own store. */
  database: DatabaseLocation;
}

export const DEFAULT_PRIVATE_KEY_PATH = './private.key';
export const DEFAULT_NGROK_API_URL = 'http://127.0.0.1:4040/api/tunnels';

/** Vonage's own domains; anything else must be on this machine (a proxy or a test's fake API). */
const VONAGE_DOMAINS = ['nexmo.com', 'vonage.com'];

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function isVonageHost(hostname: string): boolean {
  return VONAGE_DOMAINS.some((domain) => hostname === domain || hostname.endsWith(`.${domain}`));
}

const vonageHost = (name: string) =>
  baseUrl(
    name,
    'an https URL on nexmo.com or vonage.com, or a loopback address (a local proxy or a test API)',
    (url) => (url.protocol === 'https:' && isVonageHost(url.hostname)) || isLoopbackHost(url.hostname),
  );

const required = (name: string, hint: string) =>
  z.preprocess(emptyAsUndefined, z.string({ error: `${name} is missing: ${hint}` }));

const schema = z.object({
  VONAGE_API_KEY: required('VONAGE_API_KEY', 'copy the API key from the Vonage Dashboard (Settings)'),
  VONAGE_API_SECRET: required('VONAGE_API_SECRET', 'copy the API secret from the Vonage Dashboard (Settings)'),
  VONAGE_APPLICATION_ID: z.preprocess(emptyAsUndefined, z.string().optional()),
  VONAGE_PRIVATE_KEY: z.preprocess(emptyAsUndefined, z.string().default(DEFAULT_PRIVATE_KEY_PATH)),
  VONAGE_API_HOST: vonageHost('VONAGE_API_HOST'),
  VONAGE_REST_HOST: vonageHost('VONAGE_REST_HOST'),
  NGROK_API_URL: baseUrl('NGROK_API_URL', 'an http URL on this machine (the ngrok agent\'s local API)', (url) => isLoopbackHost(url.hostname)),
  PUBLIC_URL: serverVariables.PUBLIC_URL,
  VONAGE_SIGNATURE_SECRET: serverVariables.VONAGE_SIGNATURE_SECRET,
  DATABASE_URL: serverVariables.DATABASE_URL,
  // The SDK logs each request, Authorization header included, through the `debug` package.
  DEBUG: z.preprocess(
    emptyAsUndefined,
    z.string().optional().refine((raw) => raw === undefined || !/vonage|\*/.test(raw), {
      message: 'DEBUG would make Vonage\'s SDK log the API secret: unset it for npm run setup',
    }),
  ),
});

/** The variables only the setup CLI reads. */
export const SETUP_VARIABLES: readonly string[] = Object.keys(schema.shape);

/** Checks an NGROK_API_URL given on the command line as the variable is checked. */
export function parseNgrokApiUrl(raw: string): string {
  const parsed = schema.shape.NGROK_API_URL.safeParse(raw);
  if (!parsed.success || parsed.data === undefined) throw new ConfigError(parsed.error?.issues[0]?.message ?? 'NGROK_API_URL is empty');
  return parsed.data;
}

/** Builds the SetupConfig; throws ConfigError naming every problem. */
export function loadSetupConfig(env: Record<string, string | undefined>): Readonly<SetupConfig> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => issue.message));
  const vars = parsed.data;
  return Object.freeze({
    apiKey: vars.VONAGE_API_KEY,
    apiSecret: vars.VONAGE_API_SECRET,
    applicationId: vars.VONAGE_APPLICATION_ID ?? null,
    privateKeyPath: vars.VONAGE_PRIVATE_KEY,
    apiHost: vars.VONAGE_API_HOST,
    restHost: vars.VONAGE_REST_HOST,
    ngrokApiUrl: vars.NGROK_API_URL ?? DEFAULT_NGROK_API_URL,
    publicUrl: vars.PUBLIC_URL,
    signatureSecret: vars.VONAGE_SIGNATURE_SECRET ?? null,
    database: vars.DATABASE_URL,
  });
}
