// The outbox, audit log, erasure and retention half of the store interface, run unchanged against
// every store (see helpers/store-backends.ts to narrow it).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { transcriptIdOf } from '../src/domain/recordings.js';
import { LocalMediaFiles } from '../src/store/media-files.js';
import { MemoryLogger } from './helpers/memory-logger.js';
import { storeRecording } from './helpers/stored-recording.js';
import type { CallEvent, InboundCall } from '../src/domain/calls.js';
import { parseEventPayload } from '../src/http/webhook-payloads.js';
import { callToJson, fullCaller } from '../src/http/routes/call-json.js';
import { buildCampaignReport } from '../src/domain/reports.js';
import type { CallStore } from '../src/store/call-store.js';
import type { WebhookEventType } from '../src/webhooks/webhook-events.js';
import { outboxEvent } from '../src/webhooks/webhook-events.js';
import { newSubscription } from '../src/webhooks/subscriptions.js';
import { NumberAssigner } from '../src/domain/attribution/number-assigner.js';
import { visitSourceFrom } from '../src/domain/attribution/visit-source.js';
import { scriptCall, type FlowName } from './helpers/call-flows.js';
import { BACKENDS, suiteStores } from './helpers/store-backends.js';

const ALL_CALL_EVENTS: WebhookEventType[] = ['call.started', 'call.completed', 'call.missed', 'call.blocked'];
const RANGE = { since: new Date('2026-01-01T00:00:00Z'), until: new Date('2027-01-01T00:00:00Z') };

function answerOf(flow: ReturnType<typeof scriptCall>, fields: Partial<InboundCall> = {}): InboundCall {
  return {
    uuid: flow.uuid, conversationUuid: flow.conversationUuid, trackingNumber: flow.trackingNumber, caller: flow.caller,
    campaign: 'Hooks', forwardTo: '447700900000', startedAt: new Date(flow.events[0]!.timestamp!), ...fields,
  };
}

const eventsOf = (flow: ReturnType<typeof scriptCall>): CallEvent[] => flow.events.map((body) => parseEventPayload(body, new Date()));

async function recordFlow(store: CallStore, name: FlowName, caller: string | null, start?: number, fields: Partial<InboundCall> = {}) {
  const flow = scriptCall(name, '442079460001', caller, start);
  await store.recordCalls([answerOf(flow, fields)]);
  // One event at a time, as the event webhook delivers them.
  for (const event of eventsOf(flow)) await store.recordEvents([event]);
  return flow;
}

/** Every delivery there is, across subscriptions, taken by claiming them all. */
async function claimAll(store: CallStore, now = new Date()) {
  return store.claimWebhookDeliveries(now, 60_000, 1000);
}

