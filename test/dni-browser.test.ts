// The snippet in a real browser: a landing page on another origin than the server loads /dni.js,
// shows a pool number in place of the business number, keeps it across a reload, gives another
// visitor another, and keeps the business number when the server is down. A call to the shown
// number is then credited to that visit in /api/calls and the Google Ads export.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { join } from 'node:path';
import { ARTIFACTS_DIR, launchChromium, watchPageProblems } from './helpers/browser.js';
import { scriptCall } from './helpers/call-flows.js';
import { assertValidNcco } from './helpers/ncco-schema.js';
import { ADMIN_TOKEN, startTestService, type TestService } from './helpers/service.js';

const UK_POOL = ['442079460001', '442079460002', '442079460003'];
const US_POOL = ['12125550101', '12125550102'];

function landingPage(scriptSrc: string): string {
  return `<!doctype html><html><head><title>Plumbers</title>
  <script src="${scriptSrc}" async></script></head><body>
  <p id="intl">Call us on +44 20 7946 0000 today</p>
  <p id="national">or 020 7946 0000</p>
  <a id="link" href="tel:+442079460000">Call now</a>
  <p id="other">Fax: 020 7946 9999</p>
  <p id="hours">Open 9-5: 020 7946 0000 - 24 hours 020 7946 0000</p>
  <div id="later"></div>
  </body></html>`;
}

function usPage(scriptSrc: string): string {
  return `<!doctype html><html><head><script src="${scriptSrc}" async></script></head><body>
  <p id="parens">(212) 555-0100</p><p id="dashes">212-555-0100</p><p id="dots">212.555.0100</p>
  <p id="full">+1 212 555 0100</p><a id="link" href="tel:2125550100">Call</a>
  </body></html>`;
}

const SNIPPET = readFileSync(new URL('../src/dni/dni.js', import.meta.url), 'utf8');

/**
 * Serves the test's landing pages on a loopback port of its own: another origin than the server's.
 * It also plays a server that hangs: /hanging/dni.js is the snippet, and its visit requests are
 * never answered.
 */
async function startSite(pages: Record<string, () => string>): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    if (path === '/hanging/dni.js') return void res.writeHead(200, { 'content-type': 'application/javascript' }).end(SNIPPET);
    if (path.startsWith('/dni/visits')) return; // hangs
    const page = pages[path];
    if (!page) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A port nothing listens on: the address of a server that is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const textOf = (page: Page, id: string) => page.locator(`#${id}`).textContent();

/** Waits until the snippet has replaced the business number, and returns the pool number shown. */
async function shownNumber(page: Page): Promise<string> {
  await page.waitForFunction(() => !document.getElementById('intl')!.textContent!.includes('7946 0000'), undefined, { timeout: 10_000 });
  return (await page.locator('#link').getAttribute('href'))!.replace('tel:+', '');
}

