// What each report figure means, defined once: turns the store's raw counts into the rows, totals,
// daily series and hour-of-week grid the report API and the dashboard show.

import type { CampaignTotals, CallStore, DailyCounts, TimeRange } from '../store/call-store.js';

export const DEFAULT_REPORT_DAYS = 30;
const DAY_MS = 86_400_000;

/** One campaign's figures (or, as `totals`, every call's) over a range. */
export interface ReportRow {
  /** Null for calls of numbers without a campaign (and for the totals row). */
  campaign: string | null;
  /** The tracking numbers whose calls are counted in the row, sorted. */
  trackingNumbers: string[];
  /** Inbound calls started in the range. */
  calls: number;
  /** Distinct known caller numbers among those calls; withheld callers count as calls only. */
  uniqueCallers: number;
  /** Calls in the range that were the caller's first call ever, to any tracking number. */
  firstTimeCallers: number;
  answered: number;
  missed: number;
  /** answered ÷ (answered + missed); null when both are 0. In-progress calls are in `calls` only. */
  answerRate: number | null;
  /** totalDurationSeconds ÷ answered; null when no call was answered. */
  averageDurationSeconds: number | null;
  /** Talk time of the answered calls; a call still going counts 0 until its `completed` event. */
  totalDurationSeconds: number;
  /** Answered calls with talk time ≥ qualifiedCallSeconds (so every answered call when it is 0). */
  qualifiedCalls: number;
}

export interface CampaignReport extends TimeRange {
  qualifiedCallSeconds: number;
  /** Sorted by calls, most first, then by campaign name; the no-campaign row last among equals. */
  rows: ReportRow[];
  totals: ReportRow;
}

export interface DailyReport extends TimeRange {
  /** Sorted by day, then campaign; UTC days. */
  days: DailyCounts[];
}

export interface HourOfWeekReport extends TimeRange {
  timezone: 'UTC';
  /** counts[dayOfWeek][hour], Sunday = 0. */
  counts: number[][];
}

/** The range a report covers when the request names only one end, or none: 30 days up to now. */
export function resolveReportRange(since: Date | undefined, until: Date | undefined, now: Date): TimeRange {
  const end = until ?? now;
  return { since: since ?? new Date(end.getTime() - DEFAULT_REPORT_DAYS * DAY_MS), until: end };
}

/** Campaign names in order, with the no-campaign row after every named one. */
function compareCampaigns(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

export function toReportRow(counts: CampaignTotals): ReportRow {
  const decided = counts.answered + counts.missed;
  return {
    campaign: counts.campaign,
    trackingNumbers: counts.trackingNumbers,
    calls: counts.calls,
    uniqueCallers: counts.uniqueCallers,
    firstTimeCallers: counts.firstTimeCallers,
    answered: counts.answered,
    missed: counts.missed,
    answerRate: decided === 0 ? null : counts.answered / decided,
    averageDurationSeconds: counts.answered === 0 ? null : counts.totalDurationSeconds / counts.answered,
    totalDurationSeconds: counts.totalDurationSeconds,
    qualifiedCalls: counts.qualifiedCalls,
  };
}

/**
 * Sums the campaign rows into the totals row. Every figure adds up except distinct callers,
 * which the store counts over the whole range (one person calling two campaigns is one caller).
 */
export function sumCampaignTotals(rows: readonly CampaignTotals[], distinctCallers: number): CampaignTotals {
  const numbers = new Set<string>();
  const totals: CampaignTotals = {
    campaign: null, trackingNumbers: [], calls: 0, uniqueCallers: distinctCallers, firstTimeCallers: 0,
    answered: 0, missed: 0, totalDurationSeconds: 0, qualifiedCalls: 0,
  };
  for (const row of rows) {
    for (const number of row.trackingNumbers) numbers.add(number);
    totals.calls += row.calls;
    totals.firstTimeCallers += row.firstTimeCallers;
    totals.answered += row.answered;
    totals.missed += row.missed;
    totals.totalDurationSeconds += row.totalDurationSeconds;
    totals.qualifiedCalls += row.qualifiedCalls;
  }
  totals.trackingNumbers = [...numbers].sort();
  return totals;
}

export async function buildCampaignReport(store: CallStore, range: TimeRange, qualifiedCallSeconds: number): Promise<CampaignReport> {
  const [campaigns, distinctCallers] = await Promise.all([
    store.campaignTotals({ ...range, qualifiedCallSeconds }),
    store.countDistinctCallers(range),
  ]);
  const rows = campaigns
    .filter((row) => row.calls > 0)
    .map(toReportRow)
    .sort((a, b) => b.calls - a.calls || compareCampaigns(a.campaign, b.campaign));
  return { ...range, qualifiedCallSeconds, rows, totals: toReportRow(sumCampaignTotals(campaigns, distinctCallers)) };
}

export async function buildDailyReport(store: CallStore, range: TimeRange): Promise<DailyReport> {
  const days = (await store.dailyCounts(range))
    .filter((row) => row.calls > 0)
    .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : compareCampaigns(a.campaign, b.campaign)));
  return { ...range, days };
}

export async function buildHourOfWeekReport(store: CallStore, range: TimeRange): Promise<HourOfWeekReport> {
  return { ...range, timezone: 'UTC', counts: await store.hourOfWeekCounts(range) };
}
