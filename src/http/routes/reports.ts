// The report API: campaign figures as JSON and CSV, calls per day, the hour-of-week grid, and
// every call matching the /api/calls filters as CSV. Mounted behind requireAdmin.

import { Router, type Response } from 'express';
import type { Config } from '../../config.js';
import { CALL_CSV_HEADER, callCsvLine } from '../call-csv.js';
import { csvLine, type CsvCell } from '../csv.js';
import { badRequest } from '../http-error.js';
import {
  buildCampaignReport, buildDailyReport, buildHourOfWeekReport, resolveReportRange, type ReportRow,
} from '../../domain/reports.js';
import type { CallStore, TimeRange } from '../../store/call-store.js';
import { MAX_PAGE_SIZE, parseCallQuery, parseTime } from './admin-query.js';

const REPORT_COLUMNS = [
  'campaign', 'trackingNumbers', 'calls', 'uniqueCallers', 'firstTimeCallers', 'answered', 'missed',
  'answerRate', 'averageDurationSeconds', 'totalDurationSeconds', 'qualifiedCalls',
] as const;

function queryValue(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || typeof value === 'string') return value;
  throw badRequest(`"${name}" is given more than once`);
}

/** since/until from the query string; the last 30 days when absent; the range is [since, until). */
export function parseReportRange(query: Record<string, unknown>): TimeRange {
  const range = resolveReportRange(parseTime('since', queryValue(query, 'since')), parseTime('until', queryValue(query, 'until')), new Date());
  if (range.since >= range.until) throw badRequest('"since" must be before "until"');
  return range;
}

const rangeJson = (range: TimeRange) => ({ since: range.since.toISOString(), until: range.until.toISOString() });

/** 2026-11-01T09:30:00.000Z → 20261101T093000Z: safe in a file name on every system. */
const compactTime = (time: Date) => time.toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll(/[-:]/g, '');

function reportRowCells(row: ReportRow): CsvCell[] {
  return [
    row.campaign, row.trackingNumbers.join(' '), row.calls, row.uniqueCallers, row.firstTimeCallers, row.answered, row.missed,
    row.answerRate === null ? null : Number(row.answerRate.toFixed(4)),
    row.averageDurationSeconds === null ? null : Number(row.averageDurationSeconds.toFixed(1)),
    row.totalDurationSeconds, row.qualifiedCalls,
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

  router.get('/api/report', async (req, res) => {
    const report = await buildCampaignReport(store, parseReportRange(req.query), config.qualifiedCallSeconds);
    res.json({ ...report, ...rangeJson(report) });
  });

  router.get('/api/report.csv', async (req, res) => {
    const range = parseReportRange(req.query);
    const report = await buildCampaignReport(store, range, config.qualifiedCallSeconds);
    startCsv(res, `call-report-${compactTime(range.since)}-${compactTime(range.until)}.csv`);
    res.send([REPORT_COLUMNS, ...report.rows.map(reportRowCells)].map(csvLine).join(''));
  });

  router.get('/api/report/daily', async (req, res) => {
    const report = await buildDailyReport(store, parseReportRange(req.query));
    res.json({ ...report, ...rangeJson(report) });
  });

  router.get('/api/report/hour-of-week', async (req, res) => {
    const report = await buildHourOfWeekReport(store, parseReportRange(req.query));
    res.json({ ...report, ...rangeJson(report) });
  });

  router.get('/api/calls.csv', async (req, res) => {
    // Every matching call, page after page: `limit` sizes /api/calls pages and means nothing here.
    const query = { ...parseCallQuery({ ...req.query, limit: undefined }), limit: MAX_PAGE_SIZE };
    startCsv(res, 'calls.csv');
    res.write(CALL_CSV_HEADER);
    while (!res.destroyed) {
      const page = await store.listCalls(query);
      if (!res.write(page.calls.map(callCsvLine).join(''))) await writable(res);
      if (!page.nextCursor) break;
      query.cursor = page.nextCursor;
    }
    res.end();
  });

  return router;
}
