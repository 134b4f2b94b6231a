// The reports users see — campaign, tracking-number, destination or website-source rows with
// totals, calls per local day, the local hour-of-week grid — built from a store's buckets
// (report-figures.ts says what each figure counts) in the business's time zone.

import {
  addCallers, timeGroupOf, type BucketDimension, type BucketSum, type BucketSumQuery, type ReportReader, type ReportStore, type ReturningCallers,
  type TimeRange,
} from '../store/report-store.js';
import {
  addFigures, BUCKET_WIDTHS, contributionOf, emptyFigures, slotOf, SLOT_MS, type Figures,
} from './report-figures.js';
import { DAY_MS, offsetAt, offsetSpans } from './time-zone.js';

export const DEFAULT_REPORT_DAYS = 30;
export const REPORT_GROUPINGS = ['campaign', 'number', 'destination', 'source', 'medium'] as const;
export type ReportGrouping = (typeof REPORT_GROUPINGS)[number];

const SLOTS_PER_HOUR = 3_600_000 / SLOT_MS;
const HOURS_PER_WEEK = 7 * 24;
/** 1970-01-01, day 0 of the epoch, was a Thursday. */
const EPOCH_DAY_OF_WEEK = 4;

/** One campaign's figures, or one tracking number's while in one campaign, or (as `totals`) every call's. */
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
  /** Calls from a blocked caller, never connected: in `calls`, neither answered nor missed. */
  blocked: number;
  /** answered ÷ (answered + missed); null when both are 0. In-progress calls are in `calls` only. */
  answerRate: number | null;
  /** totalDurationSeconds ÷ answered; null when no call was answered. */
  averageDurationSeconds: number | null;
  /** Talk time of the answered calls; a call still going counts 0 until its `completed` event. */
  totalDurationSeconds: number;
  /** Answered calls with talk time ≥ qualifiedCallSeconds (so every answered call when it is 0). */
  qualifiedCalls: number;
  /** Missed calls whose caller left a voicemail (also in `missed`). */
  voicemails: number;
  /** Calls whose conversation was recorded (a recording arrived; counted still once it is deleted). */
  recordedCalls: number;
}

/** A row of the report by tracking number: the number's calls while it belonged to `campaign`. */
export interface NumberReportRow extends ReportRow {
  trackingNumber: string | null;
}

/**
 * A row of the report by the destination that answered (null: calls nobody answered, so the
 * missed, blocked and in-progress ones). Distinct callers are counted per campaign and number
 * only: a destination row has none.
 */
export interface DestinationReportRow extends Omit<ReportRow, 'campaign' | 'uniqueCallers'> {
  answeredBy: string | null;
  uniqueCallers: null;
}

/**
 * A row of the report by website source: the calls credited to visits with this source and
 * medium, as a pair ("google" / "cpc" apart from "google" / "organic"), an ambiguous call to the
 * visit that held its number last (call-attribution.ts). Both null: calls credited to no website
 * visit (to numbers outside the pools, or that no visit held). Distinct callers as destination rows.
 */
export interface SourceReportRow extends Omit<ReportRow, 'campaign' | 'uniqueCallers'> {
  source: string | null;
  medium: string | null;
  uniqueCallers: null;
}

/** A row of the report by website medium alone (cpc, organic, referral, …); null as in SourceReportRow. */
export type MediumReportRow = Omit<SourceReportRow, 'source'>;

/** The rows of each grouping. */
export interface ReportRowOf {
  campaign: ReportRow;
  number: NumberReportRow;
  destination: DestinationReportRow;
  source: SourceReportRow;
  medium: MediumReportRow;
}

export interface CampaignReport<G extends ReportGrouping = ReportGrouping> extends TimeRange {
  groupBy: G;
  timezone: string;
  qualifiedCallSeconds: number;
  /**
   * Sorted by calls, most first, then by campaign name (the no-campaign row last among equals);
   * by number, then campaign, when grouped by number; by destination, source (then medium) or
   * medium when grouped by them, the null row last among equals.
   */
  rows: ReportRowOf[G][];
  totals: ReportRow;
}

