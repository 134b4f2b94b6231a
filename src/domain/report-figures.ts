// What each report figure is, defined once: a call's contribution to the report buckets it falls
// in. Every store keeps buckets (a span of UTC time × campaign × tracking number × the
// destination that answered × the website visit's source and medium, the span 15
// minutes, an hour and a UTC day) by adding contributions as calls arrive and (new − old) when a
// call changes; reports sum the widest buckets that fit their range, and compute the partial
// slots at a range's edges from the calls with this same function.
//
// To add an outcome figure (as voicemails was): add its name to FIGURES and one line to
// contributionOf; each SQL store adds the column (named by bucket-sql.ts's figureColumn) in a
// migration that also empties report_bucket_settings' threshold, so the buckets are rebuilt.
// To add a dimension (say a traffic source): add it to HistoriedCall, BucketKey and
// bucketKeysOf (and to withLifecycle when events set it), and to bucket-sql.ts's key columns.

import type { CallLifecycle, CallOutcome } from './calls.js';
import type { RecordingKind } from './recording-urls.js';

/** Bucket width. Every zone's offset is a multiple of it, so local days and hours are whole slots. */
export const SLOT_MS = 15 * 60_000;

export const slotOf = (ms: number): number => Math.floor(ms / SLOT_MS);

/**
 * The widths buckets are kept at, in slots: 15 minutes, an hour, a UTC day. Each call adds to one
 * bucket of each; a report over a month reads days, and hours and slots only at its ends.
 */
export const BUCKET_WIDTHS = [1, 4, 96] as const;

/**
 * A call as the reports see it: its bucket's dimensions, its outcome, and when its caller last
 * called before it (in the (startedAt, uuid) order every store uses) to any number, to its
 * campaign, and to its tracking number while in that campaign (null: never before, or withheld),
 * and whether the caller calls again after it, in each of those three senses.
 */
export interface HistoriedCall {
  startedAt: number;
  campaign: string | null;
  trackingNumber: string | null;
  caller: string | null;
  outcome: CallOutcome;
  durationSeconds: number | null;
  /** The destination that answered; null while (or when) nobody has. */
  answeredBy: string | null;
  /** The source and medium of the website visit the call is credited to; both null when none is. */
  source: string | null;
  medium: string | null;
  prevAnyAt: number | null;
  prevCampaignAt: number | null;
  prevNumberAt: number | null;
  hasNextAny: boolean;
  hasNextCampaign: boolean;
  hasNextNumber: boolean;
  /** Whether the conversation was recorded (a recording webhook of kind call arrived for it). */
  recorded: boolean;
  /** Whether the caller left a voicemail (a recording webhook of kind voicemail arrived for it). */
  voicemail: boolean;
}

/**
 * The call as the reports see it once a recording of `kind` arrived for it. A call stays counted
 * when the file is later deleted (by hand, by RECORDING_RETENTION_DAYS or an erasure): the
 * figures say what happened on the call, as its outcome does.
 */
export function withRecording(call: HistoriedCall, kind: RecordingKind): HistoriedCall {
  return kind === 'call' ? { ...call, recorded: true } : { ...call, voicemail: true };
}

/** The fields that link a call to its caller's calls before and after it. */
export const HISTORY_FIELDS = ['prevAnyAt', 'prevCampaignAt', 'prevNumberAt', 'hasNextAny', 'hasNextCampaign', 'hasNextNumber'] as const;
export type CallHistory = Pick<HistoriedCall, (typeof HISTORY_FIELDS)[number]>;

/** A call's history before the store has looked it up: no call before it, none after. */
export const NO_HISTORY: CallHistory = {
  prevAnyAt: null, prevCampaignAt: null, prevNumberAt: null, hasNextAny: false, hasNextCampaign: false, hasNextNumber: false,
};

/** The call as the reports see it once its lifecycle is `lifecycle`. */
export function withLifecycle(
  call: HistoriedCall, lifecycle: Pick<CallLifecycle, 'outcome' | 'durationSeconds' | 'answeredBy'>,
): HistoriedCall {
  return { ...call, outcome: lifecycle.outcome, durationSeconds: lifecycle.durationSeconds, answeredBy: lifecycle.answeredBy ?? null };
}

/** The figures every bucket holds; the stores name their columns after them. */
export const FIGURES = [
  'calls', 'answered', 'missed', 'blocked', 'talkSeconds', 'qualified', 'firstTime', 'newToCampaign', 'newToNumber',
  'voicemails', 'recorded',
  'betweenCalls', 'betweenCallsInCampaign', 'betweenCallsOnNumber',
] as const;
export type Figure = (typeof FIGURES)[number];
export type Figures = Record<Figure, number>;

const NO_FIGURES = Object.freeze(Object.fromEntries(FIGURES.map((figure) => [figure, 0])) as Figures);

/** Every figure 0: a copy of one frozen object, as the rollup makes one per bucket it touches. */
export function emptyFigures(): Figures {
  return { ...NO_FIGURES };
}

