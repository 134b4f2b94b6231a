// What the stores keep for outgoing webhooks, the audit log and callers' data: the records and
// their shapes, apart from the calls themselves (call-store.ts).

import type { CallEvent, CallRecord } from '../domain/calls.js';
import type { OutboxEvent, WebhookEventType } from '../webhooks/webhook-events.js';

export interface WebhookSubscription {
  id: string;
  url: string;
  eventTypes: WebhookEventType[];
  /** `whsec_…`: shown once when created, kept so deliveries can be signed. */
  secret: string;
  /** False once the receiver answered 410 Gone: nothing more is sent to it. */
  enabled: boolean;
  createdAt: Date;
}

/** pending: to be sent (again) at nextAttemptAt; delivered: a 2xx came back; failed: given up. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event on its way to one subscription; (eventId, subscriptionId) is its key. */
export interface WebhookDelivery {
  eventId: string;
  subscriptionId: string;
  type: WebhookEventType;
  callUuid: string | null;
  body: string;
  status: DeliveryStatus;
  /** Attempts started, counted when one is claimed (so one cut short by a crash counts too). */
  attempts: number;
  /** When it is due; while claimed, when the claim lapses and another worker may take it. */
  nextAttemptAt: Date;
  lastError: string | null;
  lastStatusCode: number | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

/** A claimed delivery with what sending it needs. */
export interface ClaimedDelivery extends WebhookDelivery {
  url: string;
  secret: string;
}

export type DeliveryResult =
  | { status: 'delivered'; statusCode: number; at: Date }
  | { status: 'pending'; nextAttemptAt: Date; error: string; statusCode: number | null }
  | { status: 'failed'; error: string; statusCode: number | null };

/** One admin change: who made it (an opaque actor from the auth layer), when, and what. */
export interface AuditEntry {
  at: Date;
  actor: string;
  /** e.g. `number.saved`, `webhook.created`, `caller.erased`. */
  action: string;
  /** What was changed: a number, a subscription id; never a caller's number. */
  target: string | null;
  details: Record<string, unknown>;
}

/** Everything held about one caller. */
export interface CallerData {
  calls: CallRecord[];
  events: CallEvent[];
  deliveries: WebhookDelivery[];
}

/** The outbox half of the store interface, apart so call-store.ts stays about calls. */
export interface WebhookStore {
  /** Also tells the store whether any subscription is enabled: without one no event is written. */
  listWebhookSubscriptions(): Promise<WebhookSubscription[]>;
  saveWebhookSubscription(subscription: WebhookSubscription): Promise<void>;
  /** Deletes the subscription and its deliveries; false when there was none. */
  deleteWebhookSubscription(id: string): Promise<boolean>;
  disableWebhookSubscription(id: string): Promise<void>;
  /** Queues an event for one subscription (test events); due at once. */
  enqueueWebhookEvent(event: OutboxEvent, subscriptionId: string): Promise<void>;
  /**
   * Takes up to `limit` pending deliveries due by `now` (of enabled subscriptions) and moves their
   * due time `leaseMs` ahead, atomically: another instance never takes the same one while the
   * lease runs, and one whose worker died is taken again once it lapses.
   */
  claimWebhookDeliveries(now: Date, leaseMs: number, limit: number): Promise<ClaimedDelivery[]>;
  finishWebhookDelivery(eventId: string, subscriptionId: string, result: DeliveryResult): Promise<void>;
  /** Newest first. */
  listWebhookDeliveries(subscriptionId: string, limit: number): Promise<WebhookDelivery[]>;
  /** Makes a delivery pending and due at `now` whatever its state; false when there is none. */
  redeliverWebhook(eventId: string, subscriptionId: string, now: Date): Promise<boolean>;

  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  listAudit(limit: number): Promise<AuditEntry[]>;

  /** Every call of the caller, their events, and the webhook deliveries about them. */
  findCallerData(caller: string): Promise<CallerData>;
  /**
   * Replaces `caller` by `marker` on every call, and deletes the webhook deliveries about those
   * calls (their bodies hold the number). Returns how many calls changed; 0 when none had it.
   */
  eraseCaller(caller: string, marker: string): Promise<number>;
  /**
   * Deletes up to `limit` of the calls started before `cutoff`, with their events and webhook
   * deliveries, and deliveries created before it; report buckets stay. Returns the calls deleted.
   */
  deleteCallsBefore(cutoff: Date, limit: number): Promise<number>;
}
