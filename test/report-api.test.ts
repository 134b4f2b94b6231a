import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CallRecord } from '../src/domain/calls.js';
import { startTestService, type TestService } from './helpers/service.js';

const DAY_MS = 86_400_000;
const BULK_CALLS = 1234;

function importedCall(overrides: Partial<CallRecord> & Pick<CallRecord, 'uuid' | 'startedAt'>): CallRecord {
  return {
    conversationUuid: `CON-${overrides.uuid}`, trackingNumber: '442071234001', caller: '447700900501', campaign: 'Radio',
    forwardTo: '447700900000', outcome: 'answered', answeredAt: overrides.startedAt, endedAt: overrides.startedAt,
    durationSeconds: 90, inboundStatus: 'completed', forwardedStatus: 'completed', ...overrides,
  };
}

/** Parses RFC 4180 text: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') record.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') record.push(field), records.push(record), (record = []), (field = ''), i++;
    else field += c;
  }
  assert.equal(field + record.join(''), '', 'the CSV ends with CRLF');
  return records;
}

describe('the report API', () => {
  let service: TestService;
  const now = Date.now();
  const recent = new Date(now - 2 * DAY_MS);

  before(async () => {
    service = await startTestService();
    await service.store.importCalls([
      importedCall({ uuid: 'r-1', startedAt: recent, answeredBy: '447700900011' }),
      importedCall({ uuid: 'r-2', startedAt: new Date(recent.getTime() + 60_000), outcome: 'missed', durationSeconds: 0, answeredAt: null }),
      importedCall({ uuid: 'r-3', startedAt: recent, campaign: '=HYPERLINK("http://evil")', trackingNumber: '442071234002', caller: null }),
      importedCall({ uuid: 'r-4', startedAt: recent, campaign: null, trackingNumber: '442071234003', durationSeconds: 30, answeredBy: '447700900012' }),
      // Outside the default 30 days: only an explicit range sees it.
      importedCall({ uuid: 'r-old', startedAt: new Date(now - 40 * DAY_MS), caller: '447700900999' }),
    ]);
    const bulk: CallRecord[] = [];
    for (let i = 0; i < BULK_CALLS; i++) {
      bulk.push(importedCall({
        uuid: `bulk-${String(i).padStart(5, '0')}`, startedAt: new Date(Date.UTC(2020, 0, 1) + (i % 97) * 60_000),
        trackingNumber: '442071234999', campaign: 'Bulk, "quoted"', caller: `4477009${String(i).padStart(5, '0')}`,
      }));
    }
    await service.store.importCalls(bulk);
    // r-1 was recorded; the caller of r-2, missed, left a voicemail.
    for (const [id, kind, uuid] of [['rec-r-1', 'call', 'r-1'], ['vm-r-2', 'voicemail', 'r-2']] as const) {
      await service.store.media.saveMediaJob({
        id, kind, conversationUuid: `CON-${uuid}`, recordingId: null, url: `https://api.nexmo.com/v1/files/${id}`, sizeBytes: 100,
        startedAt: null, endedAt: null, receivedAt: recent, expiresAt: new Date(now + DAY_MS),
      });
    }
  });
  after(() => service.stop());

  const get = (path: string, headers: Record<string, string> = service.admin) => fetch(`${service.url}${path}`, { headers });

  for (const path of ['/api/report', '/api/report.csv', '/api/report/daily', '/api/report/hour-of-week', '/api/calls.csv']) {
    test(`${path} refuses a request without the admin token`, async () => {
      const res = await get(path, {});
      assert.equal(res.status, 401);
      await res.body?.cancel();
    });
  }

  test('a report without dates covers the last 30 days up to now, campaigns sorted by calls', async () => {
    const res = await get('/api/report');
    assert.equal(res.status, 200);
    const report = await res.json();
    const since = Date.parse(report.since);
    const until = Date.parse(report.until);
    assert.equal(until - since, 30 * DAY_MS);
    assert.ok(Math.abs(until - Date.now()) < 60_000);
    assert.equal(report.qualifiedCallSeconds, 60);
    assert.deepEqual(report.rows.map((r: { campaign: string | null }) => r.campaign), ['Radio', '=HYPERLINK("http://evil")', null]);
    assert.deepEqual(report.rows[0], {
      campaign: 'Radio', trackingNumbers: ['442071234001'], calls: 2, uniqueCallers: 1, firstTimeCallers: 0,
      answered: 1, missed: 1, blocked: 0, answerRate: 0.5, averageDurationSeconds: 90, totalDurationSeconds: 90, qualifiedCalls: 1,
      voicemails: 1, recordedCalls: 1,
    });
    assert.deepEqual(report.totals, {
      campaign: null, trackingNumbers: ['442071234001', '442071234002', '442071234003'], calls: 4, uniqueCallers: 1,
      firstTimeCallers: 0, answered: 3, missed: 1, blocked: 0, answerRate: 0.75, averageDurationSeconds: 70, totalDurationSeconds: 210,
      qualifiedCalls: 2, voicemails: 1, recordedCalls: 1,
    });
  });

  test('a range with no calls has no rows and empty totals', async () => {
    const report = await (await get('/api/report?since=2001-01-01&until=2001-02-01')).json();
    assert.equal(report.since, '2001-01-01T00:00:00.000Z');
    assert.equal(report.until, '2001-02-01T00:00:00.000Z');
    assert.deepEqual(report.rows, []);
    assert.equal(report.totals.calls, 0);
    assert.equal(report.totals.answerRate, null);
    assert.equal(report.totals.averageDurationSeconds, null);
  });

  for (const [query, reason] of <[string, string][]>[
    ['since=yesterday', 'ISO 8601'],
    ['until=2026-13-45', 'until'],
    ['since=2026-11-02&until=2026-11-01', 'before'],
    ['since=2026-11-01&until=2026-11-01', 'before'],
    ['since=2026-11-01&since=2026-11-02', 'more than once'],
  ]) {
    for (const path of ['/api/report', '/api/report.csv', '/api/report/daily', '/api/report/hour-of-week']) {
      test(`${path}?${query} is refused with 400 and a reason`, async () => {
        const res = await get(`${path}?${query}`);
        assert.equal(res.status, 400);
        const body = await res.json();
        assert.equal(body.error, 'bad_request');
        assert.match(body.message, new RegExp(reason));
        assert.ok(service.logger.lines.some((l) => l.message === 'request refused' && l.details?.path === path));
      });
    }
  }

  test('the CSV report is an attachment with a header row, one line per campaign and formulas neutralised', async () => {
    const res = await get(`/api/report.csv?since=${new Date(now - 35 * DAY_MS).toISOString()}&until=2100-01-01`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="call-report-\d{8}T\d{6}Z-21000101T000000Z\.csv"$/);
    const records = parseCsv(await res.text());
    assert.deepEqual(records[0], [
      'campaign', 'trackingNumbers', 'calls', 'uniqueCallers', 'firstTimeCallers', 'answered', 'missed', 'blocked', 'answerRate',
      'averageDurationSeconds', 'totalDurationSeconds', 'qualifiedCalls', 'voicemails', 'recordedCalls',
    ]);
    assert.deepEqual(records.slice(1), [
      ['Radio', '442071234001', '2', '1', '0', '1', '1', '0', '0.5', '90', '90', '1', '1', '1'],
      [`'=HYPERLINK("http://evil")`, '442071234002', '1', '0', '0', '1', '0', '0', '1', '90', '90', '1', '0', '0'],
      ['', '442071234003', '1', '1', '0', '1', '0', '0', '1', '30', '30', '0', '0', '0'],
    ]);
  });

  test('calls per day are grouped by UTC day and campaign, sorted by day then campaign', async () => {
    const report = await (await get('/api/report/daily?since=2019-12-31&until=2020-01-03')).json();
    assert.deepEqual(report, {
      since: '2019-12-31T00:00:00.000Z', until: '2020-01-03T00:00:00.000Z', timezone: 'UTC',
      days: [{ day: '2020-01-01', campaign: 'Bulk, "quoted"', calls: BULK_CALLS, answered: BULK_CALLS, missed: 0 }],
    });
  });

  test('tz= sets the days of the report and the meaning of bare dates', async () => {
    // New York is UTC-5 in January: the bulk calls (00:00-01:37 UTC) fall on the evening of 31 December.
    const report = await (await get('/api/report/daily?since=2019-12-31&until=2020-01-03&tz=America/New_York')).json();
    assert.deepEqual(report, {
      since: '2019-12-31T05:00:00.000Z', until: '2020-01-03T05:00:00.000Z', timezone: 'America/New_York',
      days: [{ day: '2019-12-31', campaign: 'Bulk, "quoted"', calls: BULK_CALLS, answered: BULK_CALLS, missed: 0 }],
    });
    const grid = await (await get('/api/report/hour-of-week?since=2019-12-31&until=2020-01-03&tz=america/new_york')).json();
    assert.equal(grid.timezone, 'America/New_York');
    // Tuesday 31 December, 19:00 and 20:00 local.
    assert.equal(grid.counts[2][19] + grid.counts[2][20], BULK_CALLS);
  });

  test('a time without an offset is a wall-clock time in the report zone, whatever zone the host is in', async () => {
    // 19:00 on 31 December in New York (UTC-5) is midnight UTC, when the bulk calls begin.
    const report = await (await get('/api/report?since=2019-12-31T19:00&until=2019-12-31%2020:00:00.000&tz=America/New_York')).json();
    assert.equal(report.since, '2020-01-01T00:00:00.000Z');
    assert.equal(report.until, '2020-01-01T01:00:00.000Z');
    // The bulk calls start at minute i % 97 of that hour and the next: those of the first 60 minutes.
    assert.equal(report.totals.calls, Math.floor(BULK_CALLS / 97) * 60 + Math.min(BULK_CALLS % 97, 60));
    const calls = await (await get('/api/calls?since=2019-12-31T20:35&until=2019-12-31T20:36&tz=America/New_York&limit=500')).json();
    assert.ok(calls.calls.length > 0);
    for (const call of calls.calls) assert.equal(call.startedAt, '2020-01-01T01:35:00.000Z');
    // When clocks go back, a time read twice is its first; when they go forward, a skipped time is
    // read with the offset before the change.
    const sinceOf = async (since: string) => (await (await get(`/api/report?since=${since}&until=2100-01-01&tz=America/New_York`)).json()).since;
    assert.equal(await sinceOf('2026-11-01T01:30'), '2026-11-01T05:30:00.000Z');
    assert.equal(await sinceOf('2026-03-08T02:30'), '2026-03-08T07:30:00.000Z');
    const impossible = await get('/api/report?since=2019-12-31T25:00&tz=America/New_York');
    assert.equal(impossible.status, 400);
  });

  for (const path of ['/api/report', '/api/report.csv', '/api/report/daily', '/api/report/hour-of-week', '/api/calls.csv']) {
    test(`${path} refuses an unknown time zone with a clear 400`, async () => {
      const res = await get(`${path}?tz=Mars/Olympus_Mons`);
      assert.equal(res.status, 400);
      assert.match((await res.json()).message, /"tz" must be an IANA time zone.*Mars\/Olympus_Mons/);
    });
  }

  test('groupBy=number gives one row per tracking number and campaign, with the same figures', async () => {
    const query = 'since=2019-12-31&until=2100-01-01';
    const byCampaign = await (await get(`/api/report?${query}`)).json();
    const byNumber = await (await get(`/api/report?${query}&groupBy=number`)).json();
    assert.equal(byNumber.groupBy, 'number');
    assert.deepEqual(byNumber.totals, byCampaign.totals);
    assert.deepEqual(byNumber.rows.map((r: { trackingNumber: string; campaign: string | null; calls: number }) => [r.trackingNumber, r.campaign, r.calls]), [
      ['442071234999', 'Bulk, "quoted"', BULK_CALLS],
      ['442071234001', 'Radio', 3],
      ['442071234002', '=HYPERLINK("http://evil")', 1],
      ['442071234003', null, 1],
    ]);
    const csv = parseCsv(await (await get(`/api/report.csv?${query}&groupBy=number`)).text());
    assert.deepEqual(csv[0]!.slice(0, 3), ['trackingNumber', 'campaign', 'calls']);
    assert.deepEqual(csv[1]!.slice(0, 3), ['442071234999', 'Bulk, "quoted"', String(BULK_CALLS)]);
  });

  test('groupBy=destination gives one row per destination that answered, calls nobody answered in their own', async () => {
    const query = `since=${new Date(now - 35 * DAY_MS).toISOString()}&until=2100-01-01`;
    const report = await (await get(`/api/report?${query}&groupBy=destination`)).json();
    assert.equal(report.groupBy, 'destination');
    assert.deepEqual(report.rows.map((r: { answeredBy: string | null; calls: number; uniqueCallers: null }) => [r.answeredBy, r.calls, r.uniqueCallers]), [
      [null, 2, null], ['447700900011', 1, null], ['447700900012', 1, null],
    ]);
    const res = await get(`/api/report.csv?${query}&groupBy=destination`);
    assert.match(res.headers.get('content-disposition') ?? '', /filename="call-report-by-destination-/);
    const csv = parseCsv(await res.text());
    assert.deepEqual(csv[0]!.slice(0, 4), ['answeredBy', 'trackingNumbers', 'calls', 'uniqueCallers']);
    assert.deepEqual(csv.slice(1).map((r) => r.slice(0, 4)), [
      ['', '442071234001 442071234002', '2', ''], ['447700900011', '442071234001', '1', ''], ['447700900012', '442071234003', '1', ''],
    ]);
  });

  test('groupBy=source and groupBy=medium give rows by website source and medium, calls from no visit in their own', async () => {
    const startedAt = new Date(Date.UTC(2099, 0, 1, 12));
    const visit = {
      visitId: 'v1', poolId: 'website', ambiguous: false, source: 'google', medium: 'cpc', campaign: 'winter', term: null, content: null,
      gclid: 'Cj0', referrer: null, landingPage: null,
    };
    await service.store.importCalls([
      importedCall({ uuid: 's-1', startedAt, campaign: 'Website', attribution: visit }),
      importedCall({ uuid: 's-2', startedAt, campaign: 'Website', attribution: { ...visit, visitId: 'v2', source: 'bing' } }),
      importedCall({ uuid: 's-3', startedAt, campaign: 'Website', trackingNumber: '442071234003' }),
    ]);
    const query = 'since=2099-01-01&until=2099-01-02';
    const bySource = await (await get(`/api/report?${query}&groupBy=source`)).json();
    assert.deepEqual(bySource.rows.map((r: { source: string | null; medium: string | null; calls: number }) => [r.source, r.medium, r.calls]), [
      ['bing', 'cpc', 1], ['google', 'cpc', 1], [null, null, 1],
    ]);
    const byMedium = await (await get(`/api/report?${query}&groupBy=medium`)).json();
    assert.deepEqual(byMedium.rows.map((r: { medium: string | null; calls: number }) => [r.medium, r.calls]), [['cpc', 2], [null, 1]]);
    const res = await get(`/api/report.csv?${query}&groupBy=source`);
    assert.match(res.headers.get('content-disposition') ?? '', /filename="call-report-by-source-/);
    const csv = parseCsv(await res.text());
    assert.deepEqual(csv.map((r) => r.slice(0, 5)), [
      ['source', 'medium', 'trackingNumbers', 'calls', 'uniqueCallers'],
      ['bing', 'cpc', '442071234001', '1', ''], ['google', 'cpc', '442071234001', '1', ''], ['', '', '442071234003', '1', ''],
    ]);
  });

  test('an unknown groupBy is refused with a 400', async () => {
    const res = await get('/api/report?groupBy=caller');
    assert.equal(res.status, 400);
    assert.match((await res.json()).message, /"groupBy" must be one of campaign, number, destination/);
  });

  test('the hour-of-week grid counts calls by UTC weekday (Sunday first) and hour', async () => {
    const report = await (await get('/api/report/hour-of-week?since=2019-12-31&until=2020-01-03')).json();
    assert.equal(report.timezone, 'UTC');
    assert.equal(report.counts.length, 7);
    for (const day of report.counts) assert.equal(day.length, 24);
    // 2020-01-01 was a Wednesday; the bulk calls start at midnight and span 97 minutes.
    const perMinute = (minutes: number[]) => minutes.reduce((n, m) => n + Math.ceil((BULK_CALLS - m) / 97), 0);
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    assert.equal(report.counts[3][0], perMinute(range(0, 60)));
    assert.equal(report.counts[3][1], perMinute(range(60, 97)));
    assert.equal(report.counts.flat().reduce((a: number, b: number) => a + b, 0), BULK_CALLS);
  });

  test('the calls CSV streams every matching call, past the 500 of one page, newest first', async () => {
    const res = await get('/api/calls.csv?number=%2B44%2020%207123%204999&limit=3');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="calls\.csv"$/);
    const [header, ...records] = parseCsv(await res.text());
    assert.deepEqual(header, [
      'startedAt', 'trackingNumber', 'campaign', 'caller', 'outcome', 'durationSeconds', 'answeredAt', 'endedAt',
      'forwardTo', 'inboundStatus', 'forwardedStatus', 'uuid', 'conversationUuid', 'answeredBy', 'attempts',
      'source', 'medium', 'utmCampaign', 'utmTerm', 'utmContent', 'gclid', 'referrer', 'landingPage', 'visitId', 'pool', 'attributionAmbiguous',
    ]);
    assert.equal(records.length, BULK_CALLS);
    assert.equal(new Set(records.map((r) => r[11])).size, BULK_CALLS);
    assert.deepEqual(records.map((r) => r[0]), records.map((r) => r[0]).sort().reverse());
    assert.equal(records[0]![2], 'Bulk, "quoted"');
  });

  test('the calls CSV applies the same campaign and time filters as /api/calls', async () => {
    const text = await (await get(`/api/calls.csv?campaign=Radio&since=${new Date(now - 31 * DAY_MS).toISOString()}`)).text();
    const records = parseCsv(text).slice(1);
    assert.deepEqual(records.map((r) => r[11]).sort(), ['r-1', 'r-2']);
    const noCampaign = parseCsv(await (await get('/api/calls.csv?campaign=')).text()).slice(1);
    assert.deepEqual(noCampaign.map((r) => r[11]), ['r-4']);
  });

  test('the calls CSV refuses bad filters with 400', async () => {
    const res = await get('/api/calls.csv?since=soon');
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'bad_request');
  });
});
