// `npm run setup`: points a Vonage application at this server, links the chosen numbers and
// registers them as tracking numbers. Everything is read and checked first (credentials, the
// application, the numbers, the public address), so that most failures change nothing; a failure
// while changing names what was already changed.

import { stat, writeFile } from 'node:fs/promises';
import type { Application } from '@vonage/applications';
import type { SetupConfig } from '../../setup-config.js';
import { normalisePhoneNumber } from '../../domain/phone.js';
import { PRIVATE_FILE_MODE } from '../../security/private-files.js';
import { answerUrlOf, eventUrlOf, newApplication, webhookDifferences, withOurWebhooks, type WebhookTarget } from './application-webhooks.js';
import type { CampaignMap } from './campaigns.js';
import { setEnvVariable } from './env-file.js';
import { findPublicAddress } from './public-address.js';
import { SetupError } from './setup-error.js';
import { trackingNumberChanges, type TrackingNumberStore } from './tracking-numbers.js';
import type { OwnedNumber, VonageApi } from './vonage-api.js';

export interface SetupOptions {
  /** 'all', the numbers as written, or undefined to leave numbers alone. */
  numbers: 'all' | string[] | undefined;
  campaigns: CampaignMap;
  dryRun: boolean;
  /** Name of the application setup creates when VONAGE_APPLICATION_ID is unset. */
  applicationName: string;
  envFile: string;
}

export interface SetupDeps {
  config: Readonly<SetupConfig>;
  api: VonageApi;
  /** Opens the store the tracking numbers go to; null when there is none to write (memory:). */
  openTrackingNumbers(): Promise<TrackingNumberStore | null>;
  print(line: string): void;
}

export interface SetupResult {
  applicationId: string | null;
  publicAddress: string;
}

function describeTarget(target: WebhookTarget): string {
  return `answer URL ${answerUrlOf(target.publicAddress)} and event URL ${eventUrlOf(target.publicAddress)} (POST)${target.signed ? ', signed callbacks on' : ''}`;
}

/** The owned numbers the options name, each checked to be on the account. */
function chooseNumbers(owned: OwnedNumber[], options: SetupOptions): OwnedNumber[] {
  if (options.numbers === 'all') return owned;
  const byMsisdn = new Map(owned.map((number) => [number.msisdn, number]));
  const chosen = new Map<string, OwnedNumber>();
  const written = [...(options.numbers ?? []), ...options.campaigns.keys()];
  for (const raw of written) {
    const msisdn = normalisePhoneNumber(raw);
    if (msisdn === null) throw new SetupError(`"${raw}" is not a phone number: write it in international form, e.g. +44 7700 900001`);
    const number = byMsisdn.get(msisdn);
    if (!number) throw new SetupError(`${msisdn} is not a number on this Vonage account (it has ${owned.length}): buy it first, or check the digits`);
    chosen.set(msisdn, number);
  }
  return [...chosen.values()];
}

async function assertNoFile(path: string): Promise<void> {
  try {
    await stat(path);
  } catch {
    return;
  }
  throw new SetupError(`${path} already exists: set VONAGE_APPLICATION_ID to the application it belongs to, or move the file away to create a new application`);
}

export async function runSetup(deps: SetupDeps, options: SetupOptions): Promise<SetupResult> {
  const { config, api, print } = deps;
  const would = options.dryRun ? 'would ' : '';

  // Read and check everything first.
  const publicAddress = await findPublicAddress(config);
  const target: WebhookTarget = { publicAddress, signed: config.signatureSecret !== null };
  let current: (Application & { id: string }) | null = null;
  if (config.applicationId !== null) {
    current = { ...(await api.getApplication(config.applicationId)), id: config.applicationId };
  } else {
    await assertNoFile(config.privateKeyPath);
  }
  const wantsNumbers = options.numbers !== undefined || options.campaigns.size > 0;
  const chosen = wantsNumbers ? chooseNumbers(await api.listOwnedNumbers(), options) : [];
  if (options.numbers === 'all' && chosen.length === 0) print('the account has no numbers yet: buy one in the Vonage Dashboard, then run setup again');
  const store = options.dryRun || chosen.length === 0 ? null : await deps.openTrackingNumbers();

  const done: string[] = [];
  const record = (change: string) => {
    done.push(change);
    print(change);
  };
  try {
    let applicationId = config.applicationId;
    if (current === null) {
      print(`${would}create application "${options.applicationName}" with Voice: ${describeTarget(target)}`);
      print(`${would}write its private key to ${config.privateKeyPath} (mode 0600) and VONAGE_APPLICATION_ID to ${options.envFile}`);
      if (!options.dryRun) {
        const created = await api.createApplication(newApplication(options.applicationName, target));
        applicationId = created.id;
        done.push(`created application ${created.id}`);
        await writeFile(config.privateKeyPath, created.privateKey, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
        done.push(`wrote ${config.privateKeyPath}`);
        await setEnvVariable(options.envFile, 'VONAGE_APPLICATION_ID', created.id);
        done.push(`wrote VONAGE_APPLICATION_ID to ${options.envFile}`);
        print(`created application ${created.id}`);
      }
    } else {
      const differences = webhookDifferences(current, target);
      if (differences.length === 0) {
        print(`application ${current.id} already has ${describeTarget(target)}`);
      } else {
        print(`${would}update application ${current.id}: ${differences.join('; ')}`);
        if (!options.dryRun) {
          await api.updateApplication(withOurWebhooks(current, target));
          record(`application ${current.id} now has ${describeTarget(target)}`);
        }
      }
    }

    for (const number of chosen) {
      if (applicationId !== null && number.applicationId === applicationId) {
        print(`${number.msisdn} is already linked to the application`);
        continue;
      }
      const moving = number.applicationId !== null ? ` (moving it from application ${number.applicationId})` : '';
      if (options.dryRun) print(`would link ${number.msisdn} to the application${moving}`);
      else {
        await api.linkNumber(number, applicationId!);
        record(`linked ${number.msisdn} to the application${moving}`);
      }
    }

    const numbers = chosen.map((number) => number.msisdn);
    if (options.dryRun) {
      for (const number of numbers) {
        const campaign = options.campaigns.get(number);
        print(`would register ${number} as a tracking number${campaign ? ` (campaign "${campaign}")` : ''}`);
      }
    } else if (numbers.length > 0 && store === null) {
      print('DATABASE_URL is memory:, which keeps nothing: the numbers are not registered as tracking numbers (calls to them are tracked all the same)');
    } else if (store !== null) {
      for (const entry of trackingNumberChanges(await store.listTrackingNumbers(), numbers, options.campaigns)) {
        await store.saveTrackingNumber(entry);
        record(`registered ${entry.number} as a tracking number${entry.campaign !== null ? ` (campaign "${entry.campaign}")` : ''}`);
      }
    }
    if (options.dryRun) print('dry run: nothing was changed');
    return { applicationId, publicAddress };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (done.length === 0) throw error instanceof SetupError ? error : new SetupError(message);
    throw new SetupError(`${message} (already done: ${done.join('; ')})`);
  } finally {
    await store?.close();
  }
}