export interface DailyCounts {
  /** Local day in the report's time zone, YYYY-MM-DD. */
  day: string;
  campaign: string | null;
  calls: number;
  answered: number;
  missed: number;
}

export interface DailyReport extends TimeRange {
  timezone: string;
  /** Sorted by day, then campaign. */
  days: DailyCounts[];
}

export interface HourOfWeekReport extends TimeRange {
  timezone: string;
  /** counts[dayOfWeek][hour], local time, Sunday = 0. */
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

/**
 * Covers the slots [fromSlot, toSlot) with the widest buckets that fit: a month as days, with
 * hours and then slots at either end.
 */
function coverSlots(fromSlot: number, toSlot: number, fits: (width: number) => boolean): { width: number; fromSlot: number; toSlot: number }[] {
  const pieces: { width: number; fromSlot: number; toSlot: number }[] = [];
  const cover = (from: number, to: number, widths: readonly number[]) => {
    const [width, ...narrower] = widths;
    if (from >= to || width === undefined) return;
    const start = Math.ceil(from / width) * width;
    const end = Math.floor(to / width) * width;
    if (!fits(width) || start >= end) {
      cover(from, to, narrower);
      return;
    }
    cover(from, start, narrower);
    pieces.push({ width, fromSlot: start, toSlot: end });
    cover(end, to, narrower);
  };
  cover(fromSlot, toSlot, [...BUCKET_WIDTHS].sort((a, b) => b - a));
  return pieces;
}

/**
 * The buckets' figures over a range, per the dimensions asked and (with `grouping`) local time
 * group: whole buckets summed by the store, the partial slots at either end from their calls.
 * `span` is the store's callSpan().
 */
async function sumRange(
  store: ReportReader, span: TimeRange | null, range: TimeRange, qualifiedCallSeconds: number, dimensions: readonly BucketDimension[],
  grouping?: { zone: string; slotsPerGroup: number; groupsPerCycle: number | null },
): Promise<BucketSum[]> {
  if (span === null) return [];
  const since = range.since.getTime();
  const until = range.until.getTime();
  // A range reaching past the first or last call holds the whole slot at that end: no call lies
  // in the part outside the range, so the slot's bucket serves.
  let fromSlot = since <= span.since.getTime() ? slotOf(since) : Math.ceil(since / SLOT_MS);
  let toSlot = until >= span.until.getTime() ? Math.ceil(until / SLOT_MS) : Math.floor(until / SLOT_MS);
  const edges: TimeRange[] = [];
  if (fromSlot >= toSlot) {
    edges.push(range);
    fromSlot = toSlot = 0;
  } else {
    if (since < fromSlot * SLOT_MS) edges.push({ since: range.since, until: new Date(fromSlot * SLOT_MS) });
    if (toSlot * SLOT_MS < until) edges.push({ since: new Date(toSlot * SLOT_MS), until: range.until });
  }
  // Only the slots that can hold calls: fewer zone offsets to look up.
  fromSlot = Math.max(fromSlot, slotOf(span.since.getTime()));
  toSlot = Math.min(toSlot, slotOf(span.until.getTime() - 1) + 1);

  const spans = grouping ? offsetSpans(grouping.zone, fromSlot, toSlot) : [{ fromSlot, toSlot, offsetSlots: 0 }];
  const queries: BucketSumQuery[] = spans.flatMap((offsetSpan) => {
    const time = grouping && { offsetSlots: offsetSpan.offsetSlots, slotsPerGroup: grouping.slotsPerGroup, groupsPerCycle: grouping.groupsPerCycle };
    // A bucket fits when it lies inside one time group: group bounds fall on its width.
    const fits = (width: number) => !time || (time.slotsPerGroup % width === 0 && time.offsetSlots % width === 0);
    return coverSlots(offsetSpan.fromSlot, offsetSpan.toSlot, fits).map((piece) => ({ ...piece, dimensions, ...(time && { time }) }));
  });
  const [sums, edgeCalls] = await Promise.all([
    Promise.all(queries.map((query) => store.sumBuckets(query))),
    Promise.all(edges.map((edge) => store.callsWithHistory(edge))),
  ]);
  const merged = new Map<string, BucketSum>();
  const addSum = (key: Omit<BucketSum, 'figures'>, figures: Figures) => {
    const id = JSON.stringify([key.campaign, key.trackingNumber, key.destination, key.source, key.medium, key.time]);
    let sum = merged.get(id);
    if (!sum) {
      sum = { ...key, figures: emptyFigures() };
      merged.set(id, sum);
    }
    addFigures(sum.figures, figures);
  };
  for (const sum of sums.flat()) addSum(sum, sum.figures);
  for (const call of edgeCalls.flat()) {
    const slot = slotOf(call.startedAt);
    const time = grouping ? timeGroupOf(slot, { ...grouping, offsetSlots: offsetAt(grouping.zone, call.startedAt) / SLOT_MS }) : null;
    const campaign = dimensions.includes('campaign') ? call.campaign : null;
    const trackingNumber = dimensions.includes('trackingNumber') ? call.trackingNumber : null;
    const destination = dimensions.includes('destination') ? call.answeredBy : null;
    const { source, medium } = dimensions.includes('source') ? call : { source: null, medium: null };
    addSum({ campaign, trackingNumber, destination, source, medium, time }, contributionOf(call, qualifiedCallSeconds));
  }
  return [...merged.values()];
}

function toReportRow(campaign: string | null, trackingNumbers: Iterable<string | null>, figures: Figures, uniqueCallers: number): ReportRow {
  const decided = figures.answered + figures.missed;
  return {
    campaign,
    trackingNumbers: [...new Set([...trackingNumbers].filter((n): n is string => n !== null))].sort(),
    calls: figures.calls,
    uniqueCallers,
    firstTimeCallers: figures.firstTime,
    answered: figures.answered,
    missed: figures.missed,
    blocked: figures.blocked,
    answerRate: decided === 0 ? null : figures.answered / decided,
    averageDurationSeconds: figures.answered === 0 ? null : figures.talkSeconds / figures.answered,
    totalDurationSeconds: figures.talkSeconds,
    qualifiedCalls: figures.qualified,
    voicemails: figures.voicemails,
    recordedCalls: figures.recorded,
  };
}

const NO_RETURNING: ReturningCallers = { any: 0, byCampaign: [], byNumber: [] };

/** The callers between two calls at an instant, per sense: the "between calls" figures of every call before it. */
function callersBetweenCalls(sums: readonly BucketSum[]): ReturningCallers {
  const byCampaign = new Map<string | null, number>();
  const result: ReturningCallers = { any: 0, byCampaign: [], byNumber: [] };
  for (const sum of sums) {
    result.any += sum.figures.betweenCalls;
    byCampaign.set(sum.campaign, (byCampaign.get(sum.campaign) ?? 0) + sum.figures.betweenCallsInCampaign);
    result.byNumber.push({ campaign: sum.campaign, trackingNumber: sum.trackingNumber, callers: sum.figures.betweenCallsOnNumber });
  }
  result.byCampaign = [...byCampaign].map(([campaign, callers]) => ({ campaign, callers }));
  return result;
}

const totalCalls = (sums: readonly BucketSum[]) => sums.reduce((calls, sum) => calls + sum.figures.calls, 0);

/**
 * The callers in the range who called before it, per sense (each one's first call in the range
 * has its previous call before the range). They are the callers between two calls at the range's
 * start, read from the buckets before it, less those whose next call comes after the range: the
 * calls after the range whose previous call came before it. When the range holds fewer calls
 * (`sums` are its figures) than come after it, its own calls are counted instead.
 */
async function returningCallers(store: ReportReader, span: TimeRange, range: TimeRange, sums: Promise<BucketSum[]>): Promise<ReturningCallers> {
  if (span.since >= range.since) return NO_RETURNING;
  const after = { since: range.until, until: span.until };
  const between = () => sumRange(store, span, { since: span.since, until: range.since }, 0, ['campaign', 'trackingNumber']).then(callersBetweenCalls);
  if (range.until >= span.until) return between();
  // Only to choose: the whole slots after the range, without reading the calls of a partial one.
  const wholeSlotsAfter = { since: new Date(Math.ceil(range.until.getTime() / SLOT_MS) * SLOT_MS), until: span.until };
  const [callsInRange, callsAfter] = await Promise.all([sums.then(totalCalls), sumRange(store, span, wholeSlotsAfter, 0, []).then(totalCalls)]);
  if (callsInRange <= callsAfter) return store.returningCallers(range, range.since);
  const [atStart, callingAfter] = await Promise.all([between(), store.returningCallers(after, range.since)]);
  return addCallers(atStart, callingAfter, -1);
}

/** The sums added up per key, with the tracking numbers whose calls they hold. */
interface SumGroup {
  figures: Figures;
  numbers: (string | null)[];
}

function sumsBy(sums: readonly BucketSum[], keyOf: (sum: BucketSum) => string | null) {
  const groups = new Map<string | null, SumGroup>();
  for (const sum of sums) {
    const key = keyOf(sum);
    const group = groups.get(key) ?? { figures: emptyFigures(), numbers: [] };
    addFigures(group.figures, sum.figures);
    group.numbers.push(sum.trackingNumber);
    groups.set(key, group);
  }
  return groups;
}

function campaignRows(sums: readonly BucketSum[], returning: ReturningCallers): ReportRow[] {
  const groups = sumsBy(sums, (sum) => sum.campaign);
  const returningBy = new Map(returning.byCampaign.map((r) => [r.campaign, r.callers]));
  return [...groups.entries()]
    .map(([campaign, group]) => toReportRow(campaign, group.numbers, group.figures, group.figures.newToCampaign + (returningBy.get(campaign) ?? 0)))
    .sort((a, b) => b.calls - a.calls || compareCampaigns(a.campaign, b.campaign));
}

function numberRows(sums: readonly BucketSum[], returning: ReturningCallers): NumberReportRow[] {
  const groups = new Map<string, { campaign: string | null; trackingNumber: string | null; figures: Figures }>();
  for (const sum of sums) {
    const id = JSON.stringify([sum.trackingNumber, sum.campaign]);
    const group = groups.get(id) ?? { campaign: sum.campaign, trackingNumber: sum.trackingNumber, figures: emptyFigures() };
    addFigures(group.figures, sum.figures);
    groups.set(id, group);
  }
  const returningBy = new Map(returning.byNumber.map((r) => [JSON.stringify([r.trackingNumber, r.campaign]), r.callers]));
  return [...groups.entries()]
    .map(([id, group]) => ({
      trackingNumber: group.trackingNumber,
      ...toReportRow(group.campaign, [group.trackingNumber], group.figures, group.figures.newToNumber + (returningBy.get(id) ?? 0)),
    }))
    .sort((a, b) => b.calls - a.calls || compareCampaigns(a.trackingNumber, b.trackingNumber) || compareCampaigns(a.campaign, b.campaign));
}

/**
 * The figures of a group in a grouping that crosses campaigns and does not count distinct
 * callers (destination, source, medium): no campaign, and uniqueCallers null.
 */
function crossCampaignFigures(group: SumGroup) {
  const { campaign: _, ...row } = toReportRow(null, group.numbers, group.figures, 0);
  return { ...row, uniqueCallers: null };
}

function destinationRows(sums: readonly BucketSum[]): DestinationReportRow[] {
  return [...sumsBy(sums, (sum) => sum.destination).entries()]
    .map(([answeredBy, group]) => ({ answeredBy, ...crossCampaignFigures(group) }))
    .sort((a, b) => b.calls - a.calls || compareCampaigns(a.answeredBy, b.answeredBy));
}

function sourceRows(sums: readonly BucketSum[]): SourceReportRow[] {
  return [...sumsBy(sums, (sum) => JSON.stringify([sum.source, sum.medium])).entries()]
    .map(([pair, group]) => {
      const [source, medium] = JSON.parse(pair!) as [string | null, string | null];
      return { source, medium, ...crossCampaignFigures(group) };
    })
    .sort((a, b) => b.calls - a.calls || compareCampaigns(a.source, b.source) || compareCampaigns(a.medium, b.medium));
}

function mediumRows(sums: readonly BucketSum[]): MediumReportRow[] {
  return [...sumsBy(sums, (sum) => sum.medium).entries()]
    .map(([medium, group]) => ({ medium, ...crossCampaignFigures(group) }))
    .sort((a, b) => b.calls - a.calls || compareCampaigns(a.medium, b.medium));
}

const ROWS_BY_GROUPING: { [G in ReportGrouping]: (sums: readonly BucketSum[], returning: ReturningCallers) => ReportRowOf[G][] } = {
  campaign: campaignRows,
  number: numberRows,
  destination: destinationRows,
  source: sourceRows,
  medium: mediumRows,
};

/** The bucket dimensions each grouping keeps apart; the tracking numbers always, to list them in rows. */
const DIMENSIONS_OF: Record<ReportGrouping, readonly BucketDimension[]> = {
  campaign: ['campaign', 'trackingNumber'],
  number: ['campaign', 'trackingNumber'],
  destination: ['trackingNumber', 'destination'],
  source: ['trackingNumber', 'source'],
  medium: ['trackingNumber', 'source'],
};

export async function buildCampaignReport<G extends ReportGrouping>(
  store: ReportStore, range: TimeRange, options: { qualifiedCallSeconds: number; groupBy: G; timezone: string },
): Promise<CampaignReport<G>> {
  const { qualifiedCallSeconds, groupBy, timezone } = options;
  await store.useQualifiedThreshold(qualifiedCallSeconds);
  const { sums, returning } = await store.read(async (reader) => {
    const span = await reader.callSpan();
    const summed = sumRange(reader, span, range, qualifiedCallSeconds, DIMENSIONS_OF[groupBy]);
    const [sums, returning] = await Promise.all([summed, span === null ? NO_RETURNING : returningCallers(reader, span, range, summed)]);
    return { sums, returning };
  });
  const live = sums.filter((sum) => sum.figures.calls > 0);
  const totals = emptyFigures();
  for (const sum of live) addFigures(totals, sum.figures);
  return {
    ...range,
    groupBy,
    timezone,
    qualifiedCallSeconds,
    rows: ROWS_BY_GROUPING[groupBy](live, returning) as ReportRowOf[G][],
    totals: toReportRow(null, live.map((sum) => sum.trackingNumber), totals, totals.firstTime + returning.any),
  };
}

export async function buildDailyReport(store: ReportStore, range: TimeRange, timezone: string): Promise<DailyReport> {
  const sums = await store.read(async (reader) => sumRange(
    reader, await reader.callSpan(), range, 0, ['campaign'], { zone: timezone, slotsPerGroup: 24 * SLOTS_PER_HOUR, groupsPerCycle: null },
  ));
  const days = new Map<string, DailyCounts>();
  for (const sum of sums) {
    if (sum.figures.calls === 0) continue;
    const day = new Date(sum.time! * DAY_MS).toISOString().slice(0, 10);
    const id = JSON.stringify([day, sum.campaign]);
    const row = days.get(id) ?? { day, campaign: sum.campaign, calls: 0, answered: 0, missed: 0 };
    row.calls += sum.figures.calls;
    row.answered += sum.figures.answered;
    row.missed += sum.figures.missed;
    days.set(id, row);
  }
  const sorted = [...days.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : compareCampaigns(a.campaign, b.campaign)));
  return { ...range, timezone, days: sorted };
}

export async function buildHourOfWeekReport(store: ReportStore, range: TimeRange, timezone: string): Promise<HourOfWeekReport> {
  const sums = await store.read(async (reader) => sumRange(
    reader, await reader.callSpan(), range, 0, [], { zone: timezone, slotsPerGroup: SLOTS_PER_HOUR, groupsPerCycle: HOURS_PER_WEEK },
  ));
  const counts = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  for (const sum of sums) {
    const hourOfWeek = sum.time!;
    counts[(Math.floor(hourOfWeek / 24) + EPOCH_DAY_OF_WEEK) % 7]![hourOfWeek % 24]! += sum.figures.calls;
  }
  return { ...range, timezone, counts };
}
