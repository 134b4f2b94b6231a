// The memory store's reports: it keeps no buckets, and sums the calls' contributions
// (report-figures.ts) when a report asks, with each call's history worked out from all calls.

import type { CallRecord } from '../domain/calls.js';
import { addFigures, contributionOf, emptyFigures, NO_HISTORY, slotOf, type HistoriedCall } from '../domain/report-figures.js';
import {
  returningCallersAmong, timeGroupOf, type BucketSum, type BucketSumQuery, type ReportReader, type ReportStore, type ReturningCallers,
  type TimeRange,
} from './report-store.js';
import { compareNewestFirst } from './call-order.js';

export class MemoryReports implements ReportStore, ReportReader {
  #qualifiedCallSeconds = 0;

  constructor(
    private readonly allCalls: () => Iterable<CallRecord>,
    /** Whether a recording and a voicemail arrived for the call. */
    private readonly recordingsOf: (call: CallRecord) => Pick<HistoriedCall, 'recorded' | 'voicemail'>,
  ) {}

  /** Every call with when its caller called before and whether they call again, oldest first. */
  #history(): HistoriedCall[] {
    const calls = [...this.allCalls()].sort((a, b) => compareNewestFirst(b, a));
    const latest = new Map<string, HistoriedCall>();
    /** The caller's latest call so far under `key`, now followed in `sense`; its start. */
    const previous = (key: string, sense: 'hasNextAny' | 'hasNextCampaign' | 'hasNextNumber', call: HistoriedCall) => {
      const before = latest.get(key);
      latest.set(key, call);
      if (!before) return null;
      before[sense] = true;
      return before.startedAt;
    };
    return calls.map((record) => {
      const call: HistoriedCall = {
        startedAt: record.startedAt.getTime(), campaign: record.campaign, trackingNumber: record.trackingNumber, caller: record.caller,
        outcome: record.outcome, durationSeconds: record.durationSeconds, answeredBy: record.answeredBy ?? null,
        source: record.attribution?.source ?? null, medium: record.attribution?.medium ?? null, ...NO_HISTORY,
        ...this.recordingsOf(record),
      };
      if (record.caller !== null) {
        call.prevAnyAt = previous(JSON.stringify([record.caller]), 'hasNextAny', call);
        call.prevCampaignAt = previous(JSON.stringify([record.caller, record.campaign]), 'hasNextCampaign', call);
        call.prevNumberAt = previous(JSON.stringify([record.caller, record.campaign, record.trackingNumber]), 'hasNextNumber', call);
      }
      return call;
    });
  }

  async useQualifiedThreshold(seconds: number): Promise<void> {
    this.#qualifiedCallSeconds = seconds;
  }

  async sumBuckets(query: BucketSumQuery): Promise<BucketSum[]> {
    const sums = new Map<string, BucketSum>();
    // Whatever the width asked, the sums of whole buckets are those of their slots.
    for (const call of this.#history()) {
      const slot = slotOf(call.startedAt);
      if (slot < query.fromSlot || slot >= query.toSlot) continue;
      const time = query.time ? timeGroupOf(slot, query.time) : null;
      const campaign = query.dimensions.includes('campaign') ? call.campaign : null;
      const trackingNumber = query.dimensions.includes('trackingNumber') ? call.trackingNumber : null;
      const destination = query.dimensions.includes('destination') ? call.answeredBy : null;
      const { source, medium } = query.dimensions.includes('source') ? call : { source: null, medium: null };
      const id = JSON.stringify([campaign, trackingNumber, destination, source, medium, time]);
      const sum = sums.get(id) ?? { campaign, trackingNumber, destination, source, medium, time, figures: emptyFigures() };
      addFigures(sum.figures, contributionOf(call, this.#qualifiedCallSeconds));
      sums.set(id, sum);
    }
    return [...sums.values()];
  }

  async callsWithHistory(range: TimeRange): Promise<HistoriedCall[]> {
    return this.#history().filter((call) => call.startedAt >= range.since.getTime() && call.startedAt < range.until.getTime());
  }

  async returningCallers(range: TimeRange, previousBefore: Date): Promise<ReturningCallers> {
    return returningCallersAmong(await this.callsWithHistory(range), previousBefore);
  }

  async read<T>(work: (reader: ReportReader) => Promise<T>): Promise<T> {
    return work(this);
  }

  async callSpan(): Promise<TimeRange | null> {
    let earliest = Infinity;
    let latest = -Infinity;
    for (const call of this.allCalls()) {
      earliest = Math.min(earliest, call.startedAt.getTime());
      latest = Math.max(latest, call.startedAt.getTime());
    }
    return earliest === Infinity ? null : { since: new Date(earliest), until: new Date(latest + 1) };
  }
}
