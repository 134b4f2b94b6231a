// The report_buckets table as both SQL stores keep it, and the report queries they share: the
// SQL text is the same for SQLite and PostgreSQL, only the parameter syntax differs.

import { FIGURES, emptyFigures, type Figure, type Figures } from '../domain/report-figures.js';
import type { BucketDimension, BucketSum, BucketSumQuery, ReturningCallers } from './report-store.js';

/** A figure's column: its name in snake case (talkSeconds → talk_seconds). */
export const figureColumn = (figure: Figure): string => figure.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const FIGURE_COLUMNS = FIGURES.map(figureColumn);

// Key columns cannot be NULL: '' stands for no campaign (a campaign is 'c:' and its name, so an
// empty name stays apart), for no tracking number and for no destination (both are digits).
export const campaignKey = (campaign: string | null): string => (campaign === null ? '' : `c:${campaign}`);
export const campaignOfKey = (key: string): string | null => (key === '' ? null : key.slice(2));
export const numberKey = (trackingNumber: string | null): string => trackingNumber ?? '';
export const numberOfKey = (key: string): string | null => (key === '' ? null : key);
export const destinationKey = numberKey;
export const destinationOfKey = numberOfKey;
// '' for calls credited to no website visit, else the JSON pair [source, medium].
export const sourceKey = (source: string | null, medium: string | null): string => (source === null ? '' : JSON.stringify([source, medium]));
export function sourceOfKey(key: string): { source: string | null; medium: string | null } {
  if (key === '') return { source: null, medium: null };
  const [source, medium] = JSON.parse(key) as [string, string];
  return { source, medium };
}

/** The key columns of report_buckets, in primary-key order. */
export const BUCKET_KEY_COLUMNS = ['width', 'slot', 'campaign_key', 'number_key', 'destination_key', 'source_key'] as const;

/** Adds each column's `excluded` value to the stored one: concurrent deltas add up. */
export const ADD_ON_CONFLICT = `ON CONFLICT (${BUCKET_KEY_COLUMNS.join(', ')}) DO UPDATE SET
  ${FIGURE_COLUMNS.map((column) => `${column} = report_buckets.${column} + excluded.${column}`).join(', ')}`;

/** Writes a query parameter and returns its placeholder. */
export type Param = (value: unknown) => string;

type SqlInteger = number | string;
type BucketSumRow = {
  campaign_key?: string; number_key?: string; destination_key?: string; source_key?: string; time_group?: SqlInteger;
} & Record<string, SqlInteger>;

const DIMENSION_COLUMNS: Record<BucketDimension, string> = {
  campaign: 'campaign_key', trackingNumber: 'number_key', destination: 'destination_key', source: 'source_key',
};

/** A whole number written into SQL text: bound as a parameter, SQLite takes a JavaScript number as REAL and divides it exactly. */
function integerLiteral(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`not a whole number: ${value}`);
  return String(value);
}

export function bucketSumSql(query: BucketSumQuery): string {
  const time = query.time
    ? `(slot + ${integerLiteral(query.time.offsetSlots)}) / ${integerLiteral(query.time.slotsPerGroup)}${
      query.time.groupsPerCycle === null ? '' : ` % ${integerLiteral(query.time.groupsPerCycle)}`}`
    : null;
  const groups = [
    ...query.dimensions.map((dimension) => DIMENSION_COLUMNS[dimension]),
    ...(time === null ? [] : ['time_group']),
  ];
  return `
    SELECT ${query.dimensions.map((dimension) => `${DIMENSION_COLUMNS[dimension]},`).join(' ')}
      ${time === null ? '' : `${time} AS time_group,`}
      ${FIGURE_COLUMNS.map((column) => `CAST(sum(${column}) AS BIGINT) AS ${column}`).join(', ')}
    FROM report_buckets
    WHERE width = ${integerLiteral(query.width)} AND slot >= ${integerLiteral(query.fromSlot)} AND slot < ${integerLiteral(query.toSlot)}
    ${groups.length === 0 ? '' : `GROUP BY ${groups.join(', ')}`}`;
}

export function bucketSumRowToSum(row: BucketSumRow): BucketSum {
  const figures: Figures = emptyFigures();
  for (const figure of FIGURES) figures[figure] = Number(row[figureColumn(figure)]);
  return {
    campaign: row.campaign_key === undefined ? null : campaignOfKey(row.campaign_key),
    trackingNumber: row.number_key === undefined ? null : numberOfKey(row.number_key),
    destination: row.destination_key === undefined ? null : destinationOfKey(row.destination_key),
    ...sourceOfKey(row.source_key ?? ''),
    time: row.time_group === undefined ? null : Number(row.time_group),
    figures,
  };
}

/**
 * Calls in the range whose caller's previous call came before `before`, per campaign and number.
 * prev_any_at is the latest of a call's previous times, so only calls with one can qualify.
 */
export function returningCallersSql(range: { since: unknown; until: unknown; before: unknown }, param: Param): string {
  const before = param(range.before);
  return `
    SELECT campaign, tracking_number,
      count(*) FILTER (WHERE prev_any_at < ${before}) AS any_callers,
      count(*) FILTER (WHERE prev_campaign_at < ${before}) AS campaign_callers,
      count(*) FILTER (WHERE prev_number_at < ${before}) AS number_callers
    FROM calls
    WHERE started_at >= ${param(range.since)} AND started_at < ${param(range.until)} AND prev_any_at IS NOT NULL
    GROUP BY campaign, tracking_number`;
}

export interface ReturningRow {
  campaign: string | null;
  tracking_number: string | null;
  any_callers: SqlInteger;
  campaign_callers: SqlInteger;
  number_callers: SqlInteger;
}

export function returningRowsToCallers(rows: readonly ReturningRow[]): ReturningCallers {
  const result: ReturningCallers = { any: 0, byCampaign: [], byNumber: [] };
  const byCampaign = new Map<string | null, number>();
  for (const row of rows) {
    result.any += Number(row.any_callers);
    byCampaign.set(row.campaign, (byCampaign.get(row.campaign) ?? 0) + Number(row.campaign_callers));
    result.byNumber.push({ campaign: row.campaign, trackingNumber: row.tracking_number, callers: Number(row.number_callers) });
  }
  result.byCampaign = [...byCampaign.entries()].map(([campaign, callers]) => ({ campaign, callers }));
  return result;
}
