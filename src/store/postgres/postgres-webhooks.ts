// The PostgreSQL store's outbox, webhook subscriptions, audit log and callers' data
// (webhook-records.ts). The outbox rows of a call change ride in the statement that makes the
// change (a data-modifying WITH), so they commit together and cost no extra round trip.

import type pg from 'pg';
import type { OutboxEvent } from '../../webhooks/webhook-events.js';
import type {
  AuditEntry, ClaimedDelivery, DeliveryResult, WebhookDelivery, WebhookSubscription,
} from '../webhook-records.js';
import {
  auditRowToEntry, deliveryRowToDelivery, subscriptionRowToSubscription, type AuditRow, type DeliveryRow, type SubscriptionRow,
} from '../sql-rows.js';

/**
 * For a statement with a data-modifying `WITH <changed> AS (… RETURNING uuid)`: one delivery per
 * event of a changed call and per enabled subscription that asked for its type. The events are
 * the five arrays from `outboxParameters`, numbered from `first`.
 */
export function fanOutSql(first: number, changed: string): string {
  const p = (offset: number) => `$${first + offset}`;
  return `
    INSERT INTO webhook_deliveries (event_id, subscription_id, type, call_uuid, body, status, attempts, next_attempt_at, created_at)
    SELECT e.event_id, s.id, e.type, e.call_uuid, e.body, 'pending', 0, e.created_at, e.created_at
    FROM unnest(${p(0)}::text[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::timestamptz[])
      AS e (event_id, type, call_uuid, body, created_at)
    JOIN ${changed} ON ${changed}.uuid = e.call_uuid
    JOIN webhook_subscriptions s ON s.enabled AND e.type = ANY (s.event_types)`;
}

export function outboxParameters(events: readonly OutboxEvent[]): unknown[] {
  return [
    events.map((e) => e.id), events.map((e) => e.type), events.map((e) => e.callUuid), events.map((e) => e.body),
    events.map((e) => e.createdAt),
  ];
}

const CLAIM = `
  UPDATE webhook_deliveries d SET next_attempt_at = $1::timestamptz + make_interval(secs => $2::double precision / 1000),
    attempts = d.attempts + 1
  FROM webhook_subscriptions s
  WHERE s.id = d.subscription_id AND (d.event_id, d.subscription_id) IN (
    SELECT due.event_id, due.subscription_id FROM webhook_deliveries due
    JOIN webhook_subscriptions ds ON ds.id = due.subscription_id AND ds.enabled
    WHERE due.status = 'pending' AND due.next_attempt_at <= $1
    ORDER BY due.next_attempt_at LIMIT $3
    FOR UPDATE OF due SKIP LOCKED)
  RETURNING d.*, s.url, s.secret`;

const ERASE = `
  WITH erased AS (UPDATE calls SET caller = $2 WHERE caller = $1 RETURNING uuid),
    gone AS (DELETE FROM webhook_deliveries WHERE call_uuid IN (SELECT uuid FROM erased))
  SELECT count(*)::int AS calls FROM erased`;

// SKIP LOCKED: a call being updated right now is left for the next batch, never waited for; so is
// a call the report rollup has not counted yet (one stored since the store counted them, see
// PostgresStore.deleteCallsBefore), as the buckets keep counting the calls deleted.
const DELETE_OLDEST = `
  WITH doomed AS (
      SELECT uuid, conversation_uuid FROM calls WHERE started_at < $1
        AND NOT EXISTS (SELECT 1 FROM report_pending p WHERE p.uuid = calls.uuid)
      ORDER BY started_at LIMIT $2 FOR UPDATE SKIP LOCKED),
    events AS (DELETE FROM call_events WHERE leg_uuid IN (SELECT uuid FROM doomed)
      OR conversation_uuid IN (SELECT conversation_uuid FROM doomed)),
    deliveries AS (DELETE FROM webhook_deliveries WHERE call_uuid IN (SELECT uuid FROM doomed)
      OR (event_id, subscription_id) IN (SELECT event_id, subscription_id FROM webhook_deliveries WHERE created_at < $1 LIMIT $2)),
    gone AS (DELETE FROM calls WHERE uuid IN (SELECT uuid FROM doomed) RETURNING 1)
  SELECT count(*)::int AS calls FROM gone`;

export class PostgresWebhooks {
  readonly #pool: pg.Pool;
  /** Whether any subscription is enabled, as last read or written here: none, no outbox rows. */
  #open = false;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Whether the call statements need to carry outbox rows at all. */
  get open(): boolean {
    return this.#open;
  }

