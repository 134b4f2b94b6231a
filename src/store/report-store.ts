// The narrow interface through which the reports read a store's buckets (see
// domain/report-figures.ts): sums of whole slots, the calls of the partial slots at a range's
// edges, and the calls of callers who come back after an instant.

import type { Figures, HistoriedCall } from '../domain/report-figures.js';

/** A half-open time range [since, until). */
export interface TimeRange {
  since: Date;
  until: Date;
}

/**
 * Groups slots by local time: group = (slot + offsetSlots) ÷ slotsPerGroup, rounded down, then
 * modulo groupsPerCycle when it is given (the hours of a week).
 */
export interface TimeGrouping {
  offsetSlots: number;
  slotsPerGroup: number;
  groupsPerCycle: number | null;
}

/** The time group of a slot. */
export function timeGroupOf(slot: number, grouping: TimeGrouping): number {
  const group = Math.floor((slot + grouping.offsetSlots) / grouping.slotsPerGroup);
  return grouping.groupsPerCycle === null ? group : group % grouping.groupsPerCycle;
}

export interface BucketSumQuery {
  /** The buckets of this width (one of BUCKET_WIDTHS) are read. */
  width: number;
  /** The slots [fromSlot, toSlot) summed: both multiples of the width. */
  fromSlot: number;
  toSlot: number;
  /** Without it, one sum over every slot. */
  time?: TimeGrouping;
  /** The dimensions kept apart; the sums add up the others. */
  dimensions: readonly BucketDimension[];
}

/** `source`: the website visit's source and medium together, as a pair. */
export type BucketDimension = 'campaign' | 'trackingNumber' | 'destination' | 'source';

export interface BucketSum {
  /** Null also when the query did not keep the dimension apart. */
  campaign: string | null;
  trackingNumber: string | null;
  /** The destination that answered. */
  destination: string | null;
  /** The website visit's source and medium; null for calls credited to no visit. */
  source: string | null;
  medium: string | null;
  /** The time group, or null when the query had none. */
  time: number | null;
  figures: Figures;
}

/**
 * Calls in a range whose caller's previous call (to any number, to the call's campaign, to its
 * number in that campaign) came before an instant at or before the range's start: each is its
 * caller's first call since that instant, so each counts one caller.
 */
export interface ReturningCallers {
  any: number;
  byCampaign: { campaign: string | null; callers: number }[];
  byNumber: { campaign: string | null; trackingNumber: string | null; callers: number }[];
}

/** The reads a report makes, all from one consistent view of the calls and buckets (ReportStore.read). */
export interface ReportReader {
  sumBuckets(query: BucketSumQuery): Promise<BucketSum[]>;
  /** The calls started in the range, for the partial slots at its edges. */
  callsWithHistory(range: TimeRange): Promise<HistoriedCall[]>;
  /** Counts the calls started in the range whose caller's previous call came before `previousBefore`. */
  returningCallers(range: TimeRange, previousBefore: Date): Promise<ReturningCallers>;
  /** From the earliest call's start to just after the latest one's; null when there is none. */
  callSpan(): Promise<TimeRange | null>;
}

export interface ReportStore {
  /**
   * Makes the buckets count qualified calls at this talk time (seconds), rebuilding them from
   * the calls when they count another one (or were never built, after an upgrade).
   */
  useQualifiedThreshold(seconds: number): Promise<void>;
  /** Runs `work` over one view of the calls and buckets: writes committed meanwhile are all in it or all out. */
  read<T>(work: (reader: ReportReader) => Promise<T>): Promise<T>;
}

/** The calls among `calls` whose caller's previous call came before `previousBefore`, as returningCallers counts them. */
export function returningCallersAmong(calls: Iterable<HistoriedCall>, previousBefore: Date): ReturningCallers {
  const before = previousBefore.getTime();
  const returned = (at: number | null) => at !== null && at < before;
  let any = 0;
  const byCampaign = new Map<string, ReturningCallers['byCampaign'][number]>();
  const byNumber = new Map<string, ReturningCallers['byNumber'][number]>();
  for (const call of calls) {
    if (returned(call.prevAnyAt)) any += 1;
    if (returned(call.prevCampaignAt)) {
      const id = JSON.stringify([call.campaign]);
      const row = byCampaign.get(id) ?? { campaign: call.campaign, callers: 0 };
      row.callers += 1;
      byCampaign.set(id, row);
    }
    if (returned(call.prevNumberAt)) {
      const id = JSON.stringify([call.campaign, call.trackingNumber]);
      const row = byNumber.get(id) ?? { campaign: call.campaign, trackingNumber: call.trackingNumber, callers: 0 };
      row.callers += 1;
      byNumber.set(id, row);
    }
  }
  return { any, byCampaign: [...byCampaign.values()], byNumber: [...byNumber.values()] };
}

/** `from` with `other` × `sign` added, per campaign and per number. */
export function addCallers(from: ReturningCallers, other: ReturningCallers, sign: 1 | -1): ReturningCallers {
  const byCampaign = new Map(from.byCampaign.map((r) => [JSON.stringify([r.campaign]), { ...r }]));
  const byNumber = new Map(from.byNumber.map((r) => [JSON.stringify([r.campaign, r.trackingNumber]), { ...r }]));
  for (const r of other.byCampaign) {
    const id = JSON.stringify([r.campaign]);
    const row = byCampaign.get(id) ?? { campaign: r.campaign, callers: 0 };
    row.callers += sign * r.callers;
    byCampaign.set(id, row);
  }
  for (const r of other.byNumber) {
    const id = JSON.stringify([r.campaign, r.trackingNumber]);
    const row = byNumber.get(id) ?? { campaign: r.campaign, trackingNumber: r.trackingNumber, callers: 0 };
    row.callers += sign * r.callers;
    byNumber.set(id, row);
  }
  return { any: from.any + sign * other.any, byCampaign: [...byCampaign.values()], byNumber: [...byNumber.values()] };
}
