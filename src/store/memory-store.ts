// The in-memory store (DATABASE_URL=memory:): calls in a map keyed by tracking number, as the
// tutorial kept them. Nothing survives a restart; meant for tests and throwaway runs.

import { emptyBlockList, type BlockList } from '../domain/block-list.js';
import type { CallEvent, CallRecord, InboundCall } from '../domain/calls.js';
import { IN_PROGRESS } from '../domain/calls.js';
import {
  ExcessLog, MAX_CALLS_PER_CONVERSATION, MAX_EVENTS_PER_CONVERSATION, MAX_EVENTS_PER_LEG,
} from '../domain/conversation-limits.js';
import { deriveLifecycle } from '../domain/lifecycle.js';
import { consoleLogger, type Logger } from '../logger.js';
import type { TrackingNumber } from '../domain/tracking-numbers.js';
import type { CallPage, CallQuery, CallStore } from './call-store.js';
import { compareNewestFirst, isBeforeCursor } from './call-order.js';
import { importEachBatch, type CallBatches } from './bulk-load.js';
import { creditCalls } from '../domain/attribution/call-attribution.js';
import { MemoryDniStore } from './memory-dni-store.js';
import { MemoryMediaStore } from './memory-media-store.js';
import type { RecordingKind } from '../domain/recording-urls.js';
import { MemoryReports } from './memory-reports.js';
import { MemoryTeam } from './memory-team.js';
import { eventsOfCallChange, eventsOfStoredRecording, type OutboxEvent } from '../webhooks/webhook-events.js';
import type {
  AuditEntry, CallerData, ClaimedDelivery, DeliveryResult, WebhookDelivery, WebhookSubscription,
} from './webhook-records.js';

const NO_NUMBER = '';

