// Scripted calls shaped like Vonage's own webhooks: the answer webhook's query, and the event
// webhook bodies of the inbound leg and of the forwarded leg that `connect` creates.

export type FlowName = 'answered' | 'busy' | 'timeout' | 'unanswered' | 'caller hangs up while ringing' | 'withheld caller';

export interface ScriptedCall {
  name: FlowName;
  uuid: string;
  conversationUuid: string;
  trackingNumber: string;
  caller: string | null;
  answer: Record<string, string>;
  events: Record<string, string>[];
  expected: {
    outcome: 'answered' | 'missed';
    durationSeconds: number;
    answeredAt: string | null;
    endedAt: string;
    inboundStatus: string;
    forwardedStatus: string;
  };
}

let sequence = 0;

export function scriptCall(name: FlowName, trackingNumber: string, caller: string | null, start = Date.UTC(2026, 10, 2, 9, 30)): ScriptedCall {
  sequence += 1;
  const id = `${process.pid}-${sequence}`;
  const uuid = `aaaaaaaa-${id}-in`;
  const forwardedUuid = `bbbbbbbb-${id}-out`;
  const conversationUuid = `CON-${id}`;
  const at = (seconds: number) => new Date(start + seconds * 1000).toISOString();
  const from = caller ?? '';
  const inbound = (status: string, seconds: number, extra: Record<string, string> = {}) => ({
    from, to: trackingNumber, uuid, conversation_uuid: conversationUuid, status, direction: 'inbound', timestamp: at(seconds), ...extra,
  });
  const forwarded = (status: string, seconds: number, extra: Record<string, string> = {}) => ({
    from: trackingNumber, to: '447700900000', uuid: forwardedUuid, conversation_uuid: conversationUuid, status,
    direction: 'outbound', timestamp: at(seconds), ...extra,
  });
  const completed = (talkSeconds: number, from: number) => ({
    duration: String(talkSeconds), rate: '0.01200000', price: '0.00120000', network: '23410',
    start_time: at(from), end_time: at(from + talkSeconds),
  });

  const answer: Record<string, string> = {
    to: trackingNumber, uuid, conversation_uuid: conversationUuid, region_url: 'https://api-eu-1.vonage.com', endpoint_type: 'phone',
  };
  if (caller !== null) answer.from = caller;

  const opening = [inbound('started', 0), inbound('ringing', 0.2), inbound('answered', 0.5), forwarded('started', 1), forwarded('ringing', 1.5)];
  switch (name) {
    case 'answered':
    case 'withheld caller':
      return {
        name, uuid, conversationUuid, trackingNumber, caller, answer,
        events: [...opening, forwarded('answered', 6), forwarded('completed', 48, completed(42, 6)), inbound('completed', 48.3, completed(48, 0))],
        expected: { outcome: 'answered', durationSeconds: 42, answeredAt: at(6), endedAt: at(48.3), inboundStatus: 'completed', forwardedStatus: 'completed' },
      };
    case 'busy':
      return {
        name, uuid, conversationUuid, trackingNumber, caller, answer,
        events: [...opening, forwarded('busy', 3), inbound('completed', 3.4, completed(3, 0))],
        expected: { outcome: 'missed', durationSeconds: 0, answeredAt: null, endedAt: at(3.4), inboundStatus: 'completed', forwardedStatus: 'busy' },
      };
    case 'timeout':
      return {
        name, uuid, conversationUuid, trackingNumber, caller, answer,
        events: [...opening, forwarded('timeout', 61), inbound('completed', 61.2, completed(61, 0))],
        expected: { outcome: 'missed', durationSeconds: 0, answeredAt: null, endedAt: at(61.2), inboundStatus: 'completed', forwardedStatus: 'timeout' },
      };
    case 'unanswered':
      return {
        name, uuid, conversationUuid, trackingNumber, caller, answer,
        events: [...opening, forwarded('unanswered', 30), inbound('completed', 30.2, completed(30, 0))],
        expected: { outcome: 'missed', durationSeconds: 0, answeredAt: null, endedAt: at(30.2), inboundStatus: 'completed', forwardedStatus: 'unanswered' },
      };
    case 'caller hangs up while ringing':
      return {
        name, uuid, conversationUuid, trackingNumber, caller, answer,
        events: [...opening, inbound('completed', 9, completed(9, 0)), forwarded('cancelled', 9.1)],
        expected: { outcome: 'missed', durationSeconds: 0, answeredAt: null, endedAt: at(9.1), inboundStatus: 'completed', forwardedStatus: 'cancelled' },
      };
  }
}

/** A deterministic generator, so a failing order can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
