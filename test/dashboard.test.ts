import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { CallEvent, InboundCall } from '../src/domain/calls.js';
import { seededRandom } from './helpers/call-flows.js';
import { ARTIFACTS_DIR, launchChromium, watchPageProblems } from './helpers/browser.js';
import { ADMIN_TOKEN, BUSINESS_PHONE, startTestService, type TestService } from './helpers/service.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

const DAY_MS = 86_400_000;
const LAPTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };

interface SeededCall {
  uuid: string;
  campaign: string | null;
  trackingNumber: string;
  caller: string | null;
  startedAt: Date;
  outcome: 'answered' | 'missed' | 'in_progress';
  talkSeconds: number;
}

const CAMPAIGNS: { campaign: string | null; numbers: string[]; maxDaysAgo: number; minDaysAgo: number }[] = [
  { campaign: 'Radio spot', numbers: ['447700900101'], minDaysAgo: 0, maxDaysAgo: 85 },
  { campaign: 'Google Ads', numbers: ['447700900102', '447700900103'], minDaysAgo: 0, maxDaysAgo: 25 },
  { campaign: 'Newsletter <b>Friends</b> & "Co"', numbers: ['447700900105'], minDaysAgo: 3, maxDaysAgo: 28 },
  // Only in the last 90 days, not the last 30: the range picker must bring it in.
  { campaign: 'Summer flyer', numbers: ['447700900104'], minDaysAgo: 40, maxDaysAgo: 80 },
  { campaign: null, numbers: ['447700900109'], minDaysAgo: 0, maxDaysAgo: 60 },
];

/** 24 callers, some of whom call again; every ninth call withholds its number. */
const CALLERS = Array.from({ length: 24 }, (_, i) => `4477009${String(11100 + i * 37).padStart(5, '0')}`);

function seedCalls(todayStart: number): SeededCall[] {
  const random = seededRandom(20261124);
  const calls: SeededCall[] = [];
  let n = 0;
  for (const { campaign, numbers, minDaysAgo, maxDaysAgo } of CAMPAIGNS) {
    const count = campaign === null ? 8 : 18;
    for (let i = 0; i < count; i++) {
      n += 1;
      const daysAgo = minDaysAgo + Math.floor(random() * (maxDaysAgo - minDaysAgo + 1));
      // Business hours mostly, so the heatmap has a shape; never later than now on day 0.
      const minute = Math.floor((8 + random() * 10) * 60);
      const startedAt = new Date(Math.min(todayStart - daysAgo * DAY_MS + minute * 60_000, Date.now() - 60_000 * (n + 1)));
      const roll = random();
      const outcome = roll < 0.62 ? 'answered' : roll < 0.95 ? 'missed' : 'in_progress';
      calls.push({
        uuid: `dash-${process.pid}-${n}`,
        campaign,
        trackingNumber: numbers[i % numbers.length]!,
        caller: n % 9 === 0 ? null : CALLERS[Math.floor(random() * CALLERS.length)]!,
        startedAt,
        outcome,
        talkSeconds: outcome === 'answered' ? 15 + Math.floor(random() * 300) : 0,
      });
    }
  }
  return calls;
}

/** The events Vonage would report for each call's two legs, as the domain keeps them. */
function eventsOf(call: SeededCall): CallEvent[] {
  const at = (seconds: number) => new Date(call.startedAt.getTime() + seconds * 1000);
  const leg = (legUuid: string, status: string, seconds: number, direction: 'inbound' | 'outbound', durationSeconds: number | null = null): CallEvent => ({
    legUuid, conversationUuid: `CON-${call.uuid}`, status, occurredAt: at(seconds), direction, durationSeconds,
  });
  const forwarded = `${call.uuid}-out`;
  const opening = [leg(call.uuid, 'started', 0, 'inbound'), leg(call.uuid, 'answered', 0.5, 'inbound'), leg(forwarded, 'ringing', 1, 'outbound')];
  switch (call.outcome) {
    case 'answered':
      return [...opening, leg(forwarded, 'answered', 5, 'outbound'),
        leg(forwarded, 'completed', 5 + call.talkSeconds, 'outbound', call.talkSeconds),
        leg(call.uuid, 'completed', 6 + call.talkSeconds, 'inbound', call.talkSeconds + 6)];
    case 'missed':
      return [...opening, leg(forwarded, 'busy', 4, 'outbound'), leg(call.uuid, 'completed', 4.2, 'inbound', 4)];
    case 'in_progress':
      return opening;
  }
}