export class MemoryStore implements CallStore {
  readonly kind = 'memory';
  readonly dni = new MemoryDniStore();
  readonly media = new MemoryMediaStore(
    (conversationUuid, kind) => this.#markRecording(conversationUuid, kind),
    (record) => this.#writeOutbox(eventsOfStoredRecording(record, (this.#callsByConversation.get(record.conversationUuid) ?? []).map((c) => c.uuid))),
  );
  readonly #callsByTrackingNumber = new Map<string, CallRecord[]>();
  readonly #callsByUuid = new Map<string, CallRecord>();
  readonly #callsByConversation = new Map<string, CallRecord[]>();
  readonly #eventsByKey = new Map<string, CallEvent>();
  readonly #eventsByLeg = new Map<string, CallEvent[]>();
  readonly #eventsByConversation = new Map<string, CallEvent[]>();
  readonly #numbers = new Map<string, TrackingNumber>();
  readonly #turns = new Map<string, number>();
  #blockList: BlockList = emptyBlockList();
  /** The calls a recording (kind call) or a voicemail arrived for, as the SQL stores mark them. */
  readonly #recordingKinds = new Map<string, Set<RecordingKind>>();
  readonly reports = new MemoryReports(() => this.#callsByUuid.values(), (call) => {
    const kinds = this.#recordingKinds.get(call.uuid);
    return { recorded: kinds?.has('call') ?? false, voicemail: kinds?.has('voicemail') ?? false };
  });
  readonly #excess: ExcessLog;
  readonly team = new MemoryTeam(() => this.#callsByUuid.values());
  readonly #subscriptions = new Map<string, WebhookSubscription>();
  /** Keyed by `eventId subscriptionId`. */
  readonly #deliveries = new Map<string, WebhookDelivery>();
  readonly #audit: AuditEntry[] = [];

  constructor(logger: Logger = consoleLogger) {
    this.#excess = new ExcessLog(logger);
  }

  async recordCalls(calls: readonly InboundCall[]): Promise<void> {
    const attributions = await creditCalls(calls, this.dni);
    for (const [index, { pooled: _, ...inbound }] of calls.entries()) {
      if (this.#callsByUuid.has(inbound.uuid)) continue;
      const conversation = inbound.conversationUuid === null ? [] : this.#callsByConversation.get(inbound.conversationUuid) ?? [];
      if (conversation.length >= MAX_CALLS_PER_CONVERSATION) {
        this.#excess.note({ kind: 'call', legUuid: inbound.uuid, conversationUuid: inbound.conversationUuid });
        continue;
      }
      const call: CallRecord = { ...inbound, ...IN_PROGRESS, blocked: inbound.blocked ?? false, attribution: attributions[index] ?? null };
      if (call.blocked) call.outcome = 'blocked';
      this.#add(call);
      this.#writeOutbox(eventsOfCallChange(null, call));
      this.#refreshLifecycle(call);
    }
  }

  #add(call: CallRecord): void {
    this.#callsByUuid.set(call.uuid, call);
    append(this.#callsByTrackingNumber, call.trackingNumber ?? NO_NUMBER, call);
    if (call.conversationUuid !== null) append(this.#callsByConversation, call.conversationUuid, call);
  }

  async importCalls(calls: readonly CallRecord[]): Promise<number> {
    let stored = 0;
    for (const { pooled: _, ...record } of calls) {
      if (this.#callsByUuid.has(record.uuid)) continue;
      stored += 1;
      this.#add({ attempts: [], answeredBy: null, attribution: null, ...record, blocked: record.outcome === 'blocked' });
    }
    return stored;
  }

  /** Memory has no indexes to build after: batch by batch. */
  async importCallBatches(batches: CallBatches): Promise<number> {
    return importEachBatch(this, batches);
  }

  async recordEvents(events: readonly CallEvent[]): Promise<void> {
    const concerned = new Set<CallRecord>();
    for (const event of events) {
      const key = `${event.legUuid}|${event.status}|${event.occurredAt.toISOString()}`;
      if (this.#eventsByKey.has(key)) continue;
      const ofLeg = this.#eventsByLeg.get(event.legUuid)?.length ?? 0;
      const ofConversation = event.conversationUuid === null ? 0 : this.#eventsByConversation.get(event.conversationUuid)?.length ?? 0;
      if (ofLeg >= MAX_EVENTS_PER_LEG || ofConversation >= MAX_EVENTS_PER_CONVERSATION) {
        this.#excess.note({ kind: 'event', legUuid: event.legUuid, conversationUuid: event.conversationUuid });
        continue;
      }
      this.#eventsByKey.set(key, event);
      append(this.#eventsByLeg, event.legUuid, event);
      if (event.conversationUuid !== null) append(this.#eventsByConversation, event.conversationUuid, event);
      for (const call of this.#callsConcerned(event)) concerned.add(call);
    }
    for (const call of concerned) this.#refreshLifecycle(call);
  }

  #callsConcerned(event: CallEvent): CallRecord[] {
    const direct = this.#callsByUuid.get(event.legUuid);
    if (direct) return [direct];
    if (event.conversationUuid === null) return [];
    return this.#callsByConversation.get(event.conversationUuid) ?? [];
  }

  #refreshLifecycle(call: CallRecord): void {
    const events = new Set(this.#eventsByLeg.get(call.uuid));
    if (call.conversationUuid !== null) for (const event of this.#eventsByConversation.get(call.conversationUuid) ?? []) events.add(event);
    if (events.size === 0) return;
    const before = structuredClone(call);
    Object.assign(call, deriveLifecycle(call, [...events]));
    this.#writeOutbox(eventsOfCallChange(before, call));
  }

  #writeOutbox(events: readonly OutboxEvent[]): void {
    for (const event of events) {
      for (const subscription of this.#subscriptions.values()) {
        if (subscription.enabled && subscription.eventTypes.includes(event.type)) this.#enqueue(event, subscription.id);
      }
    }
  }

  #enqueue(event: OutboxEvent, subscriptionId: string): void {
    this.#deliveries.set(`${event.id} ${subscriptionId}`, {
      eventId: event.id, subscriptionId, type: event.type, callUuid: event.callUuid, body: event.body, status: 'pending',
      attempts: 0, nextAttemptAt: event.createdAt, lastError: null, lastStatusCode: null, createdAt: event.createdAt, deliveredAt: null,
    });
  }

  async findCall(uuid: string): Promise<CallRecord | null> {
    const call = this.#callsByUuid.get(uuid);
    return call ? structuredClone(call) : null;
  }

  async findCallEvents(call: Pick<CallRecord, 'uuid' | 'conversationUuid'>): Promise<CallEvent[]> {
    return structuredClone([...new Set([
      ...this.#eventsByLeg.get(call.uuid) ?? [],
      ...(call.conversationUuid === null ? [] : this.#eventsByConversation.get(call.conversationUuid) ?? []),
    ])]);
  }

  async listCalls(query: CallQuery): Promise<CallPage> {
    const source = query.trackingNumber !== undefined
      ? this.#callsByTrackingNumber.get(query.trackingNumber) ?? []
      : [...this.#callsByUuid.values()];
    const matching = source
      .filter((c) => query.campaign === undefined || c.campaign === query.campaign)
      .filter((c) => query.outcome === undefined || c.outcome === query.outcome)
      .filter((c) => query.caller === undefined || c.caller === query.caller)
      .filter((c) => !query.since || c.startedAt >= query.since)
      .filter((c) => !query.until || c.startedAt < query.until)
      .filter((c) => !query.cursor || isBeforeCursor(c, query.cursor))
      .sort(compareNewestFirst);
    const calls = matching.slice(0, query.limit).map((c) => structuredClone(c));
    const last = calls[calls.length - 1];
    const nextCursor = matching.length > query.limit && last ? { startedAt: last.startedAt, uuid: last.uuid } : null;
    return { calls, nextCursor };
  }

  async listTrackingNumbers(): Promise<TrackingNumber[]> {
    return [...this.#numbers.values()].sort((a, b) => a.number.localeCompare(b.number)).map((n) => structuredClone(n));
  }

  async saveTrackingNumber(entry: TrackingNumber): Promise<void> {
    this.#numbers.set(entry.number, structuredClone(entry));
  }

  async deleteTrackingNumber(number: string): Promise<boolean> {
    return this.#numbers.delete(number);
  }

  async getBlockList(): Promise<BlockList> {
    return structuredClone(this.#blockList);
  }

  async saveBlockList(list: BlockList): Promise<void> {
    this.#blockList = structuredClone(list);
  }

  async takeRoundRobinTurn(trackingNumber: string): Promise<number> {
    const turn = this.#turns.has(trackingNumber) ? this.#turns.get(trackingNumber)! + 1 : 0;
    this.#turns.set(trackingNumber, turn);
    return turn;
  }

  async listWebhookSubscriptions(): Promise<WebhookSubscription[]> {
    return [...this.#subscriptions.values()].map((s) => structuredClone(s));
  }

  async saveWebhookSubscription(subscription: WebhookSubscription): Promise<void> {
    this.#subscriptions.set(subscription.id, structuredClone(subscription));
  }

  async deleteWebhookSubscription(id: string): Promise<boolean> {
    for (const [key, delivery] of this.#deliveries) if (delivery.subscriptionId === id) this.#deliveries.delete(key);
    return this.#subscriptions.delete(id);
  }

  async disableWebhookSubscription(id: string): Promise<void> {
    const subscription = this.#subscriptions.get(id);
    if (subscription) subscription.enabled = false;
  }

  async enqueueWebhookEvent(event: OutboxEvent, subscriptionId: string): Promise<void> {
    this.#enqueue(event, subscriptionId);
  }

  async claimWebhookDeliveries(now: Date, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    const due = [...this.#deliveries.values()]
      .filter((d) => d.status === 'pending' && d.nextAttemptAt <= now && this.#subscriptions.get(d.subscriptionId)?.enabled)
      .sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime())
      .slice(0, limit);
    return due.map((delivery) => {
      delivery.attempts += 1;
      delivery.nextAttemptAt = new Date(now.getTime() + leaseMs);
      const subscription = this.#subscriptions.get(delivery.subscriptionId)!;
      return { ...structuredClone(delivery), url: subscription.url, secret: subscription.secret };
    });
  }

  async finishWebhookDelivery(eventId: string, subscriptionId: string, result: DeliveryResult): Promise<void> {
    const delivery = this.#deliveries.get(`${eventId} ${subscriptionId}`);
    if (!delivery) return;
    delivery.status = result.status;
    delivery.lastStatusCode = result.statusCode;
    delivery.lastError = result.status === 'delivered' ? null : result.error;
    if (result.status === 'pending') delivery.nextAttemptAt = result.nextAttemptAt;
    delivery.deliveredAt = result.status === 'delivered' ? result.at : null;
  }

  async listWebhookDeliveries(subscriptionId: string, limit: number): Promise<WebhookDelivery[]> {
    return [...this.#deliveries.values()]
      .filter((d) => d.subscriptionId === subscriptionId)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.eventId < b.eventId ? 1 : -1))
      .slice(0, limit)
      .map((d) => structuredClone(d));
  }

  async redeliverWebhook(eventId: string, subscriptionId: string, now: Date): Promise<boolean> {
    const delivery = this.#deliveries.get(`${eventId} ${subscriptionId}`);
    if (!delivery) return false;
    delivery.status = 'pending';
    delivery.nextAttemptAt = now;
    return true;
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.#audit.push(structuredClone(entry));
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    return this.#audit.slice(-limit).reverse().map((e) => structuredClone(e));
  }

  async findCallerData(caller: string): Promise<CallerData> {
    const calls = [...this.#callsByUuid.values()].filter((c) => c.caller === caller).sort((a, b) => compareNewestFirst(b, a));
    const events = calls.flatMap((call) => [...new Set([
      ...this.#eventsByLeg.get(call.uuid) ?? [],
      ...(call.conversationUuid === null ? [] : this.#eventsByConversation.get(call.conversationUuid) ?? []),
    ])]);
    const uuids = new Set(calls.map((c) => c.uuid));
    const deliveries = [...this.#deliveries.values()].filter((d) => d.callUuid !== null && uuids.has(d.callUuid));
    return structuredClone({ calls, events, deliveries });
  }

  /** Marks the calls stored in the conversation (a call stored later is not, as in the SQL stores). */
  #markRecording(conversationUuid: string, kind: RecordingKind): void {
    for (const call of this.#callsByConversation.get(conversationUuid) ?? []) {
      const kinds = this.#recordingKinds.get(call.uuid) ?? new Set();
      kinds.add(kind);
      this.#recordingKinds.set(call.uuid, kinds);
    }
  }

  async eraseCaller(caller: string, marker: string): Promise<number> {
    const calls = [...this.#callsByUuid.values()].filter((c) => c.caller === caller);
    const uuids = new Set(calls.map((c) => c.uuid));
    for (const call of calls) call.caller = marker;
    for (const [key, delivery] of this.#deliveries) if (delivery.callUuid !== null && uuids.has(delivery.callUuid)) this.#deliveries.delete(key);
    return calls.length;
  }

  async deleteCallsBefore(cutoff: Date, limit: number): Promise<number> {
    const calls = [...this.#callsByUuid.values()].filter((c) => c.startedAt < cutoff).slice(0, limit);
    const uuids = new Set(calls.map((c) => c.uuid));
    const conversations = new Set(calls.flatMap((c) => (c.conversationUuid === null ? [] : [c.conversationUuid])));
    for (const call of calls) {
      this.#callsByUuid.delete(call.uuid);
      this.#recordingKinds.delete(call.uuid);
      remove(this.#callsByTrackingNumber, call.trackingNumber ?? NO_NUMBER, (c) => c === call);
      if (call.conversationUuid !== null) remove(this.#callsByConversation, call.conversationUuid, (c) => c === call);
    }
    for (const [key, event] of this.#eventsByKey) {
      if (!uuids.has(event.legUuid) && (event.conversationUuid === null || !conversations.has(event.conversationUuid))) continue;
      this.#eventsByKey.delete(key);
      remove(this.#eventsByLeg, event.legUuid, (e) => e === event);
      if (event.conversationUuid !== null) remove(this.#eventsByConversation, event.conversationUuid, (e) => e === event);
    }
    for (const [key, delivery] of this.#deliveries) {
      if (delivery.createdAt < cutoff || (delivery.callUuid !== null && uuids.has(delivery.callUuid))) this.#deliveries.delete(key);
    }
    return calls.length;
  }


  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function remove<K, V>(map: Map<K, V[]>, key: K, matches: (value: V) => boolean): void {
  const list = map.get(key)?.filter((value) => !matches(value)) ?? [];
  if (list.length > 0) map.set(key, list);
  else map.delete(key);
}
