// The SQLite store's outbox, webhook subscriptions, audit log and callers' data (webhook-records.ts).
// The outbox rows are written by the store's own call transactions through `writeOutbox`.

import type Database from 'better-sqlite3';
import type { OutboxEvent } from '../../webhooks/webhook-events.js';
import type {
  AuditEntry, CallerData, ClaimedDelivery, DeliveryResult, WebhookDelivery, WebhookSubscription,
} from '../webhook-records.js';
import {
  auditRowToEntry, callRowToCall, deliveryRowToDelivery, eventRowToEvent, subscriptionRowToSubscription,
  type AuditRow, type CallRow, type DeliveryRow, type EventRow, type SubscriptionRow,
} from '../sql-rows.js';

export class SqliteWebhooks {
  readonly #statements;
  /** Whether any subscription is enabled, as last read or written here: none, no outbox rows. */
  #open = false;
  readonly claim: (now: number, leaseMs: number, limit: number) => ClaimedDelivery[];
  readonly #deleteOldest: (cutoff: number, limit: number) => number;
  readonly #erase: (caller: string, marker: string) => number;

  constructor(db: Database.Database) {
    this.#statements = {
      fanOut: db.prepare<{ eventId: string; type: string; callUuid: string | null; body: string; createdAt: number }>(`
        INSERT INTO webhook_deliveries (event_id, subscription_id, type, call_uuid, body, status, attempts, next_attempt_at, created_at)
        SELECT @eventId, s.id, @type, @callUuid, @body, 'pending', 0, @createdAt, @createdAt FROM webhook_subscriptions s
        WHERE s.enabled = 1 AND EXISTS (SELECT 1 FROM json_each(s.event_types) WHERE value = @type)`),
      enqueueOne: db.prepare(`
        INSERT INTO webhook_deliveries (event_id, subscription_id, type, call_uuid, body, status, attempts, next_attempt_at, created_at)
        VALUES (@eventId, @subscriptionId, @type, @callUuid, @body, 'pending', 0, @createdAt, @createdAt)`),
      listSubscriptions: db.prepare<[], SubscriptionRow>('SELECT * FROM webhook_subscriptions ORDER BY created_at, id'),
      saveSubscription: db.prepare(`
        INSERT INTO webhook_subscriptions (id, url, event_types, secret, enabled, created_at)
        VALUES (@id, @url, @eventTypes, @secret, @enabled, @createdAt)
        ON CONFLICT (id) DO UPDATE SET url = excluded.url, event_types = excluded.event_types, enabled = excluded.enabled`),
      deleteSubscription: db.prepare<[string]>('DELETE FROM webhook_subscriptions WHERE id = ?'),
      disableSubscription: db.prepare<[string]>('UPDATE webhook_subscriptions SET enabled = 0 WHERE id = ?'),
      due: db.prepare<[now: number, limit: number], DeliveryRow & { url: string; secret: string }>(`
        SELECT d.*, s.url, s.secret FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
        WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND s.enabled = 1
        ORDER BY d.next_attempt_at LIMIT ?`),
      lease: db.prepare<[leaseUntil: number, eventId: string, subscriptionId: string]>(`
        UPDATE webhook_deliveries SET next_attempt_at = ?, attempts = attempts + 1 WHERE event_id = ? AND subscription_id = ?`),
      finish: db.prepare(`
        UPDATE webhook_deliveries SET status = @status, next_attempt_at = coalesce(@nextAttemptAt, next_attempt_at),
          last_error = @error, last_status_code = @statusCode, delivered_at = @deliveredAt
        WHERE event_id = @eventId AND subscription_id = @subscriptionId`),
      listDeliveries: db.prepare<[string, number], DeliveryRow>(`
        SELECT * FROM webhook_deliveries WHERE subscription_id = ? ORDER BY created_at DESC, event_id DESC LIMIT ?`),
      redeliver: db.prepare<[now: number, eventId: string, subscriptionId: string]>(`
        UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ? WHERE event_id = ? AND subscription_id = ?`),
      appendAudit: db.prepare('INSERT INTO audit_log (at, actor, action, target, details) VALUES (@at, @actor, @action, @target, @details)'),
      listAudit: db.prepare<[number], AuditRow>('SELECT at, actor, action, target, details FROM audit_log ORDER BY id DESC LIMIT ?'),
      callsOfCaller: db.prepare<[string], CallRow>('SELECT * FROM calls WHERE caller = ? ORDER BY started_at, uuid'),
      eventsOfCalls: db.prepare<{ keys: string }, EventRow>(`
        SELECT * FROM call_events WHERE leg_uuid IN (SELECT value ->> 0 FROM json_each(@keys))
        UNION SELECT * FROM call_events WHERE conversation_uuid IN (SELECT value ->> 1 FROM json_each(@keys))`),
      deliveriesOfCalls: db.prepare<[string], DeliveryRow>(`
        SELECT * FROM webhook_deliveries WHERE call_uuid IN (SELECT value FROM json_each(?)) ORDER BY created_at`),
      eraseCaller: db.prepare<[marker: string, caller: string]>('UPDATE calls SET caller = ? WHERE caller = ?'),
      deleteDeliveriesOfCalls: db.prepare<[string]>('DELETE FROM webhook_deliveries WHERE call_uuid IN (SELECT value FROM json_each(?))'),
      oldestCalls: db.prepare<[cutoff: number, limit: number], { uuid: string; conversation_uuid: string | null }>(`
        SELECT uuid, conversation_uuid FROM calls WHERE started_at < ? ORDER BY started_at LIMIT ?`),
      deleteEventsOfCalls: db.prepare<{ keys: string }>(`
        DELETE FROM call_events WHERE leg_uuid IN (SELECT value ->> 0 FROM json_each(@keys))
          OR conversation_uuid IN (SELECT value ->> 1 FROM json_each(@keys))`),
      deleteCalls: db.prepare<[string]>('DELETE FROM calls WHERE uuid IN (SELECT value ->> 0 FROM json_each(?))'),
      deleteOldDeliveries: db.prepare<[cutoff: number, limit: number]>(`
        DELETE FROM webhook_deliveries WHERE rowid IN (SELECT rowid FROM webhook_deliveries WHERE created_at < ? LIMIT ?)`),
    };
    // IMMEDIATE: the write lock first, so two processes on one file never claim the same row.
    const claim = db.transaction((now: number, leaseMs: number, limit: number) => {
      const rows = this.#statements.due.all(now, limit);
      for (const row of rows) this.#statements.lease.run(now + leaseMs, row.event_id, row.subscription_id);
      return rows.map((row) => ({ ...deliveryRowToDelivery(row), attempts: row.attempts + 1, url: row.url, secret: row.secret }));
    });
    this.claim = (now, leaseMs, limit) => claim.immediate(now, leaseMs, limit);
    this.#deleteOldest = db.transaction((cutoff: number, limit: number) => {
      const calls = this.#statements.oldestCalls.all(cutoff, limit);
      this.#statements.deleteOldDeliveries.run(cutoff, limit);
      if (calls.length === 0) return 0;
      const keys = JSON.stringify(calls.map((c) => [c.uuid, c.conversation_uuid]));
      this.#statements.deleteEventsOfCalls.run({ keys });
      this.#statements.deleteDeliveriesOfCalls.run(JSON.stringify(calls.map((c) => c.uuid)));
      this.#statements.deleteCalls.run(keys);
      return calls.length;
    });
    this.#erase = db.transaction((caller: string, marker: string) => {
      const uuids = this.#statements.callsOfCaller.all(caller).map((row) => row.uuid);
      if (uuids.length === 0) return 0;
      this.#statements.deleteDeliveriesOfCalls.run(JSON.stringify(uuids));
      this.#statements.eraseCaller.run(marker, caller);
      return uuids.length;
    });
  }

  /** Whether the call transactions need to write to the outbox at all. */
  get open(): boolean {
    return this.#open;
  }

  /** Inside the caller's transaction: one delivery per enabled subscription that asked for each event. */
  writeOutbox(events: readonly OutboxEvent[]): void {
    for (const event of events) {
      this.#statements.fanOut.run({
        eventId: event.id, type: event.type, callUuid: event.callUuid, body: event.body, createdAt: event.createdAt.getTime(),
      });
    }
  }

  listSubscriptions(): WebhookSubscription[] {
    const subscriptions = this.#statements.listSubscriptions.all().map(subscriptionRowToSubscription);
    this.#open = subscriptions.some((s) => s.enabled);
    return subscriptions;
  }

  saveSubscription(subscription: WebhookSubscription): void {
    this.#statements.saveSubscription.run({
      ...subscription, eventTypes: JSON.stringify(subscription.eventTypes), enabled: subscription.enabled ? 1 : 0,
      createdAt: subscription.createdAt.getTime(),
    });
    this.listSubscriptions();
  }

  deleteSubscription(id: string): boolean {
    const deleted = this.#statements.deleteSubscription.run(id).changes > 0;
    this.listSubscriptions();
    return deleted;
  }

  disableSubscription(id: string): void {
    this.#statements.disableSubscription.run(id);
    this.listSubscriptions();
  }

  enqueue(event: OutboxEvent, subscriptionId: string): void {
    this.#statements.enqueueOne.run({
      eventId: event.id, subscriptionId, type: event.type, callUuid: event.callUuid, body: event.body, createdAt: event.createdAt.getTime(),
    });
  }

  finish(eventId: string, subscriptionId: string, result: DeliveryResult): void {
    this.#statements.finish.run({
      eventId, subscriptionId, status: result.status,
      nextAttemptAt: result.status === 'pending' ? result.nextAttemptAt.getTime() : null,
      error: result.status === 'delivered' ? null : result.error,
      statusCode: result.statusCode,
      deliveredAt: result.status === 'delivered' ? result.at.getTime() : null,
    });
  }

  listDeliveries(subscriptionId: string, limit: number): WebhookDelivery[] {
    return this.#statements.listDeliveries.all(subscriptionId, limit).map(deliveryRowToDelivery);
  }

  redeliver(eventId: string, subscriptionId: string, now: number): boolean {
    return this.#statements.redeliver.run(now, eventId, subscriptionId).changes > 0;
  }

  appendAudit(entry: AuditEntry): void {
    this.#statements.appendAudit.run({ ...entry, at: entry.at.getTime(), details: JSON.stringify(entry.details) });
  }

  listAudit(limit: number): AuditEntry[] {
    return this.#statements.listAudit.all(limit).map(auditRowToEntry);
  }

  findCallerData(caller: string): CallerData {
    const calls = this.#statements.callsOfCaller.all(caller).map(callRowToCall);
    const keys = JSON.stringify(calls.map((c) => [c.uuid, c.conversationUuid]));
    const events = this.#statements.eventsOfCalls.all({ keys }).map(eventRowToEvent);
    const deliveries = this.#statements.deliveriesOfCalls.all(JSON.stringify(calls.map((c) => c.uuid))).map(deliveryRowToDelivery);
    return { calls, events, deliveries };
  }

  eraseCaller(caller: string, marker: string): number {
    return this.#erase(caller, marker);
  }

  deleteCallsBefore(cutoff: number, limit: number): number {
    return this.#deleteOldest(cutoff, limit);
  }
}
