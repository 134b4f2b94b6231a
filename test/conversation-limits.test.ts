// A flood of forged webhooks sharing one conversation (or one leg) must not make each new webhook
// cost more: every store keeps at most the limits of conversation-limits.ts of it, ignores and
// logs the rest once, and real calls around the flood are recorded as before. Narrow with STORE=.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { CallEvent, InboundCall } from '../src/domain/calls.js';
import {
  MAX_CALLS_PER_CONVERSATION, MAX_EVENTS_PER_CONVERSATION, MAX_EVENTS_PER_LEG,
} from '../src/domain/conversation-limits.js';
import type { CallStore } from '../src/store/call-store.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { parseEventPayload } from '../src/http/webhook-payloads.js';
import { scriptCall, type ScriptedCall } from './helpers/call-flows.js';
import { MemoryLogger } from './helpers/memory-logger.js';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { createTestDatabase, postgresSkipReason } from './helpers/postgres.js';
import { startTestService, vonageUuid } from './helpers/service.js';

const CALLER = '447700900111';
const FORGED_CALLER = '447700900999';
const TRACKING_NUMBER = '442079460001';

/** Rows a durable store holds for a conversation or a leg; null for the memory store. */
type RowCounter = { calls(conversationUuid: string): Promise<number>; events(column: 'conversation_uuid' | 'leg_uuid', value: string): Promise<number> };

interface Backend {
  name: 'memory' | 'sqlite' | 'postgres';
  skip?: string;
  /** Opens `instances` stores sharing one place, and a way to count its rows (none for memory). */
  open(logger: MemoryLogger, instances: number, cleanups: (() => Promise<void>)[]): Promise<{ stores: CallStore[]; rows: RowCounter | null }>;
}