for (const backend of BACKENDS) {
  describe(`the ${backend.name} store's outbox, audit log and callers' data`, { skip: backend.skip }, () => {
    const { freshLocation, freshStore } = suiteStores(backend);

    test('without a subscription, call changes write nothing to the outbox', async () => {
      const store = await freshStore();
      await recordFlow(store, 'answered', '447700900111');
      const subscription = newSubscription('https://crm.example.com/hooks', ALL_CALL_EVENTS);
      await store.saveWebhookSubscription(subscription);
      assert.deepEqual(await claimAll(store), []);
    });

    test('each call change writes its events once, with the call as the API shows it, to the subscriptions that asked', async () => {
      const store = await freshStore();
      const everything = newSubscription('https://crm.example.com/all', ALL_CALL_EVENTS);
      const completedOnly = newSubscription('https://crm.example.com/completed', ['call.completed']);
      await store.saveWebhookSubscription(everything);
      await store.saveWebhookSubscription(completedOnly);
      const answered = await recordFlow(store, 'answered', '447700900111');
      const missed = await recordFlow(store, 'busy', '447700900222');
      // Vonage retries: the same call and events again change nothing, so write nothing.
      await store.recordCalls([answerOf(answered)]);
      await store.recordEvents(eventsOf(answered));
      await store.recordCalls([answerOf(scriptCall('answered', '442079460001', '447700900333'), { blocked: true, uuid: 'blocked-1' })]);

      const claimed = await claimAll(store);
      const seen = claimed.map((d) => `${d.subscriptionId === everything.id ? 'all' : 'completed'} ${d.type} ${d.callUuid}`).sort();
      assert.deepEqual(seen, [
        `all call.blocked blocked-1`,
        `all call.completed ${answered.uuid}`,
        `all call.missed ${missed.uuid}`,
        `all call.started ${answered.uuid}`,
        `all call.started ${missed.uuid}`,
        `completed call.completed ${answered.uuid}`,
      ].sort());
      const completed = claimed.find((d) => d.type === 'call.completed' && d.subscriptionId === everything.id)!;
      const body = JSON.parse(completed.body) as { type: string; data: unknown; timestamp: string };
      assert.equal(body.type, 'call.completed');
      assert.deepEqual(body.data, callToJson((await store.findCall(answered.uuid))!, fullCaller));
      assert.equal(completed.url, everything.url);
      assert.equal(completed.secret, everything.secret);
      // One event, one id, whichever subscription it goes to.
      const ids = claimed.filter((d) => d.type === 'call.completed').map((d) => d.eventId);
      assert.equal(new Set(ids).size, 1);
    });

    test('a recording or voicemail once stored announces itself with its call and audio path, never the audio or the number', async (t) => {
      const store = await freshStore();
      const subscription = newSubscription('https://crm.example.com/media', ['recording.ready', 'voicemail.ready']);
      await store.saveWebhookSubscription(subscription);
      const answered = await recordFlow(store, 'answered', '447700900111');
      const missed = await recordFlow(store, 'busy', '447700900222');
      const folder = mkdtempSync(join(tmpdir(), 'ct-webhook-media-'));
      t.after(() => rmSync(folder, { recursive: true, force: true }));
      const files = await LocalMediaFiles.open(folder, new MemoryLogger());
      const at = new Date();
      await storeRecording(store, files, 'rec-a', 'call', answered.conversationUuid, at);
      await storeRecording(store, files, transcriptIdOf('rec-a'), 'transcript', answered.conversationUuid, at);
      await storeRecording(store, files, 'vm-b', 'voicemail', missed.conversationUuid, at);

      // Due as of now: each delivery is stamped when its file is stored, which on a busy machine
      // can be well after `at`.
      const claimed = await claimAll(store);
      assert.deepEqual(claimed.map((d) => `${d.type} ${d.callUuid}`).sort(), [`recording.ready ${answered.uuid}`, `voicemail.ready ${missed.uuid}`]);
      const body = JSON.parse(claimed.find((d) => d.type === 'voicemail.ready')!.body) as { type: string; data: unknown };
      assert.deepEqual(body.data, {
        callUuid: missed.uuid, recordingId: 'vm-b', kind: 'voicemail', startedAt: at.toISOString(), endedAt: at.toISOString(),
        sizeBytes: 'audio of vm-b'.length, contentType: 'audio/mpeg', audioUrl: '/api/recordings/vm-b/audio',
      });
      assert.ok(claimed.every((d) => !d.body.includes('447700900')), 'no caller number in a recording event');
    });

    test('a call to a pool number carries the website visit it is credited to in every event body', async () => {
      const store = await freshStore();
      await store.saveWebhookSubscription(newSubscription('https://crm.example.com/hooks', ALL_CALL_EVENTS));
      await store.dni.savePool({ id: 'website', campaign: 'Hooks', replacesNumber: '442079460000', numbers: ['442079460001'], holdSeconds: 1800 });
      const start = Date.UTC(2026, 10, 2, 9, 30);
      const assigner = new NumberAssigner(store.dni, () => new Date(start - 5 * 60_000));
      const visit = await assigner.numberFor('website', null, visitSourceFrom({
        utmSource: 'newsletter', utmMedium: 'email', utmCampaign: 'november', utmTerm: null, utmContent: null, gclid: 'Cj0-click',
        referrer: null, landingPage: 'https://shop.example/offer?x=1',
      }));
      assert.equal(visit.kind, 'held');
      const pooled = await recordFlow(store, 'answered', '447700900111', start, { pooled: true });
      const unpooled = await recordFlow(store, 'answered', '447700900222', start + 60_000);

      const bodies = (await claimAll(store)).map((d) => JSON.parse(d.body) as { type: string; data: { uuid: string; attribution: unknown } });
      const ofPooled = bodies.filter((b) => b.data.uuid === pooled.uuid);
      assert.deepEqual(ofPooled.map((b) => b.type).sort(), ['call.completed', 'call.started']);
      for (const body of ofPooled) {
        assert.deepEqual(body.data.attribution, {
          visitId: visit.kind === 'held' && visit.visitId, pool: 'website', source: 'newsletter', medium: 'email', campaign: 'november',
          term: null, content: null, gclid: 'Cj0-click', referrer: null, landingPage: 'https://shop.example/offer',
        });
      }
      assert.ok(bodies.filter((b) => b.data.uuid === unpooled.uuid).every((b) => b.data.attribution === null));
    });

    test('a claim is a lease: nobody else takes the delivery until it lapses, then it comes back with the same id', async () => {
      const store = await freshStore();
      const subscription = newSubscription('https://crm.example.com/hooks', ['call.started']);
      await store.saveWebhookSubscription(subscription);
      await store.recordCalls([answerOf(scriptCall('answered', '442079460001', '447700900111'))]);
      const now = new Date();
      const [first, ...others] = await store.claimWebhookDeliveries(now, 1000, 10);
      assert.ok(first);
      assert.deepEqual(others, []);
      assert.equal(first.attempts, 1);
      assert.deepEqual(await store.claimWebhookDeliveries(new Date(now.getTime() + 999), 1000, 10), []);
      const [again] = await store.claimWebhookDeliveries(new Date(now.getTime() + 1001), 1000, 10);
      assert.equal(again?.eventId, first.eventId);
      assert.equal(again?.attempts, 2);

      await store.finishWebhookDelivery(first.eventId, subscription.id, { status: 'pending', nextAttemptAt: new Date(now.getTime() + 5000), error: 'HTTP 500', statusCode: 500 });
      assert.deepEqual(await store.claimWebhookDeliveries(new Date(now.getTime() + 4999), 1000, 10), []);
      const [log] = await store.listWebhookDeliveries(subscription.id, 10);
      assert.equal(log?.status, 'pending');
      assert.equal(log?.lastError, 'HTTP 500');
      assert.equal(log?.attempts, 2);

      await store.finishWebhookDelivery(first.eventId, subscription.id, { status: 'delivered', statusCode: 204, at: now });
      assert.deepEqual(await store.claimWebhookDeliveries(new Date(now.getTime() + 100_000), 1000, 10), []);
      assert.equal((await store.listWebhookDeliveries(subscription.id, 10))[0]?.status, 'delivered');
      assert.equal(await store.redeliverWebhook(first.eventId, subscription.id, now), true);
      assert.equal((await store.claimWebhookDeliveries(now, 1000, 10))[0]?.eventId, first.eventId);
      assert.equal(await store.redeliverWebhook('msg_none', subscription.id, now), false);
    });

    test('a disabled subscription gets nothing new and nothing due; a test event goes to one subscription', async () => {
      const store = await freshStore();
      const subscription = newSubscription('https://crm.example.com/hooks', ['call.started']);
      const other = newSubscription('https://other.example.com/hooks', ['call.completed']);
      await store.saveWebhookSubscription(subscription);
      await store.saveWebhookSubscription(other);
      const test = outboxEvent('webhook.test', { message: 'hello' }, null);
      await store.enqueueWebhookEvent(test, other.id);
      await store.recordCalls([answerOf(scriptCall('answered', '442079460001', '447700900111'))]);
      await store.disableWebhookSubscription(subscription.id);
      await store.recordCalls([answerOf(scriptCall('answered', '442079460001', '447700900222'))]);
      const claimed = await claimAll(store);
      assert.deepEqual(claimed.map((d) => [d.subscriptionId, d.type, d.eventId]), [[other.id, 'webhook.test', test.id]]);
      assert.equal((await store.listWebhookDeliveries(subscription.id, 10)).length, 1);
      assert.equal((await store.listWebhookSubscriptions()).find((s) => s.id === subscription.id)?.enabled, false);
      assert.equal(await store.deleteWebhookSubscription(subscription.id), true);
      assert.equal(await store.deleteWebhookSubscription(subscription.id), false);
    });

    test('two instances claiming at once never take the same delivery', { skip: backend.name === 'memory' && 'one process only' }, async () => {
      const location = await freshLocation();
      const [a, b] = [await location.open(), await location.open()];
      const subscription = newSubscription('https://crm.example.com/hooks', ['call.started']);
      await a.saveWebhookSubscription(subscription);
      const calls = Array.from({ length: 40 }, () => answerOf(scriptCall('answered', '442079460001', '447700900111')));
      await a.recordCalls(calls);
      const now = new Date();
      const rounds = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).claimWebhookDeliveries(now, 60_000, 7)));
      const ids = rounds.flat().map((d) => d.eventId);
      assert.equal(ids.length, 40);
      assert.equal(new Set(ids).size, 40);
    });

    test('the audit log lists entries newest first', async () => {
      const store = await freshStore();
      await store.appendAudit({ at: new Date('2026-11-02T09:00:00Z'), actor: 'admin-token', action: 'number.saved', target: '442079460001', details: { campaign: 'Radio' } });
      await store.appendAudit({ at: new Date('2026-11-02T09:01:00Z'), actor: 'admin-token', action: 'caller.erased', target: null, details: { calls: 2 } });
      const entries = await store.listAudit(10);
      assert.deepEqual(entries.map((e) => [e.action, e.target, e.details]), [
        ['caller.erased', null, { calls: 2 }], ['number.saved', '442079460001', { campaign: 'Radio' }],
      ]);
      assert.equal(entries[1]?.at.toISOString(), '2026-11-02T09:00:00.000Z');
      assert.equal((await store.listAudit(1)).length, 1);
    });

    test('erasing a caller replaces the number on every call, drops its deliveries, and leaves every count as it was', async () => {
      const store = await freshStore();
      const subscription = newSubscription('https://crm.example.com/hooks', ALL_CALL_EVENTS);
      await store.saveWebhookSubscription(subscription);
      const erased = '447700900111';
      const kept = '447700900222';
      const day = Date.UTC(2026, 10, 2, 9);
      await recordFlow(store, 'answered', erased, day);
      await recordFlow(store, 'busy', erased, day + 3_600_000);
      await recordFlow(store, 'answered', kept, day + 1_800_000);
      await recordFlow(store, 'answered', erased, day + 7_200_000, { campaign: 'Other' });
      const report = () => buildCampaignReport(store.reports, RANGE, { qualifiedCallSeconds: 30, groupBy: 'campaign', timezone: 'UTC' });
      const reportBefore = await report();
      const data = await store.findCallerData(erased);
      assert.equal(data.calls.length, 3);
      assert.ok(data.events.length >= 3 * 6);
      assert.ok(data.deliveries.length >= 6);

      assert.equal(await store.eraseCaller(erased, 'erased:marker-1'), 3);
      assert.equal(await store.eraseCaller(erased, 'erased:marker-2'), 0, 'a second erasure finds nothing');
      assert.deepEqual(await store.findCallerData(erased), { calls: [], events: [], deliveries: [] });
      assert.deepEqual(await report(), reportBefore);
      assert.equal(reportBefore.totals.uniqueCallers, 2);
      const all = await store.listCalls({ limit: 10 });
      assert.deepEqual(all.calls.map((c) => c.caller).sort(), [kept, 'erased:marker-1', 'erased:marker-1', 'erased:marker-1']);
      const left = await claimAll(store);
      assert.ok(left.length > 0 && left.every((d) => !d.body.includes(erased)), 'no delivery still carries the number');
    });

    test('retention deletes calls started before the cutoff with their events and deliveries, in batches', async () => {
      const store = await freshStore();
      const subscription = newSubscription('https://crm.example.com/hooks', ALL_CALL_EVENTS);
      await store.saveWebhookSubscription(subscription);
      const old = [];
      for (let i = 0; i < 5; i++) old.push(await recordFlow(store, 'answered', `4477009001${i}0`, Date.UTC(2026, 0, 5, 9, i)));
      const recent = await recordFlow(store, 'busy', '447700900999', Date.UTC(2026, 10, 2, 9));
      const cutoff = new Date(Date.UTC(2026, 5, 1));
      assert.equal(await store.deleteCallsBefore(cutoff, 2), 2);
      assert.equal(await store.deleteCallsBefore(cutoff, 2), 2);
      assert.equal(await store.deleteCallsBefore(cutoff, 2), 1);
      assert.equal(await store.deleteCallsBefore(cutoff, 2), 0);
      assert.deepEqual((await store.listCalls({ limit: 10 })).calls.map((c) => c.uuid), [recent.uuid]);
      for (const flow of old) assert.deepEqual(await store.findCallerData(flow.caller!), { calls: [], events: [], deliveries: [] });
      const claimed = await claimAll(store);
      assert.deepEqual([...new Set(claimed.map((d) => d.callUuid))], [recent.uuid]);
    });
  });
}
