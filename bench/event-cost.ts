// The cost of one event webhook against the size of its conversation: the server (SQLite) is
// given conversations of growing size (answer webhooks and events sharing one conversation_uuid,
// as a forged flood would send them), then timed on further events of each, alternated with
// answer webhooks of unrelated callers. The conversation limits (src/domain/conversation-limits.ts)
// should keep every row at the cost of the smallest conversation.

import { join } from 'node:path';
import { percentile } from './load.js';
import { startServer, type Entrypoints } from './processes.js';
import { formatMs, formatNumber, formatRatio, markdownTable } from './report.js';

/** Ratio of an event's median latency to the smallest conversation's past which a row misses. */
const TARGET_RATIO = 2;

interface ConversationSize {
  calls: number;
  events: number;
}

interface SizeResult extends ConversationSize {
  eventMedianMs: number;
  eventP99Ms: number;
  answerMedianMs: number;
}

export interface EventCostResult {
  markdown: string;
  summary: string;
}

const FULL_SIZES: ConversationSize[] = [{ calls: 1, events: 5 }, { calls: 30, events: 100 }, { calls: 300, events: 700 }];
const QUICK_SIZES: ConversationSize[] = [{ calls: 1, events: 5 }, { calls: 20, events: 60 }];

async function timed(request: () => Promise<Response>): Promise<number> {
  const started = performance.now();
  const res = await request();
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`event-cost: ${res.url} answered ${res.status}`);
  return performance.now() - started;
}

export async function measureEventCost(entrypoints: Entrypoints, work: string, quick: boolean): Promise<EventCostResult> {
  const name = 'event-cost';
  const server = await startServer(entrypoints, {
    name,
    entry: 'server',
    env: {
      PROXY_TO_NUMBER: '447700900000', DATABASE_URL: `sqlite:${join(work, `${name}.db`)}`, ACCESS_LOG: 'off',
      SPOOL_PATH: join(work, `${name}-spool.ndjson`),
    },
    cwd: work,
    logPath: join(work, `${name}.log`),
  });
  let sequence = 0;
  const answer = (conversation: string) => {
    sequence += 1;
    const query = new URLSearchParams({ to: '442079460001', from: '447700900111', uuid: `${conversation}-in-${sequence}`, conversation_uuid: conversation });
    return fetch(`${server.url}/track-call?${query}`);
  };
  const event = (conversation: string) => {
    sequence += 1;
    return fetch(`${server.url}/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        uuid: `${conversation}-leg-${sequence % 7}`, conversation_uuid: conversation, status: sequence % 2 ? 'ringing' : 'answered',
        timestamp: new Date(Date.UTC(2026, 10, 2, 9, 0, 0) + sequence).toISOString(), direction: 'outbound',
      }),
    });
  };
  const timedEvents = quick ? 10 : 100;
  const results: SizeResult[] = [];
  try {
    for (const [index, size] of (quick ? QUICK_SIZES : FULL_SIZES).entries()) {
      const conversation = `CON-bench-${index}`;
      for (let i = 0; i < size.calls; i++) await timed(() => answer(conversation));
      for (let i = 0; i < size.events; i++) await timed(() => event(conversation));
      const eventMs: number[] = [];
      const answerMs: number[] = [];
      for (let i = 0; i < timedEvents; i++) {
        eventMs.push(await timed(() => event(conversation)));
        answerMs.push(await timed(() => answer(`CON-unrelated-${index}-${i}`)));
      }
      eventMs.sort((a, b) => a - b);
      answerMs.sort((a, b) => a - b);
      results.push({ ...size, eventMedianMs: percentile(eventMs, 50), eventP99Ms: percentile(eventMs, 99), answerMedianMs: percentile(answerMs, 50) });
    }
  } finally {
    await server.stop();
  }
  return render(results, timedEvents, quick);
}

/** A quick run's figures judge nothing: it shows them without a verdict. */
function render(results: SizeResult[], timedEvents: number, quick: boolean): EventCostResult {
  const base = results[0]!;
  const rows = results.map((r) => {
    const ratio = r.eventMedianMs / base.eventMedianMs;
    return [
      formatNumber(r.calls), formatNumber(r.events), formatMs(r.eventMedianMs), formatMs(r.eventP99Ms), formatRatio(ratio),
      formatMs(r.answerMedianMs), ...(quick ? [] : [ratio <= TARGET_RATIO ? 'PASS' : 'MISS']),
    ];
  });
  const largest = results[results.length - 1]!;
  const markdown = [
    '',
    '## Event cost against conversation size',
    '',
    `SQLite, one request at a time: a conversation is first given the answer webhooks and events shown (one conversation_uuid, as a forged flood sends them), then ${timedEvents} more events of it are timed, each followed by an answer webhook of an unrelated caller. Target: an event's median within ${TARGET_RATIO}× the smallest conversation's (the limits of src/domain/conversation-limits.ts keep what is stored per conversation bounded).`,
    '',
    markdownTable(['Prior answer webhooks', 'Prior events', 'Event p50', 'Event p99', 'p50 ÷ smallest', 'Unrelated answer p50', ...(quick ? [] : [''])], rows),
    '',
  ].join('\n');
  const summary = `event cost: ${formatMs(base.eventMedianMs)} → ${formatMs(largest.eventMedianMs)} median from ${base.calls}/${base.events} to ${largest.calls}/${largest.events} calls/events in the conversation`;
  return { markdown, summary };
}
