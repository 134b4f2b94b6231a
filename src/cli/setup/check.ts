// `setup --check`: the doctor. One line for each thing that keeps calls from reaching this server
// as they should; it reads and changes nothing.

import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Application } from '@vonage/applications';
import type { SetupConfig } from '../../setup-config.js';
import { webhookDifferences } from './application-webhooks.js';
import { findPublicAddress } from './public-address.js';
import { SetupError } from './setup-error.js';
import type { TrackingNumberStore } from './tracking-numbers.js';
import type { OwnedNumber, VonageApi } from './vonage-api.js';

/** What GET / answers on this server (src/http/routes/health.ts). */
export const LIVENESS_TEXT = 'Hello Vonage';
const REACH_TIMEOUT_MS = 5000;

export interface CheckDeps {
  config: Readonly<SetupConfig>;
  api: VonageApi;
  openTrackingNumbers(): Promise<TrackingNumberStore | null>;
}

/** A SetupError becomes a problem line; anything else is a bug and is thrown. */
async function attempt<T>(problems: string[], run: () => Promise<T>): Promise<T | null> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof SetupError)) throw error;
    problems.push(error.message);
    return null;
  }
}

async function checkReach(address: string): Promise<string | null> {
  try {
    const res = await fetch(`${address}/`, { signal: AbortSignal.timeout(REACH_TIMEOUT_MS), redirect: 'manual' });
    const text = (await res.text()).trim();
    if (res.status === 200 && text === LIVENESS_TEXT) return null;
    return `the public address ${address} does not reach this server: GET / answered ${res.status}, not "${LIVENESS_TEXT}" (is the server running, and ngrok forwarding to its port?)`;
  } catch (error) {
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return `the public address ${address} does not reach this server (${reason}): is the server running, and ngrok forwarding to its port?`;
  }
}

/** A private key file that is not the application's own would fail every request signed with it. */
async function privateKeyProblem(path: string, application: Application, applicationId: string): Promise<string | null> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch {
    return null; // none here: the server itself does not need it
  }
  const publicKey = application.keys?.publicKey;
  if (!publicKey) return null;
  const spki = (key: string) => createPublicKey(key).export({ type: 'spki', format: 'der' });
  let own: Buffer;
  try {
    own = spki(pem) as Buffer;
  } catch {
    return `${path} (VONAGE_PRIVATE_KEY) is not a private key`;
  }
  try {
    if (own.equals(spki(publicKey) as Buffer)) return null;
  } catch {
    return null; // Vonage's copy cannot be read: nothing to compare with
  }
  return `${path} (VONAGE_PRIVATE_KEY) is not the private key of application ${applicationId}`;
}

function numberProblems(owned: OwnedNumber[], trackingNumbers: string[], applicationId: string): string[] {
  const problems: string[] = [];
  const byMsisdn = new Map(owned.map((number) => [number.msisdn, number]));
  for (const number of trackingNumbers) {
    const ownedNumber = byMsisdn.get(number);
    if (!ownedNumber) problems.push(`tracking number ${number} is not a number on this Vonage account`);
    else if (ownedNumber.applicationId !== applicationId) problems.push(`tracking number ${number} is not linked to the application: run \`npm run setup -- --numbers ${number}\``);
  }
  if (!owned.some((number) => number.applicationId === applicationId)) {
    problems.push('no number is linked to the application: run `npm run setup -- --numbers all` (or name them)');
  }
  return problems;
}

/** The problems found; an empty list means calls reach this server as they should. */
export async function runCheck(deps: CheckDeps): Promise<{ problems: string[]; linkedNumbers: number; publicAddress: string | null }> {
  const { config, api } = deps;
  const problems: string[] = [];
  const publicAddress = await attempt(problems, () => findPublicAddress(config));
  if (config.applicationId === null) {
    problems.push('VONAGE_APPLICATION_ID is not set: run `npm run setup` to create the application');
    return { problems, linkedNumbers: 0, publicAddress };
  }
  const applicationId = config.applicationId;
  const application = await attempt(problems, () => api.getApplication(applicationId));
  if (application && publicAddress) {
    problems.push(...webhookDifferences(application, { publicAddress, signed: config.signatureSecret !== null }));
  }
  const keyProblem = application && (await privateKeyProblem(config.privateKeyPath, application, applicationId));
  if (keyProblem) problems.push(keyProblem);
  let linkedNumbers = 0;
  const owned = await attempt(problems, () => api.listOwnedNumbers());
  if (owned) {
    const store = await deps.openTrackingNumbers();
    try {
      const trackingNumbers = store ? (await store.listTrackingNumbers()).map((entry) => entry.number) : [];
      problems.push(...numberProblems(owned, trackingNumbers, applicationId));
    } finally {
      await store?.close();
    }
    linkedNumbers = owned.filter((number) => number.applicationId === applicationId).length;
  }
  if (publicAddress) {
    const unreachable = await checkReach(publicAddress);
    if (unreachable) problems.push(unreachable);
  }
  return { problems, linkedNumbers, publicAddress };
}