  async listSubscriptions(): Promise<WebhookSubscription[]> {
    const { rows } = await this.#pool.query<SubscriptionRow>('SELECT * FROM webhook_subscriptions ORDER BY created_at, id');
    this.#open = rows.some((row) => row.enabled);
    return rows.map(subscriptionRowToSubscription);
  }

  async saveSubscription(subscription: WebhookSubscription): Promise<void> {
    await this.#pool.query(
      `INSERT INTO webhook_subscriptions (id, url, event_types, secret, enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET url = excluded.url, event_types = excluded.event_types, enabled = excluded.enabled`,
      [subscription.id, subscription.url, subscription.eventTypes, subscription.secret, subscription.enabled, subscription.createdAt],
    );
    await this.listSubscriptions();
  }

  async deleteSubscription(id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('DELETE FROM webhook_subscriptions WHERE id = $1', [id]);
    await this.listSubscriptions();
    return (rowCount ?? 0) > 0;
  }

  async disableSubscription(id: string): Promise<void> {
    await this.#pool.query('UPDATE webhook_subscriptions SET enabled = false WHERE id = $1', [id]);
    await this.listSubscriptions();
  }

  async enqueue(event: OutboxEvent, subscriptionId: string): Promise<void> {
    await this.#pool.query(
      `INSERT INTO webhook_deliveries (event_id, subscription_id, type, call_uuid, body, status, attempts, next_attempt_at, created_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)`,
      [event.id, subscriptionId, event.type, event.callUuid, event.body, event.createdAt],
    );
  }

  async claim(now: Date, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    const { rows } = await this.#pool.query<DeliveryRow & { url: string; secret: string }>({
      name: 'claim-webhook-deliveries', text: CLAIM, values: [now, leaseMs, limit],
    });
    return rows.map((row) => ({ ...deliveryRowToDelivery(row), url: row.url, secret: row.secret }));
  }

  async finish(eventId: string, subscriptionId: string, result: DeliveryResult): Promise<void> {
    await this.#pool.query(
      `UPDATE webhook_deliveries SET status = $3, next_attempt_at = coalesce($4, next_attempt_at), last_error = $5,
         last_status_code = $6, delivered_at = $7
       WHERE event_id = $1 AND subscription_id = $2`,
      [
        eventId, subscriptionId, result.status, result.status === 'pending' ? result.nextAttemptAt : null,
        result.status === 'delivered' ? null : result.error, result.statusCode, result.status === 'delivered' ? result.at : null,
      ],
    );
  }

  async listDeliveries(subscriptionId: string, limit: number): Promise<WebhookDelivery[]> {
    const { rows } = await this.#pool.query<DeliveryRow>(
      'SELECT * FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY created_at DESC, event_id DESC LIMIT $2',
      [subscriptionId, limit],
    );
    return rows.map(deliveryRowToDelivery);
  }

  async redeliver(eventId: string, subscriptionId: string, now: Date): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3 WHERE event_id = $1 AND subscription_id = $2`,
      [eventId, subscriptionId, now],
    );
    return (rowCount ?? 0) > 0;
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.#pool.query(
      'INSERT INTO audit_log (at, actor, action, target, details) VALUES ($1, $2, $3, $4, $5)',
      [entry.at, entry.actor, entry.action, entry.target, JSON.stringify(entry.details)],
    );
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    const { rows } = await this.#pool.query<AuditRow>(
      'SELECT at, actor, action, target, details FROM audit_log ORDER BY id DESC LIMIT $1', [limit]);
    return rows.map(auditRowToEntry);
  }

  async deliveriesOfCalls(uuids: readonly string[]): Promise<WebhookDelivery[]> {
    const { rows } = await this.#pool.query<DeliveryRow>(
      'SELECT * FROM webhook_deliveries WHERE call_uuid = ANY($1::text[]) ORDER BY created_at', [uuids]);
    return rows.map(deliveryRowToDelivery);
  }

  async eraseCaller(caller: string, marker: string): Promise<number> {
    const { rows } = await this.#pool.query<{ calls: number }>(ERASE, [caller, marker]);
    return rows[0]?.calls ?? 0;
  }

  async deleteCallsBefore(cutoff: Date, limit: number): Promise<number> {
    const { rows } = await this.#pool.query<{ calls: number }>(DELETE_OLDEST, [cutoff, limit]);
    return rows[0]?.calls ?? 0;
  }
}