function callsBetween(calls: SeededCall[], since: Date, until: Date): SeededCall[] {
  return calls.filter((c) => c.startedAt >= since && c.startedAt < until);
}

const utcDay = (time: number) => new Date(time).toISOString().slice(0, 10);

describe('the dashboard', () => {
  let service: TestService;
  let browser: Browser;
  let calls: SeededCall[];
  let todayStart: number;
  const contexts: BrowserContext[] = [];

  /** Calls in the last `days` whole UTC days, today included. */
  const lastDays = (days: number) => callsBetween(calls, new Date(todayStart - (days - 1) * DAY_MS), new Date(todayStart + DAY_MS));

  before(async () => {
    todayStart = Date.parse(`${utcDay(Date.now())}T00:00:00Z`);
    // The webhooks panel's receiver listens on loopback.
    service = await startTestService({ WEBHOOK_ALLOW_PRIVATE: 'true' });
    calls = seedCalls(todayStart);
    const inbound: InboundCall[] = calls.map((c) => ({
      uuid: c.uuid, conversationUuid: `CON-${c.uuid}`, trackingNumber: c.trackingNumber, caller: c.caller,
      campaign: c.campaign, forwardTo: BUSINESS_PHONE, startedAt: c.startedAt,
    }));
    await service.store.recordCalls(inbound);
    await service.store.recordEvents(calls.flatMap(eventsOf));
    browser = await launchChromium();
  });

  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await service?.stop();
  });

  async function openDashboard(viewport: { width: number; height: number }, path = '/dashboard') {
    // Reduced motion turns the chart animations off, so screenshots show the final drawing.
    const context = await browser.newContext({ viewport, reducedMotion: 'reduce', httpCredentials: { username: 'marketing', password: ADMIN_TOKEN } });
    contexts.push(context);
    const page = await context.newPage();
    const problems = watchPageProblems(page);
    await page.goto(`${service.url}${path}`);
    return { page, problems };
  }

  /** Waits until the script has drawn the figures of the range it now shows. */
  async function waitForFigures(page: Page, status: 'ready' | 'failed' = 'ready'): Promise<void> {
    await page.waitForSelector(`main[data-status="${status}"][aria-busy="false"]`);
  }

  const kpi = (page: Page, id: string) => page.locator(`[data-kpi="${id}"]`).innerText();
  const campaignRows = (page: Page) => page.locator('#campaigns-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-campaign')));

  /** True once the canvas has pixels that are not transparent. */
  const canvasDrawn = (page: Page, id: string) =>
    page.waitForFunction((canvasId) => {
      const canvas = document.getElementById(canvasId) as HTMLCanvasElement | null;
      if (!canvas || canvas.width === 0 || canvas.height === 0) return false;
      const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted += 1;
      return painted > 500;
    }, id);

  test('without credentials the dashboard answers 401 with a Basic challenge', async () => {
    const res = await fetch(`${service.url}/dashboard`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /);
    assert.equal((await fetch(`${service.url}/dashboard/assets/dashboard.js`)).status, 401);
    assert.equal((await fetch(`${service.url}/dashboard/latest-calls`)).status, 401);
  });

  test('the page is sent with a strict content security policy and no referrer', async () => {
    const res = await fetch(`${service.url}/dashboard`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(html, /\sstyle=/, 'no inline style');
    assert.doesNotMatch(html, /https?:\/\//, 'nothing is loaded from elsewhere');
  });

  test('Chart.js and the dashboard assets are served from the app itself', async () => {
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    for (const [asset, type] of [['chart.umd.min.js', /javascript/], ['dashboard.js', /javascript/], ['dashboard.css', /text\/css/]] as const) {
      const res = await fetch(`${service.url}/dashboard/assets/${asset}`, { headers });
      assert.equal(res.status, 200, asset);
      assert.match(res.headers.get('content-type') ?? '', type);
      assert.ok((await res.text()).length > 1000, `${asset} has content`);
    }
    assert.equal((await fetch(`${service.url}/dashboard/assets/nope.js`, { headers })).status, 404);
  });

  test('a range the page cannot show is refused with 400, on a page that says why and leads back', async () => {
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    for (const query of ['days=14', 'from=2026-02-30&to=2026-03-02', 'from=2026-11-02&to=2026-11-01', 'from=2020-01-01&to=2026-01-01', 'from=yesterday']) {
      const res = await fetch(`${service.url}/dashboard?${query}`, { headers });
      assert.equal(res.status, 400, query);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/, query);
      const page = await res.text();
      assert.match(page, /The address asks for a range this page cannot show: &quot;(days|from|to)&quot;|a range covers at most/, query);
      assert.match(page, /<a href="\/dashboard">/, query);
    }
    assert.ok(service.logger.lines.some((l) => l.message === 'request refused' && l.details?.status === 400));
  });

  test('the latest calls reach the browser with callers already masked', async () => {
    const res = await fetch(`${service.url}/dashboard/latest-calls?limit=500`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.calls.length, calls.length);
    for (const call of body.calls) {
      if (call.caller !== null) assert.match(call.caller, /^•{9}\d{3}$/);
    }
    const text = JSON.stringify(body);
    for (const caller of CALLERS) assert.ok(!text.includes(caller), `${caller} is masked`);
  });

  test('on a laptop it shows every campaign of the last 30 days, their charts, the heatmap and masked latest calls', async () => {
    const { page, problems } = await openDashboard(LAPTOP);
    await waitForFigures(page);
    const expected = lastDays(30);

    assert.equal(await kpi(page, 'calls'), String(expected.length));
    const answered = expected.filter((c) => c.outcome === 'answered').length;
    const missed = expected.filter((c) => c.outcome === 'missed').length;
    assert.equal(await kpi(page, 'answer-rate'), `${Math.round((answered / (answered + missed)) * 100)}%`);
    assert.equal(await kpi(page, 'qualified'), String(expected.filter((c) => c.outcome === 'answered' && c.talkSeconds >= 60).length));

    const campaigns = new Set(expected.map((c) => c.campaign ?? 'No campaign'));
    assert.deepEqual(new Set(await campaignRows(page)), campaigns);
    assert.ok(!campaigns.has('Summer flyer'));
    assert.equal(await page.locator('#campaigns-table tfoot th').innerText(), 'All campaigns');
    assert.equal(await page.locator('#campaigns-table tbody b').count(), 0, 'campaign names are text, never markup');
    assert.ok((await page.locator('#campaigns-table tbody').innerText()).includes('Newsletter <b>Friends</b> & "Co"'));
    // Tracking numbers as people write them, as on every other page.
    assert.equal(await page.locator('#campaigns-table tbody tr[data-campaign="Google Ads"] td.numbers').innerText(), '+44 7700 900102, +44 7700 900103');
    for (const number of await page.locator('#calls-table td.cell-number').allInnerTexts()) assert.match(number, /^\+44 7700 9001\d\d$/);

    await canvasDrawn(page, 'daily-chart');
    await canvasDrawn(page, 'rate-chart');
    const inProgress = expected.some((c) => c.outcome === 'in_progress') ? 1 : 0;
    assert.equal(await page.locator('#daily-legend li').count(), campaigns.size + inProgress);

    const heat = await page.locator('#heatmap .heatmap-cell').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-count'))));
    assert.equal(heat.length, 7 * 24);
    assert.equal(heat.reduce((a, b) => a + b, 0), expected.length);

    const latest = await page.locator('#calls-table tbody tr').count();
    assert.equal(latest, Math.min(10, expected.length));
    const shownCallers = await page.locator('#calls-table td.caller').allInnerTexts();
    assert.ok(shownCallers.length > 0);
    for (const caller of shownCallers) assert.match(caller, /^•{9}\d{3}$/);
    const pageText = await page.locator('body').innerText();
    for (const caller of CALLERS) assert.ok(!pageText.includes(caller), `the page does not show ${caller}`);

    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-laptop.png') });
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-laptop-full.png'), fullPage: true });
    assert.deepEqual(problems, { consoleErrors: [], failedRequests: [] });
  });

  test('each summary card is compared with the period of the same length just before', async () => {
    const { page, problems } = await openDashboard(LAPTOP, '/dashboard?days=30');
    await waitForFigures(page);
    const now = lastDays(30);
    const before = callsBetween(calls, new Date(todayStart - 59 * DAY_MS), new Date(todayStart - 29 * DAY_MS));
    assert.ok(now.length > 0 && before.length > 0 && now.length !== before.length, 'the seed gives both periods calls, in different numbers');
    const signed = (n: number, unit: string) => `${n > 0 ? '+' : '−'}${Math.abs(n)}${unit} vs previous 30 days`;
    const change = (id: string) => page.locator(`[data-kpi-change="${id}"]`).innerText();
    assert.equal(await change('calls'), signed(Math.round(((now.length - before.length) / before.length) * 100), '%'));
    const rate = (list: SeededCall[]) => {
      const answered = list.filter((c) => c.outcome === 'answered').length;
      return answered / (answered + list.filter((c) => c.outcome === 'missed').length);
    };
    const points = Math.round((rate(now) - rate(before)) * 100);
    assert.equal(await change('answer-rate'), points === 0 ? 'Same as previous 30 days' : signed(points, ' pts'));
    for (const id of ['qualified', 'talk-time']) assert.match(await change(id), /^([+−]\d+% vs|Same as|None in the) previous 30 days$/);

    // The period before the seeded calls began: nothing to compare with.
    await page.goto(`${service.url}/dashboard?from=2025-01-01&to=2025-01-07`);
    await waitForFigures(page);
    assert.equal(await change('calls'), 'Same as previous 7 days');
    assert.equal(await change('answer-rate'), '– vs previous 7 days');
    assert.deepEqual(problems, { consoleErrors: [], failedRequests: [] });
  });

  test("each number's route is shown read-only, with the block list that applies everywhere", async () => {
    const put = (path: string, body: unknown) => fetch(`${service.url}${path}`, {
      method: 'PUT', headers: { ...service.admin, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    assert.equal((await put('/api/block-list', { prefixes: ['+1 900'], withheld: true })).status, 200);
    assert.equal((await put('/api/numbers/442079469001', {
      campaign: 'Routed <i>team</i>',
      route: {
        timeZone: 'Europe/London', hours: { mon: [{ from: '09:00', to: '12:30' }, { from: '13:30', to: '17:00' }] }, closedDates: ['2026-12-25'],
        destinations: [{ number: '+44 7700 900901', ringSeconds: 20 }, { number: '+44 7700 900902' }], strategy: 'round_robin',
        closedAction: { type: 'message', text: 'We are closed.' }, blockList: { numbers: ['+44 7700 900666'] },
        record: { notice: 'Calls are recorded.' }, transcription: { language: 'en-GB' },
      },
    })).status, 201);
    assert.equal((await put('/api/numbers/442079469002', { forwardTo: '+44 7700 900903' })).status, 201);
    const { page, problems } = await openDashboard(LAPTOP);
    await waitForFigures(page);
    const routed = page.locator('#numbers-table tr[data-number="442079469001"]');
    await routed.waitFor();
    assert.deepEqual(await routed.locator('td').allInnerTexts(), [
      '+44 20 7946 9001', 'Routed <i>team</i>', 'Mon 09:00–12:30, 13:30–17:00; closed 2026-12-25 (Europe/London)',
      'Round robin: +44 7700 900901 (20 s), +44 7700 900902', 'Says “We are closed.”', '1 number',
      'Recorded after “Calls are recorded.”; transcribed (en-GB)',
    ]);
    assert.deepEqual(await page.locator('#numbers-table tr[data-number="442079469002"] td').allInnerTexts(), ['+44 20 7946 9002', 'No campaign', 'Always', '+44 7700 900903', '–', '–', 'Off']);
    assert.equal(await page.locator('#block-list-note').innerText(), 'Blocked on every number: numbers starting +1900; withheld callers.');
    assert.equal(await page.locator('#numbers-table input, #numbers-table button').count(), 0, 'nothing to edit here');
    assert.match(await page.locator('#numbers-panel .panel-hint').innerText(), /^Changed on the Numbers page\./, 'an owner is sent where numbers are changed');
    assert.deepEqual(problems, { consoleErrors: [], failedRequests: [] });
  });

  test('the range picker changes the figures, the URL and the CSV link', async () => {
    const { page, problems } = await openDashboard(LAPTOP, '/dashboard?days=7');
    await waitForFigures(page);
    assert.equal(await kpi(page, 'calls'), String(lastDays(7).length));
    assert.equal(await page.locator('button[name="days"][value="7"]').getAttribute('aria-pressed'), 'true');

    await page.locator('button[name="days"][value="90"]').click();
    await page.waitForFunction(() => new URLSearchParams(location.search).get('days') === '90');
    await waitForFigures(page);
    const ninety = lastDays(90);
    assert.equal(await kpi(page, 'calls'), String(ninety.length));
    assert.deepEqual(new Set(await campaignRows(page)), new Set(ninety.map((c) => c.campaign ?? 'No campaign')));
    assert.ok((await campaignRows(page)).includes('Summer flyer'));
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-laptop-90-days.png') });

    // A custom range of the single day with the most seeded calls.
    const perDay = new Map<string, number>();
    for (const c of calls) perDay.set(utcDay(c.startedAt.getTime()), (perDay.get(utcDay(c.startedAt.getTime())) ?? 0) + 1);
    const [busiest] = [...perDay.entries()].sort((a, b) => b[1] - a[1])[0]!;
    await page.fill('#range-from', busiest);
    await page.fill('#range-to', busiest);
    await page.click('#range-apply');
    await page.waitForFunction((day) => new URLSearchParams(location.search).get('from') === day, busiest);
    await waitForFigures(page);
    assert.equal(await kpi(page, 'calls'), String(perDay.get(busiest)));
    assert.equal(await page.locator('button[name="days"][aria-pressed="true"]').count(), 0);

    const href = await page.locator('#report-csv').getAttribute('href');
    assert.equal(href, `/api/report.csv?since=${busiest}&until=${utcDay(Date.parse(busiest) + DAY_MS)}&tz=UTC`);

    // Back returns to the 90 days.
    await page.goBack();
    await page.waitForFunction(() => new URLSearchParams(location.search).get('days') === '90');
    await waitForFigures(page);
    assert.equal(await kpi(page, 'calls'), String(ninety.length));
    assert.deepEqual(problems, { consoleErrors: [], failedRequests: [] });
  });

  test('with TIMEZONE set, the dashboard names the zone and its days are that zone\'s days', async () => {
    const zone = 'Asia/Kathmandu';
    const zoned = await startTestService({ TIMEZONE: zone }, service.store);
    try {
      const localDay = (ms: number) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
      const perDay = new Map<string, number>();
      for (const c of calls) perDay.set(localDay(c.startedAt.getTime()), (perDay.get(localDay(c.startedAt.getTime())) ?? 0) + 1);
      const [busiest, count] = [...perDay.entries()].sort((a, b) => b[1] - a[1])[0]!;
      const context = await browser.newContext({ viewport: LAPTOP, reducedMotion: 'reduce', httpCredentials: { username: 'marketing', password: ADMIN_TOKEN } });
      contexts.push(context);
      const page = await context.newPage();
      const problems = watchPageProblems(page);
      await page.goto(`${zoned.url}/dashboard?from=${busiest}&to=${busiest}`);
      await waitForFigures(page);
      assert.equal(await kpi(page, 'calls'), String(count));
      assert.match(await page.locator('#range-label').innerText(), /Asia\/Kathmandu/);
      assert.match(await page.locator('#heatmap-panel .panel-hint').innerText(), /Asia\/Kathmandu/);
      const href = await page.locator('#report-csv').getAttribute('href');
      assert.match(href ?? '', /tz=Asia%2FKathmandu/);
      assert.deepEqual(problems, { consoleErrors: [], failedRequests: [] });
    } finally {
      await zoned.stop();
    }
  });

  test('the CSV buttons download the report and the calls of the range shown', async () => {
    const { page, problems } = await openDashboard(LAPTOP, '/dashboard?days=90');
    await waitForFigures(page);

    const [reportDownload] = await Promise.all([page.waitForEvent('download'), page.click('#report-csv')]);
    const report = await readFile(await reportDownload.path(), 'utf8');
    const reportLines = report.trim().split(/\r?\n/);
    assert.match(reportLines[0]!, /^campaign,/);
    const ninety = lastDays(90);
    assert.equal(reportLines.length, 1 + new Set(ninety.map((c) => c.campaign)).size);
    assert.ok(report.includes('Summer flyer'));
    assert.ok(report.includes('"Newsletter <b>Friends</b> & ""Co"""'));

    const [callsDownload] = await Promise.all([page.waitForEvent('download'), page.click('#calls-csv')]);
    const callsCsv = await readFile(await callsDownload.path(), 'utf8');
    assert.equal(callsCsv.trim().split(/\r?\n/).length, 1 + ninety.length);
    assert.deepEqual(problems.consoleErrors, []);
  });

  test('a range without calls says so in every panel', async () => {
    const emptyDay = utcDay(todayStart - 200 * DAY_MS);
    const { page, problems } = await openDashboard(LAPTOP, `/dashboard?from=${emptyDay}&to=${emptyDay}`);
    await waitForFigures(page);
    assert.equal(await kpi(page, 'calls'), '0');
    assert.equal(await kpi(page, 'answer-rate'), '–');
    for (const panel of ['daily-panel', 'rate-panel', 'campaigns-panel', 'heatmap-panel', 'calls-panel']) {
      assert.equal(await page.locator(`#${panel} [data-state]`).innerText(), 'No calls in this range', panel);
    }
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-empty.png') });
    assert.deepEqual(problems, { consoleErrors: [], failedRequests: [] });
  });

  test('when the report API fails the page says so and recovers on retry', async () => {
    const context = await browser.newContext({ viewport: LAPTOP, httpCredentials: { username: 'marketing', password: ADMIN_TOKEN } });
    contexts.push(context);
    const page = await context.newPage();
    const uncaught: string[] = [];
    page.on('pageerror', (error) => uncaught.push(error.message));
    // The real server answering 500 is what the page must survive; the route stands in for a broken store.
    await page.route('**/api/report?*', (route) => route.fulfill({ status: 500, json: { error: 'internal', message: 'internal error' } }));
    await page.goto(`${service.url}/dashboard`);
    await waitForFigures(page, 'failed');
    assert.ok(await page.locator('#load-error').isVisible());
    assert.match(await page.locator('#load-error').innerText(), /could not be loaded[\s\S]*500: internal error/);
    assert.equal(await page.locator('#campaigns-panel [data-state]').innerText(), 'Could not load these figures.');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-error.png') });

    await page.unroute('**/api/report?*');
    await page.click('#retry');
    await waitForFigures(page);
    assert.ok(!(await page.locator('#load-error').isVisible()));
    assert.equal(await kpi(page, 'calls'), String(lastDays(30).length));
    assert.deepEqual(uncaught, []);
  });

  test('a page opened with the credentials in its address loads every panel', async () => {
    // The address a newcomer may paste; Chromium refuses fetch() of any URL resolved against it.
    const context = await browser.newContext({ viewport: LAPTOP });
    contexts.push(context);
    const page = await context.newPage();
    const problems = watchPageProblems(page);
    const address = new URL('/dashboard', service.url);
    address.username = 'marketing';
    address.password = ADMIN_TOKEN;
    await page.goto(address.href);
    await waitForFigures(page);
    assert.equal(await kpi(page, 'calls'), String(lastDays(30).length));
    assert.ok(!(await page.locator('#load-error').isVisible()));
    await page.waitForSelector('#dni-panel.is-empty, #dni-panel.is-failed');
    assert.equal(await page.locator('#dni-panel.is-failed').count(), 0, await page.locator('#dni-panel [data-state]').innerText());
    // Choosing a range puts it in the address and fetches again.
    await page.locator('button[name="days"][value="90"]').click();
    await page.waitForURL(/days=90/);
    await waitForFigures(page);
    assert.equal(await kpi(page, 'calls'), String(lastDays(90).length));
    assert.deepEqual(problems, { consoleErrors: [], failedRequests: [] });

    // The other pages, opened the same way, load their lists too.
    for (const [path, loaded] of [
      ['/dashboard/calls', '#calls-list tbody tr'], ['/dashboard/missed', '#missed-list tbody tr, #missed-state:not(:empty)'],
      ['/dashboard/numbers', '#numbers-list tbody tr, #numbers-state:not(:empty)'], ['/dashboard/team', '#users-state:not(:empty)'], ['/dashboard/account', '#tokens-state:not(:empty)'],
    ] as const) {
      address.pathname = path;
      await page.goto(address.href);
      await page.locator(loaded).first().waitFor();
      await page.waitForLoadState('networkidle');
      assert.doesNotMatch(await page.locator('main').innerText(), /could not|credentials/i, path);
    }
    // Leaving the Calls page ends its live stream: that abort is the browser's, not a failure.
    const failedRequests = problems.failedRequests.filter((request) => !/\/api\/calls\/live: net::ERR_ABORTED$/.test(request));
    assert.deepEqual({ ...problems, failedRequests }, { consoleErrors: [], failedRequests: [] });
  });

  test('a refused login and a lost connection are each named as such', async () => {
    const context = await browser.newContext({ viewport: LAPTOP, httpCredentials: { username: 'marketing', password: ADMIN_TOKEN } });
    contexts.push(context);
    const page = await context.newPage();
    await page.route('**/api/report?*', (route) => route.fulfill({ status: 401, json: { error: 'unauthorized', message: 'admin credentials required' } }));
    await page.goto(`${service.url}/dashboard`);
    await waitForFigures(page, 'failed');
    const banner = await page.locator('#load-error').innerText();
    assert.match(banner, /login was refused \(401\)/);
    assert.doesNotMatch(banner, /server/i, 'a refused login is not blamed on the server');

    await page.unroute('**/api/report?*');
    await page.route('**/api/report/daily?*', (route) => route.abort('connectionreset'));
    await page.click('#retry');
    await waitForFigures(page, 'failed');
    assert.match(await page.locator('#load-error').innerText(), /No answer from the server \(network error\)/);
  });

  test('on a phone the page fits the width and the tables scroll sideways', async () => {
    const { page, problems } = await openDashboard(PHONE);
    await waitForFigures(page);
    await canvasDrawn(page, 'daily-chart');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    const tableScrolls = await page.locator('#campaigns-panel .table-scroll').evaluate((el) => el.scrollWidth > el.clientWidth);
    assert.ok(tableScrolls, 'the campaign table scrolls inside its panel');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-phone.png') });
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-phone-full.png'), fullPage: true });
    assert.deepEqual(problems, { consoleErrors: [], failedRequests: [] });
  });

  test('the webhooks panel lists each subscription with its deliveries, sends a test event, and sends a delivery again from its log', async () => {
    const { page: emptyPage } = await openDashboard(LAPTOP);
    await emptyPage.locator('#webhooks-panel [data-state]', { hasText: 'No webhook subscriptions: add one with POST /api/webhooks.' }).waitFor();
    const receiver = new WebhookReceiver([{ status: 500 }]);
    const port = await receiver.listen();
    try {
      const created = await fetch(`${service.url}/api/webhooks`, {
        method: 'POST', headers: { ...service.admin, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `http://127.0.0.1:${port}/crm`, eventTypes: ['call.completed', 'call.missed'] }),
      });
      const subscription = (await created.json()) as { id: string; secret: string };
      receiver.secret = subscription.secret;
      const { page, problems } = await openDashboard(LAPTOP);
      const row = page.locator(`#webhooks-table tr[data-subscription="${subscription.id}"]`);
      await row.waitFor();
      assert.deepEqual((await row.locator('td').allInnerTexts()).slice(0, 5), [
        `http://127.0.0.1:${port}/crm`, 'call.completed, call.missed', 'Enabled', 'None yet', '–',
      ]);
      await row.locator('button').click();
      await row.locator('button', { hasText: 'Test event queued' }).waitFor();
      // The first attempt gets a 500; the retry 5 s later gets through.
      await receiver.until(() => receiver.accepted.some((event) => event.type === 'webhook.test'));
      assert.equal(receiver.forged.length, 0);
      await page.reload();
      const deliveries = page.locator(`#webhooks-table tr[data-subscription="${subscription.id}"] td.cell-deliveries`);
      await deliveries.filter({ hasText: '1 delivered' }).waitFor();

      // The log shows each delivery, and sends one again with its event id.
      const testEventId = receiver.accepted.find((event) => event.type === 'webhook.test')!.id;
      await deliveries.locator('summary', { hasText: 'Log' }).click();
      const line = deliveries.locator(`li[data-event="${testEventId}"]`);
      assert.match(await line.innerText(), /webhook\.test · delivered · 2 attempts · HTTP 204/);
      await line.locator('button', { hasText: 'Send again' }).click();
      await line.locator('button', { hasText: 'Queued again' }).waitFor();
      await receiver.until(() => receiver.accepted.filter((event) => event.id === testEventId).length === 2);
      await page.locator('#webhooks-panel').screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-webhooks.png') });
      assert.deepEqual(problems, { consoleErrors: [], failedRequests: [] });
    } finally {
      await receiver.close();
    }
  });
});
