// The report API: campaign figures as JSON and CSV, calls per day, the hour-of-week grid, and
// every call matching the /api/calls filters as CSV. Mounted behind requireSignIn;
// callers are masked in the calls CSV for roles that may not see them.

import { Router, type Response } from 'express';
import type { Config } from '../../config.js';
import { CALL_CSV_HEADER, callCsvLine } from '../call-csv.js';
import { csvLine, type CsvCell } from '../csv.js';
import { badRequest } from '../http-error.js';
import {
  buildCampaignReport, buildDailyReport, buildHourOfWeekReport, REPORT_GROUPINGS, resolveReportRange,
  type ReportGrouping, type ReportRowOf,
} from '../../domain/reports.js';
import type { CallStore, TimeRange } from '../../store/call-store.js';
import { MAX_PAGE_SIZE, parseCallQuery, parseTime, parseTimeZone } from './admin-query.js';
import { callerFor } from './call-json.js';
import { principalOf } from '../../security/admin-auth.js';

const FIGURE_COLUMNS = [
  'calls', 'uniqueCallers', 'firstTimeCallers', 'answered', 'missed', 'blocked',
  'answerRate', 'averageDurationSeconds', 'totalDurationSeconds', 'qualifiedCalls', 'voicemails', 'recordedCalls',
] as const;
/** Each grouping's key columns: their names, and their cells in a row. */
const KEY_COLUMNS: { [G in ReportGrouping]: { names: readonly string[]; cells: (row: ReportRowOf[G]) => CsvCell[] } } = {
  campaign: { names: ['campaign', 'trackingNumbers'], cells: (row) => [row.campaign, row.trackingNumbers.join(' ')] },
  number: { names: ['trackingNumber', 'campaign'], cells: (row) => [row.trackingNumber, row.campaign] },
  destination: { names: ['answeredBy', 'trackingNumbers'], cells: (row) => [row.answeredBy, row.trackingNumbers.join(' ')] },
  source: { names: ['source', 'medium', 'trackingNumbers'], cells: (row) => [row.source, row.medium, row.trackingNumbers.join(' ')] },
  medium: { names: ['medium', 'trackingNumbers'], cells: (row) => [row.medium, row.trackingNumbers.join(' ')] },
};
const REPORT_FILE_NAMES: Record<ReportGrouping, string> = {
  campaign: 'call-report', number: 'call-report-by-number', destination: 'call-report-by-destination',
  source: 'call-report-by-source', medium: 'call-report-by-medium',
};

function queryValue(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || typeof value === 'string') return value;
  throw badRequest(`"${name}" is given more than once`);
}

/** The zone a report's days and hours are in: `tz`, else TIMEZONE. */
export function parseReportZone(query: Record<string, unknown>, config: Readonly<Config>): string {
  return parseTimeZone(queryValue(query, 'tz'), config.timeZone);
}

/**
 * since/until from the query string, bare dates being days in the report's zone; the last 30
 * days when absent; the range is [since, until).
 */
export function parseReportRange(query: Record<string, unknown>, config: Readonly<Config>): TimeRange {
  const timezone = parseReportZone(query, config);
  const since = parseTime('since', queryValue(query, 'since'), timezone);
  const until = parseTime('until', queryValue(query, 'until'), timezone);
  const range = resolveReportRange(since, until, new Date());
  if (range.since >= range.until) throw badRequest('"since" must be before "until"');
  return range;
}

function parseGroupBy(query: Record<string, unknown>): ReportGrouping {
  const raw = queryValue(query, 'groupBy');
  if (raw === undefined || raw === '') return 'campaign';
  const grouping = REPORT_GROUPINGS.find((g) => g === raw);
  if (grouping === undefined) throw badRequest(`"groupBy" must be one of ${REPORT_GROUPINGS.join(', ')}`);
  return grouping;
}

const rangeJson = (range: TimeRange) => ({ since: range.since.toISOString(), until: range.until.toISOString() });

/** 2026-11-01T09:30:00.000Z → 20261101T093000Z: safe in a file name on every system. */
const compactTime = (time: Date) => time.toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll(/[-:]/g, '');

function reportRowCells<G extends ReportGrouping>(groupBy: G, row: ReportRowOf[G]): CsvCell[] {
  return [
    ...KEY_COLUMNS[groupBy].cells(row), row.calls, row.uniqueCallers, row.firstTimeCallers, row.answered, row.missed, row.blocked,
    row.answerRate === null ? null : Number(row.answerRate.toFixed(4)),
    row.averageDurationSeconds === null ? null : Number(row.averageDurationSeconds.toFixed(1)),
    row.totalDurationSeconds, row.qualifiedCalls, row.voicemails, row.recordedCalls,
  ];
}

function startCsv(res: Response, filename: string): void {
  res.status(200);
  res.set({
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'no-store',
  });
}

/** Resolves when the response can take more, or the client has gone. */
function writable(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export function reportRoutes(store: CallStore, config: Readonly<Config>): Router {
  const router = Router();

  const campaignReport = (query: Record<string, unknown>) => {
    const range = parseReportRange(query, config);
    const timezone = parseReportZone(query, config);
    const groupBy = parseGroupBy(query);
    return buildCampaignReport(store.reports, range, { qualifiedCallSeconds: config.qualifiedCallSeconds, groupBy, timezone });
  };

  router.get('/api/report', async (req, res) => {
    const report = await campaignReport(req.query);
    res.json({ ...report, ...rangeJson(report) });
  });

  router.get('/api/report.csv', async (req, res) => {
    const report = await campaignReport(req.query);
    const name = REPORT_FILE_NAMES[report.groupBy];
    startCsv(res, `${name}-${compactTime(report.since)}-${compactTime(report.until)}.csv`);
    const rows = report.rows.map((row) => reportRowCells(report.groupBy, row));
    res.send([[...KEY_COLUMNS[report.groupBy].names, ...FIGURE_COLUMNS], ...rows].map(csvLine).join(''));
  });

  router.get('/api/report/daily', async (req, res) => {
    const range = parseReportRange(req.query, config);
    const timezone = parseReportZone(req.query, config);
    const report = await buildDailyReport(store.reports, range, timezone);
    res.json({ ...report, ...rangeJson(report) });
  });

  router.get('/api/report/hour-of-week', async (req, res) => {
    const range = parseReportRange(req.query, config);
    const timezone = parseReportZone(req.query, config);
    const report = await buildHourOfWeekReport(store.reports, range, timezone);
    res.json({ ...report, ...rangeJson(report) });
  });

  router.get('/api/calls.csv', async (req, res) => {
    // Every matching call, page after page: `limit` sizes /api/calls pages and means nothing here.
    const query = { ...parseCallQuery({ ...req.query, limit: undefined }, config.timeZone), limit: MAX_PAGE_SIZE };
    const caller = callerFor(principalOf(res).role);
    startCsv(res, 'calls.csv');
    res.write(CALL_CSV_HEADER);
    while (!res.destroyed) {
      const page = await store.listCalls(query);
      if (!res.write(page.calls.map((call) => callCsvLine({ ...call, caller: caller(call.caller) })).join(''))) await writable(res);
      if (!page.nextCursor) break;
      query.cursor = page.nextCursor;
    }
    res.end();
  });

  return router;
}
