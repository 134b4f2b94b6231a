// Vonage's Applications and Numbers APIs through Vonage's own SDK, with the failures a user can
// meet turned into one-line SetupErrors, and rate limiting (429) retried with backoff.

import { Applications, type Application } from '@vonage/applications';
import { Numbers } from '@vonage/numbers';
import { camelCaseObjectKeys } from '@vonage/server-client';
import type { SetupConfig } from '../../setup-config.js';
import { SetupError } from './setup-error.js';

/** A number on the account, as /account/numbers lists it. */
export interface OwnedNumber {
  /** E.164 digits. */
  msisdn: string;
  country: string;
  /** The application the number is linked to, if any. */
  applicationId: string | null;
}

/** Vonage's page size limit for /account/numbers. */
const NUMBERS_PAGE_SIZE = 100;
const REQUEST_TIMEOUT_MS = 15_000;
/** Tries of one request while Vonage answers 429; the waits double from the first. */
const RATE_LIMIT_TRIES = 5;
const FIRST_RETRY_MS = 500;
/** A Retry-After longer than this is not waited for: the user is told instead. */
const MAX_RETRY_AFTER_MS = 60_000;

/** The SDK's HTTP failure (VetchError): the response it carries, if Vonage answered at all. */
interface FailedResponse {
  status: number;
  headers: { get(name: string): string | null };
}

function responseOf(error: unknown): FailedResponse | null {
  const response = (error as { response?: unknown } | null)?.response;
  if (typeof response === 'object' && response !== null && typeof (response as FailedResponse).status === 'number') {
    return response as FailedResponse;
  }
  return null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function retryDelayMs(response: FailedResponse, attempt: number): number {
  const header = response.headers.get('retry-after');
  const seconds = header === null ? Number.NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS) : FIRST_RETRY_MS * 2 ** attempt;
}

/**
 * The one line a failed request becomes. `doing` says what was attempted ("reading application
 * …"); `notFound` is the line for a 404, where the request names something that may not exist.
 */
function describeFailure(error: unknown, doing: string, host: string, notFound?: string): SetupError {
  const response = responseOf(error);
  if (response !== null) {
    if (response.status === 404 && notFound !== undefined) return new SetupError(notFound);
    switch (response.status) {
      case 401:
        return new SetupError(`Vonage refused the credentials (401) while ${doing}: check VONAGE_API_KEY and VONAGE_API_SECRET`);
      case 403:
        return new SetupError(`Vonage does not allow this account to do it (403) while ${doing}`);
      case 429:
        return new SetupError(`Vonage is rate limiting this account (429) while ${doing}, still after ${RATE_LIMIT_TRIES} tries: wait a minute and run setup again`, { transient: true });
      default:
        return new SetupError(`Vonage answered ${response.status} while ${doing}${response.status >= 500 ? ': try again later' : ''}`, { transient: response.status >= 500 });
    }
  }
  const { name, code } = (error ?? {}) as { name?: string; code?: string };
  if (name === 'AbortError') return new SetupError(`Vonage did not answer within ${REQUEST_TIMEOUT_MS / 1000} s while ${doing}`, { transient: true });
  return new SetupError(`cannot reach Vonage at ${host} while ${doing} (${code ?? String(error)}): check the network connection`, { transient: true });
}

export class VonageApi {
  readonly #applications: Applications;
  readonly #numbers: Numbers;
  readonly #apiHost: string;
  readonly #restHost: string;

  constructor(config: Readonly<SetupConfig>) {
    const credentials = { apiKey: config.apiKey, apiSecret: config.apiSecret };
    const hosts = { apiHost: config.apiHost, restHost: config.restHost, timeout: REQUEST_TIMEOUT_MS };
    this.#applications = new Applications(credentials, hosts);
    this.#numbers = new Numbers(credentials, hosts);
    // The SDK fills in its default hosts when none is given.
    this.#apiHost = this.#applications.getConfig().apiHost!;
    this.#restHost = this.#numbers.getConfig().restHost!;
  }

  async #call<T>(doing: string, host: string, request: () => Promise<T>, notFound?: string): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request();
      } catch (error) {
        const response = responseOf(error);
        if (response?.status === 429 && attempt + 1 < RATE_LIMIT_TRIES) {
          const delayMs = retryDelayMs(response, attempt);
          if (delayMs < MAX_RETRY_AFTER_MS) {
            await sleep(delayMs);
            continue;
          }
        }
        throw describeFailure(error, doing, host, notFound);
      }
    }
  }

  /** The application as Vonage keeps it, every field camelCased once (the SDK answers both spellings). */
  async getApplication(id: string): Promise<Application> {
    const merged = await this.#call(`reading application ${id}`, this.#apiHost, () => this.#applications.getApplication(id),
      `application ${id} does not exist on this account (404): check VONAGE_APPLICATION_ID, or remove it to create a new application`);
    return camelCaseObjectKeys(merged, true, false) as unknown as Application;
  }

  /** Replaces the whole application (PUT): pass it complete, as getApplication read it. */
  async updateApplication(application: Application & { id: string }): Promise<void> {
    await this.#call(`updating application ${application.id}`, this.#apiHost, () => this.#applications.updateApplication(application));
  }

  /** Creates an application; Vonage makes its key pair and answers the private key once. */
  async createApplication(application: Application): Promise<{ id: string; privateKey: string }> {
    const created = await this.#call('creating the application', this.#apiHost, () => this.#applications.createApplication(application));
    const privateKey = created.keys?.privateKey ?? created.keys?.private_key;
    if (!created.id || !privateKey) throw new SetupError('Vonage created an application but answered no id or private key: see the Vonage Dashboard');
    return { id: created.id, privateKey };
  }

  /** Every number on the account, page after page. */
  async listOwnedNumbers(): Promise<OwnedNumber[]> {
    const numbers: OwnedNumber[] = [];
    for (let index = 1; ; index++) {
      const page = await this.#call('listing the account\'s numbers', this.#restHost, () =>
        this.#numbers.getOwnedNumbers({ size: NUMBERS_PAGE_SIZE, index }));
      const listed = page.numbers ?? [];
      for (const number of listed as (typeof listed[number] & { app_id?: string })[]) {
        if (!number.msisdn || !number.country) continue;
        numbers.push({ msisdn: number.msisdn, country: number.country, applicationId: number.app_id ?? null });
      }
      if (listed.length < NUMBERS_PAGE_SIZE || numbers.length >= (page.count ?? 0)) return numbers;
    }
  }

  /** Links a number to the application: its calls then reach the application's answer URL. */
  async linkNumber(number: OwnedNumber, applicationId: string): Promise<void> {
    const result = await this.#call(`linking ${number.msisdn}`, this.#restHost, () =>
      this.#numbers.updateNumber({ country: number.country, msisdn: number.msisdn, applicationId }));
    // /number/update answers its own error code in a 200 body; "200" is success.
    if (result.errorCode !== '200') {
      throw new SetupError(`Vonage refused to link ${number.msisdn} (${result.errorCode} ${result.errorCodeLabel ?? ''})`.trim());
    }
  }
}