/** Adds `figures` × `sign` into `into`. */
export function addFigures(into: Figures, figures: Figures, sign = 1): void {
  for (const figure of FIGURES) into[figure] += sign * figures[figure];
}

/**
 * A qualified call: answered, with at least `qualifiedCallSeconds` of talk time
 * (QUALIFIED_CALL_SECONDS); the reports count them, the Google Ads export sends them.
 */
export function isQualifiedCall(call: Pick<HistoriedCall, 'outcome' | 'durationSeconds'>, qualifiedCallSeconds: number): boolean {
  return call.outcome === 'answered' && (call.durationSeconds ?? 0) >= qualifiedCallSeconds;
}

/**
 * One call's contribution to its bucket. `qualifiedCallSeconds`: answered calls with at least
 * this much talk time are qualified. The "new" figures count calls whose caller had not called
 * before (anywhere, in the campaign, on the number): a range's distinct callers are those, plus
 * the callers whose previous call came before the range.
 *
 * The "between calls" figures count +1 for a call its caller follows with another and −1 for a
 * call that follows one (in each sense): summed over the calls before an instant, they give the
 * callers who called before it and call again at or after it. Those who call again before the
 * range ends are the range's returning callers (see reports.ts).
 */
export function contributionOf(call: HistoriedCall, qualifiedCallSeconds: number): Figures {
  const answered = call.outcome === 'answered';
  const talkSeconds = answered ? call.durationSeconds ?? 0 : 0;
  const known = call.caller !== null;
  const between = (hasNext: boolean, prevAt: number | null) => (hasNext ? 1 : 0) - (prevAt === null ? 0 : 1);
  return {
    calls: 1,
    answered: answered ? 1 : 0,
    missed: call.outcome === 'missed' ? 1 : 0,
    blocked: call.outcome === 'blocked' ? 1 : 0,
    talkSeconds,
    qualified: isQualifiedCall(call, qualifiedCallSeconds) ? 1 : 0,
    firstTime: known && call.prevAnyAt === null ? 1 : 0,
    newToCampaign: known && call.prevCampaignAt === null ? 1 : 0,
    newToNumber: known && call.prevNumberAt === null ? 1 : 0,
    // A voicemail is left only once every destination failed, so these calls are missed ones too.
    voicemails: call.voicemail ? 1 : 0,
    recorded: call.recorded ? 1 : 0,
    betweenCalls: between(call.hasNextAny, call.prevAnyAt),
    betweenCallsInCampaign: between(call.hasNextCampaign, call.prevCampaignAt),
    betweenCallsOnNumber: between(call.hasNextNumber, call.prevNumberAt),
  };
}

/** Where a call's contribution goes: one bucket of each width. */
export interface BucketKey {
  /** One of BUCKET_WIDTHS. */
  width: number;
  /** The bucket's first slot, a multiple of its width. */
  slot: number;
  campaign: string | null;
  trackingNumber: string | null;
  destination: string | null;
  source: string | null;
  medium: string | null;
}

export function bucketKeysOf(call: HistoriedCall): BucketKey[] {
  const slot = slotOf(call.startedAt);
  return BUCKET_WIDTHS.map((width) => ({
    width, slot: Math.floor(slot / width) * width, campaign: call.campaign, trackingNumber: call.trackingNumber, destination: call.answeredBy,
    source: call.source, medium: call.medium,
  }));
}

/** One string per bucket key, for maps; the website source only for calls credited to a visit, most have none. */
export const bucketKeyString = (key: BucketKey): string =>
  JSON.stringify([key.width, key.slot, key.campaign, key.trackingNumber, key.destination])
  + (key.source === null ? '' : JSON.stringify([key.source, key.medium]));

export interface BucketDelta {
  key: BucketKey;
  figures: Figures;
}

/** The changes a batch of writes makes to buckets, summed per bucket before they are stored. */
export class BucketDeltas {
  readonly #deltas = new Map<string, BucketDelta>();

  constructor(readonly qualifiedCallSeconds: number) {}

  /** Adds (sign 1) or takes away (sign -1) a call's contribution. */
  add(call: HistoriedCall, sign: 1 | -1): void {
    const contribution = contributionOf(call, this.qualifiedCallSeconds);
    for (const key of bucketKeysOf(call)) {
      const id = bucketKeyString(key);
      let delta = this.#deltas.get(id);
      if (!delta) {
        delta = { key, figures: emptyFigures() };
        this.#deltas.set(id, delta);
      }
      addFigures(delta.figures, contribution, sign);
    }
  }

  /** A call that was `before` and is now `after`. */
  change(before: HistoriedCall, after: HistoriedCall): void {
    this.add(before, -1);
    this.add(after, 1);
  }

  /** The deltas that change something. */
  nonZero(): BucketDelta[] {
    return [...this.#deltas.values()].filter((delta) => FIGURES.some((figure) => delta.figures[figure] !== 0));
  }
}
