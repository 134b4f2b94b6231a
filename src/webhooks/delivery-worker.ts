// Delivers the outbox: claims due deliveries (a lease, so a crashed worker's are taken again
// once it lapses, and two instances never send one at the same time), sends each, and records
// the answer: 2xx delivered; 410 disables the subscription; 429 and 503 come back after their
// Retry-After; anything else after the next delay of the retry schedule, until it runs out.
// Also re-reads the subscriptions now and then, which tells the store whether to write events
// at all (another instance may have added the first one).

import { OutageLog, type Logger } from '../logger.js';
import type { CallStore } from '../store/call-store.js';
import type { ClaimedDelivery, DeliveryResult } from '../store/webhook-records.js';
import { nextRetryDelayMs, parseRetryAfterMs, RETRY_DELAYS_MS } from './retry-schedule.js';
import type { SendResult, WebhookSender } from './webhook-sender.js';

/** How often the outbox is looked at for due deliveries. */
const POLL_MS = 500;
/** Longer than a send can take (its timeout), so a live worker's claim never lapses mid-send. */
export const LEASE_MS = 60_000;
const BATCH = 20;
/** A stop waits this long for sends under way; those still going are sent again after their lease. */
const STOP_WAIT_MS = 2000;

export interface DeliveryWorkerOptions {
  /** The retry schedule; tests shorten it. */
  retryDelaysMs?: readonly number[];
  /** How often the subscriptions are re-read. */
  refreshMs: number;
  now?: () => Date;
}

const isSuccess = (status: number) => status >= 200 && status < 300;

export class DeliveryWorker {
  readonly #retryDelaysMs: readonly number[];
  readonly #now: () => Date;
  #pollTimer: NodeJS.Timeout | null = null;
  #refreshTimer: NodeJS.Timeout | null = null;
  #polling: Promise<void> | null = null;
  readonly #claims: OutageLog;
  readonly #refreshes: OutageLog;

  constructor(
    private readonly store: CallStore,
    private readonly sender: WebhookSender,
    private readonly logger: Logger,
    private readonly options: DeliveryWorkerOptions,
  ) {
    this.#retryDelaysMs = options.retryDelaysMs ?? RETRY_DELAYS_MS;
    this.#now = options.now ?? (() => new Date());
    this.#claims = new OutageLog(logger, 'webhook outbox unreachable; retrying', 'webhook outbox reachable again');
    this.#refreshes = new OutageLog(logger, 'webhook subscriptions could not be read; keeping the last known', 'webhook subscriptions read again');
  }

  async start(): Promise<void> {
    await this.#refresh();
    this.#pollTimer = setInterval(() => void this.poll(), POLL_MS);
    this.#refreshTimer = setInterval(() => void this.#refresh(), this.options.refreshMs);
    this.#pollTimer.unref();
    this.#refreshTimer.unref();
    void this.poll();
  }

  /** Sends what is due now; one poll at a time. */
  poll(): Promise<void> {
    this.#polling ??= this.#deliverDue().finally(() => {
      this.#polling = null;
    });
    return this.#polling;
  }

  /**
   * Stops polling and waits a little for the sends under way, so a slow receiver cannot hold up
   * a shutdown; what is left is sent by the next start (or another instance) after its lease.
   */
  async stop(): Promise<void> {
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    if (this.#refreshTimer) clearInterval(this.#refreshTimer);
    this.#pollTimer = this.#refreshTimer = null;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#polling, new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_WAIT_MS);
    })]);
    clearTimeout(timer);
  }

  async #refresh(): Promise<void> {
    try {
      await this.store.listWebhookSubscriptions();
      this.#refreshes.success();
    } catch (error) {
      this.#refreshes.failure(error);
    }
  }

  async #deliverDue(): Promise<void> {
    let claimed: ClaimedDelivery[];
    try {
      claimed = await this.store.claimWebhookDeliveries(this.#now(), LEASE_MS, BATCH);
      this.#claims.success();
    } catch (error) {
      this.#claims.failure(error);
      return;
    }
    await Promise.all(claimed.map((delivery) => this.#deliver(delivery)));
  }

  async #deliver(delivery: ClaimedDelivery): Promise<void> {
    const sent = await this.sender.send(delivery, this.#now());
    const result = this.#resultOf(delivery, sent);
    const ids = { subscription: delivery.subscriptionId, event: delivery.eventId, attempt: delivery.attempts };
    if (result.status !== 'delivered') this.logger.warn(`webhook delivery ${result.status === 'failed' ? 'failed for good' : 'failed'}: ${result.error}`, ids);
    try {
      if (sent.kind === 'response' && sent.statusCode === 410) await this.store.disableWebhookSubscription(delivery.subscriptionId);
      await this.store.finishWebhookDelivery(delivery.eventId, delivery.subscriptionId, result);
    } catch (error) {
      // The claim lapses and the delivery is sent again: at least once, never lost.
      this.logger.warn('webhook delivery outcome not recorded; it will be sent again', { ...ids, error: String(error) });
    }
  }

  #resultOf(delivery: ClaimedDelivery, sent: SendResult): DeliveryResult {
    const now = this.#now();
    if (sent.kind === 'response' && isSuccess(sent.statusCode)) return { status: 'delivered', statusCode: sent.statusCode, at: now };
    const statusCode = sent.kind === 'response' ? sent.statusCode : null;
    if (statusCode === 410) return { status: 'failed', error: '410 Gone: the subscription is disabled', statusCode };
    const error = sent.kind === 'error' ? sent.message
      : statusCode! >= 300 && statusCode! < 400 ? `${statusCode} redirect, not followed` : `HTTP ${statusCode}`;
    const scheduled = nextRetryDelayMs(delivery.attempts, this.#retryDelaysMs);
    if (scheduled === null) return { status: 'failed', error, statusCode };
    const retryAfter = statusCode === 429 || statusCode === 503 ? parseRetryAfterMs(sent.kind === 'response' ? sent.retryAfter : undefined, now) : null;
    return { status: 'pending', nextAttemptAt: new Date(now.getTime() + (retryAfter ?? scheduled)), error, statusCode };
  }
}