describe('the DNI snippet in Chromium', () => {
  let service: TestService;
  let site: { origin: string; server: Server };
  let browser: Browser;
  let downPort: number;

  before(async () => {
    downPort = await closedPort();
    site = await startSite({
      '/landing': () => landingPage(`${service.url}/dni.js?pool=website`),
      '/us': () => usPage(`${service.url}/dni.js?pool=us`),
      '/down': () => landingPage(`http://127.0.0.1:${downPort}/dni.js?pool=website`),
      '/hanging': () => landingPage(`${site.origin}/hanging/dni.js?pool=website`),
    });
    service = await startTestService({ DNI_ALLOWED_ORIGINS: site.origin, QUALIFIED_CALL_SECONDS: '30' });
    for (const [id, body] of Object.entries({
      website: { campaign: 'Website', replaces: '+44 20 7946 0000', numbers: UK_POOL, holdMinutes: 30 },
      us: { campaign: 'US site', replaces: '+1 212 555 0100', numbers: US_POOL },
    })) {
      const res = await fetch(`${service.url}/api/pools/${id}`, {
        method: 'PUT', headers: { ...service.admin, 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      assert.equal(res.status, 201, await res.text());
    }
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await service?.stop();
    site?.server.closeAllConnections();
    site?.server.close();
  });

  let adVisitNumber: string;

  test('a visitor from an ad sees a pool number in text and tel: links, written like the business number, also in content added later', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = watchPageProblems(page);
    await page.goto(`${site.origin}/landing?utm_source=google&utm_medium=cpc&utm_campaign=winter&utm_term=emergency+plumber&gclid=Tst-gclid_123`);
    adVisitNumber = await shownNumber(page);
    assert.ok(UK_POOL.includes(adVisitNumber), adVisitNumber);
    const national = adVisitNumber.slice(2); // 2079460001
    assert.equal(await textOf(page, 'intl'), `Call us on +44 ${national.slice(0, 2)} ${national.slice(2, 6)} ${national.slice(6)} today`);
    assert.equal(await textOf(page, 'national'), `or 0${national.slice(0, 2)} ${national.slice(2, 6)} ${national.slice(6)}`);
    assert.equal(await textOf(page, 'other'), 'Fax: 020 7946 9999');
    const written = `0${national.slice(0, 2)} ${national.slice(2, 6)} ${national.slice(6)}`;
    assert.equal(await textOf(page, 'hours'), `Open 9-5: ${written} - 24 hours ${written}`);

    await page.evaluate(() => {
      document.getElementById('later')!.append(document.createTextNode('Out of hours: 020 7946 0000'));
    });
    await page.waitForFunction(() => !document.getElementById('later')!.textContent!.includes('7946 0000'));
    assert.match((await textOf(page, 'later'))!, new RegExp(`Out of hours: 0${national.slice(0, 2)} ${national.slice(2, 6)} ${national.slice(6)}`));

    await page.reload();
    assert.equal(await shownNumber(page), adVisitNumber, 'a reload keeps the number');
    const cookies = await context.cookies(site.origin);
    assert.ok(cookies.some((c) => c.name === 'ct_dni_website' && c.expires > Date.now() / 1000), 'the visit is kept in a first-party cookie');
    assert.deepEqual(problems, { consoleErrors: [], failedRequests: [] });
    await context.close();
  });

  test('a second visitor gets another number', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${site.origin}/landing?utm_source=newsletter&utm_medium=email`);
    const other = await shownNumber(page);
    assert.ok(UK_POOL.includes(other));
    assert.notEqual(other, adVisitNumber);
    await context.close();
  });

  test('North American formats are replaced, each written as it was', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${site.origin}/us`);
    await page.waitForFunction(() => !document.getElementById('parens')!.textContent!.includes('0100'));
    const number = (await page.locator('#link').getAttribute('href'))!.replace('tel:+', '');
    assert.ok(US_POOL.includes(number));
    const last = number.slice(-4);
    assert.deepEqual(
      [await textOf(page, 'parens'), await textOf(page, 'dashes'), await textOf(page, 'dots'), await textOf(page, 'full')],
      [`(212) 555-${last}`, `212-555-${last}`, `212.555.${last}`, `+1 212 555 ${last}`],
    );
    await context.close();
  });

  for (const [path, what, failing] of [
    ['/down', 'down', '/dni.js'],
    ['/hanging', 'not answering', '/dni/visits'],
  ] as const) {
    test(`with the server ${what} the page keeps the business number`, async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const failed = page.waitForEvent('requestfailed', { predicate: (request) => new URL(request.url()).pathname === failing, timeout: 10_000 });
      const uncaught: string[] = [];
      page.on('pageerror', (error) => uncaught.push(error.message));
      await page.goto(`${site.origin}${path}?gclid=abc`);
      await failed;
      assert.equal(await textOf(page, 'intl'), 'Call us on +44 20 7946 0000 today');
      assert.equal(await page.locator('#link').getAttribute('href'), 'tel:+442079460000');
      assert.deepEqual(uncaught, []);
      await context.close();
    });
  }

  test("a call to the shown number is credited to the ad visit in /api/calls, and exported once for Google Ads", async () => {
    const flow = scriptCall('answered', adVisitNumber, '447700900123');
    const ncco = await (await fetch(`${service.url}/track-call?${new URLSearchParams(flow.answer)}`)).json();
    assertValidNcco(ncco);
    for (const event of flow.events) {
      const res = await fetch(`${service.url}/event`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
      assert.equal(res.status, 204);
    }
    let call;
    for (let attempt = 0; attempt < 50; attempt++) {
      const { calls } = await (await fetch(`${service.url}/api/calls?number=${adVisitNumber}`, { headers: service.admin })).json();
      call = calls.find((c: { uuid: string }) => c.uuid === flow.uuid);
      if (call?.outcome === 'answered') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(call.outcome, 'answered');
    assert.equal(call.campaign, 'Website');
    assert.deepEqual({ ...call.attribution, visitId: undefined }, {
      visitId: undefined, pool: 'website', source: 'google', medium: 'cpc', campaign: 'winter', term: 'emergency plumber', content: null,
      gclid: 'Tst-gclid_123', referrer: null, landingPage: `${site.origin}/landing`,
    });
    assert.equal(call.attributionAmbiguous, false);

    const exportUrl = `${service.url}/api/conversions/google-ads.csv?conversionName=Phone+lead&tz=America/New_York&value=50&currency=USD`;
    const first = await fetch(exportUrl, { headers: service.admin });
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type')!, /^text\/csv/);
    const lines = (await first.text()).split('\r\n');
    const startedAt = new Date(call.startedAt);
    const newYork = new Intl.DateTimeFormat('sv-SE', {
      timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    }).format(startedAt);
    assert.deepEqual(lines, [
      'Parameters:TimeZone=America/New_York',
      'Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency',
      `Tst-gclid_123,Phone lead,${newYork},50,USD`,
      '',
    ]);
    const again = await (await fetch(exportUrl, { headers: service.admin })).text();
    assert.equal(again.split('\r\n').length, 3, 'an exported call is not listed twice');
    const asked = await (await fetch(`${exportUrl}&includeExported=true`, { headers: service.admin })).text();
    assert.equal(asked.split('\r\n')[2], `Tst-gclid_123,Phone lead,${newYork},50,USD`);
  });

  test('the dashboard shows calls by source and whether each pool is big enough', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, httpCredentials: { username: 'marketing', password: ADMIN_TOKEN } });
    const page = await context.newPage();
    const problems = watchPageProblems(page);
    const requested: string[] = [];
    page.on('request', (request) => requested.push(new URL(request.url()).pathname + new URL(request.url()).search));
    await page.goto(`${service.url}/dashboard`);
    await page.locator('#dni-sources-table tbody tr').first().waitFor();
    assert.ok(requested.includes('/api/report?groupBy=source'), 'calls by source come from the report API');
    const cells = (selector: string) => page.locator(selector).evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => cell.textContent)));
    assert.deepEqual(await cells('#dni-sources-table tbody tr'), [['google', 'cpc', '1']]);
    const pools = await cells('#dni-pools-table tbody tr');
    // Two visits (the ad visit, kept across its reload, and the newsletter visit) took two of three UK numbers.
    assert.deepEqual(pools.find((row) => row[0] === 'website'), ['website', '3', '2', '0 of 1 (0%)', 'Big enough']);
    await page.locator('#dni-panel').screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-dni-panel.png') });
    assert.deepEqual(problems, { consoleErrors: [], failedRequests: [] });
    await context.close();
  });
});