const ALL_BACKENDS: Backend[] = [
  { name: 'memory', open: async (logger) => ({ stores: [new MemoryStore(logger)], rows: null }) },
  {
    name: 'sqlite',
    open: async (logger, instances, cleanups) => {
      const dir = mkdtempSync(join(tmpdir(), 'ct-limits-'));
      const path = join(dir, 'calls.db');
      const stores = Array.from({ length: instances }, () => openSqliteStore(path, logger));
      const db = new Database(path, { readonly: true });
      cleanups.push(async () => {
        db.close();
        for (const store of stores) await store.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return {
        stores,
        rows: {
          calls: async (conversation) => db.prepare('SELECT count(*) FROM calls WHERE conversation_uuid = ?').pluck().get(conversation) as number,
          events: async (column, value) => db.prepare(`SELECT count(*) FROM call_events WHERE ${column} = ?`).pluck().get(value) as number,
        },
      };
    },
  },
  {
    name: 'postgres',
    skip: postgresSkipReason,
    open: async (logger, instances, cleanups) => {
      const database = await createTestDatabase('limits');
      const stores: CallStore[] = [];
      for (let i = 0; i < instances; i++) stores.push(await openPostgresStore(database.url, logger));
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      cleanups.push(async () => {
        await client.end();
        for (const store of stores) await store.close();
        await database.drop();
      });
      const count = async (text: string, value: string) => Number((await client.query<{ count: string }>(text, [value])).rows[0]!.count);
      return {
        stores,
        rows: {
          calls: (conversation) => count('SELECT count(*) FROM calls WHERE conversation_uuid = $1', conversation),
          events: (column, value) => count(`SELECT count(*) FROM call_events WHERE ${column} = $1`, value),
        },
      };
    },
  },
];

const selected = process.env.STORE?.split(',').map((name) => name.trim()).filter(Boolean);
const BACKENDS = selected ? ALL_BACKENDS.filter((b) => selected.includes(b.name)) : ALL_BACKENDS;

function answerOf(flow: ScriptedCall): InboundCall {
  return {
    uuid: flow.uuid, conversationUuid: flow.conversationUuid, trackingNumber: flow.trackingNumber, caller: flow.caller,
    campaign: 'Radio', forwardTo: '447700900000', startedAt: new Date(flow.events[0]!.timestamp!),
  };
}

const eventsOf = (flow: ScriptedCall): CallEvent[] => flow.events.map((body) => parseEventPayload(body, new Date()));

function forgedCall(n: number, conversationUuid: string): InboundCall {
  return {
    uuid: `forged-${conversationUuid}-${n}`, conversationUuid, trackingNumber: TRACKING_NUMBER, caller: FORGED_CALLER,
    campaign: 'Radio', forwardTo: '447700900000', startedAt: new Date(Date.UTC(2026, 10, 2, 9, 0, n)),
  };
}

/** Distinct events (none repeats another), spread over many legs or all on one. */
function forgedEvent(n: number, legUuid: string, conversationUuid: string | null): CallEvent {
  return {
    legUuid, conversationUuid, status: n % 2 === 0 ? 'answered' : 'completed', occurredAt: new Date(Date.UTC(2026, 10, 2, 9, 0, 0, n)),
    direction: 'outbound', durationSeconds: n % 2 === 0 ? null : 3600,
  };
}

const limitLines = (logger: MemoryLogger) => logger.lines.filter((line) => /over its limits/.test(line.message));

function inBatches<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

for (const backend of BACKENDS) {
  describe(`the ${backend.name} store under a flood of one conversation`, { skip: backend.skip }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    test('keeps a bounded number of its calls and events, logs the excess once, and records real calls as before', async () => {
      const logger = new MemoryLogger();
      const { stores: [store], rows } = await backend.open(logger, 1, cleanups);
      const real = [scriptCall('answered', TRACKING_NUMBER, CALLER), scriptCall('busy', TRACKING_NUMBER, CALLER)];
      const flood = `CON-flood-${backend.name}`;
      const floodLeg = `leg-flood-${backend.name}`;

      await store!.recordCalls([answerOf(real[0]!)]);
      // Calls one at a time (answer webhooks) and in batches (a burst the recorder groups).
      for (let n = 0; n < 10; n++) await store!.recordCalls([forgedCall(n, flood)]);
      await store!.recordCalls(Array.from({ length: 30 }, (_, i) => forgedCall(10 + i, flood)));
      const floodEvents = Array.from({ length: 200 }, (_, n) => forgedEvent(n, `forged-${flood}-${n % 8}`, flood));
      for (const batch of inBatches(floodEvents, 25)) await store!.recordEvents(batch);
      await store!.recordEvents(Array.from({ length: 60 }, (_, n) => forgedEvent(n, floodLeg, null)));
      await store!.recordCalls([answerOf(real[1]!)]);
      for (const flow of real) await store!.recordEvents(eventsOf(flow));

      for (const flow of real) {
        const call = await store!.findCall(flow.uuid);
        assert.equal(call?.outcome, flow.expected.outcome, `${flow.name}: outcome`);
        assert.equal(call?.durationSeconds, flow.expected.durationSeconds, `${flow.name}: talk time`);
        assert.equal(call?.endedAt?.toISOString(), flow.expected.endedAt, `${flow.name}: end`);
      }
      const listed = await store!.listCalls({ limit: 100 });
      const floodCalls = listed.calls.filter((call) => call.conversationUuid === flood);
      assert.equal(floodCalls.length, MAX_CALLS_PER_CONVERSATION, 'the first calls of the conversation are kept, the rest ignored');
      assert.deepEqual(floodCalls.map((call) => call.uuid).sort(), Array.from({ length: MAX_CALLS_PER_CONVERSATION }, (_, n) => `forged-${flood}-${n}`).sort());
      if (rows) {
        assert.equal(await rows.calls(flood), MAX_CALLS_PER_CONVERSATION);
        assert.equal(await rows.events('conversation_uuid', flood), MAX_EVENTS_PER_CONVERSATION);
        assert.equal(await rows.events('leg_uuid', floodLeg), MAX_EVENTS_PER_LEG);
      }

      const lines = limitLines(logger);
      assert.deepEqual(lines.map((line) => line.details?.conversationUuid ?? `leg ${line.details?.legUuid}`).sort(), [flood, `leg ${floodLeg}`].sort(),
        'one line per conversation (or leg without one), however much was ignored');
      assert.ok(!JSON.stringify(logger.lines).includes(FORGED_CALLER), 'no caller number in the log');
    });

    test('a retried webhook of a conversation at its limits is no excess', async () => {
      const logger = new MemoryLogger();
      const { stores: [store] } = await backend.open(logger, 1, cleanups);
      const conversation = `CON-full-${backend.name}`;
      const calls = Array.from({ length: MAX_CALLS_PER_CONVERSATION }, (_, n) => forgedCall(n, conversation));
      const events = Array.from({ length: MAX_EVENTS_PER_CONVERSATION }, (_, n) => forgedEvent(n, `leg-full-${n % 10}`, conversation));
      await store!.recordCalls(calls);
      await store!.recordEvents(events);
      await store!.recordCalls(calls);
      await store!.recordEvents(events);
      assert.deepEqual(limitLines(logger), []);
    });

    test('instances flooding one conversation at once keep it bounded', { skip: backend.name === 'memory' && 'one process only' }, async () => {
      const logger = new MemoryLogger();
      const { stores, rows } = await backend.open(logger, 2, cleanups);
      const conversation = `CON-shared-${backend.name}`;
      const events = Array.from({ length: 400 }, (_, n) => forgedEvent(n, `leg-shared-${n % 10}`, conversation));
      const calls = Array.from({ length: 40 }, (_, n) => forgedCall(n, conversation));
      await Promise.all(stores.map((store, i) => (async () => {
        for (const batch of inBatches(calls.filter((_, n) => n % 2 === i), 5)) await store.recordCalls(batch);
        for (const batch of inBatches(events.filter((_, n) => n % 2 === i), 20)) await store.recordEvents(batch);
      })()));
      // Each statement running alongside another may admit up to a limit's worth the other has
      // not committed yet: bounded by the limit times the instances.
      assert.ok(await rows!.calls(conversation) <= MAX_CALLS_PER_CONVERSATION * stores.length);
      assert.ok(await rows!.events('conversation_uuid', conversation) <= MAX_EVENTS_PER_CONVERSATION * stores.length);
      assert.ok(limitLines(logger).length >= 1);
    });
  });
}

describe('the answer and event webhooks under a flood of one conversation', () => {
  test('every forged answer webhook still gets its connect NCCO, and only the first calls are recorded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-limits-http-'));
    const service = await startTestService({ DATABASE_URL: `sqlite:${join(dir, 'calls.db')}` });
    try {
      const conversation = vonageUuid('CON');
      const answers = await Promise.all(Array.from({ length: 12 }, async (_, n) => {
        const query = new URLSearchParams({ to: TRACKING_NUMBER, from: FORGED_CALLER, uuid: `${conversation}-${n}`, conversation_uuid: conversation });
        const res = await fetch(`${service.url}/track-call?${query}`);
        assert.equal(res.status, 200);
        const ncco = await res.json();
        assertValidNcco(ncco);
        return ncco as { action: string }[];
      }));
      assert.ok(answers.every((ncco) => ncco[0]?.action === 'connect'), 'the caller is connected whatever the store keeps');
      for (let n = 0; n < 80; n++) {
        const res = await fetch(`${service.url}/event`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ uuid: `${conversation}-leg-${n % 5}`, conversation_uuid: conversation, status: 'ringing', timestamp: new Date(Date.UTC(2026, 10, 2, 9, 0, 0, n)).toISOString() }),
        });
        assert.equal(res.status, 204);
      }
      const { calls } = await service.store.listCalls({ limit: 100 });
      assert.equal(calls.filter((call) => call.conversationUuid === conversation).length, MAX_CALLS_PER_CONVERSATION);
      assert.equal(limitLines(service.logger).length, 1);
    } finally {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
