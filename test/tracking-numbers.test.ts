import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { assertValidNcco, fetchNcco } from './helpers/ncco-schema.js';
import { BUSINESS_PHONE, startTestService, vonageUuid, type TestService } from './helpers/service.js';

describe('tracking numbers and campaigns', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService();
  });
  after(() => service.stop());

  const put = (number: string, body: unknown, headers: Record<string, string> = service.admin) =>
    fetch(`${service.url}/api/numbers/${encodeURIComponent(number)}`, {
      method: 'PUT', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
  const answer = async (to: string, uuid = vonageUuid()) => {
    const res = await fetch(`${service.url}/track-call?${new URLSearchParams({ from: '447700900321', to, uuid })}`);
    assert.equal(res.status, 200);
    const ncco = await res.json();
    assertValidNcco(ncco);
    return { ncco, uuid };
  };

  test('a number written as a person would is stored as E.164 digits, with its campaign and forwarding', async () => {
    const res = await put('+44 20 7946 0001', { campaign: 'Radio spot', forwardTo: '+44 7700 900 002', whisper: 'Radio call' });
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json(), { number: '442079460001', campaign: 'Radio spot', forwardTo: '447700900002', whisper: 'Radio call', route: null });
    const list = await (await fetch(`${service.url}/api/numbers`, { headers: service.admin })).json();
    assert.deepEqual(list.numbers.map((n: { number: string }) => n.number), ['442079460001']);
    assert.equal((await put('442079460001', { campaign: 'Radio spot' })).status, 200, 'replacing answers 200');
  });

  test("a number's forwardTo overrides PROXY_TO_NUMBER in the connect NCCO", async () => {
    await put('442079460002', { campaign: 'Flyer', forwardTo: '447700900003' });
    const { ncco } = await answer('442079460002');
    assert.equal(ncco[0].endpoint[0].number, '447700900003');
    assert.equal(ncco[0].from, '442079460002');
  });

  test('a number with no entry is still tracked and forwarded to PROXY_TO_NUMBER, with no campaign', async () => {
    const { ncco, uuid } = await answer('442079460099');
    assert.equal(ncco[0].endpoint[0].number, BUSINESS_PHONE);
    const call = await service.store.findCall(uuid);
    assert.equal(call?.campaign, null);
  });

  test('each call keeps the campaign its number had when the call came in', async () => {
    await put('442079460003', { campaign: 'Spring flyer' });
    const { uuid: before } = await answer('442079460003');
    await put('442079460003', { campaign: 'Summer flyer' });
    const { uuid: later } = await answer('442079460003');
    assert.equal((await service.store.findCall(before))?.campaign, 'Spring flyer');
    assert.equal((await service.store.findCall(later))?.campaign, 'Summer flyer');
    const calls = await (await fetch(`${service.url}/api/calls?campaign=Spring%20flyer`, { headers: service.admin })).json();
    assert.deepEqual(calls.calls.map((c: { uuid: string }) => c.uuid), [before]);
  });

  test('deleting a number stops its forwarding override and answers 404 the second time', async () => {
    await put('442079460004', { campaign: 'Google ad', forwardTo: '447700900004' });
    const del = () => fetch(`${service.url}/api/numbers/442079460004`, { method: 'DELETE', headers: service.admin });
    assert.equal((await del()).status, 204);
    assert.equal((await del()).status, 404);
    const { ncco } = await answer('442079460004');
    assert.equal(ncco[0].endpoint[0].number, BUSINESS_PHONE);
  });

  test('invalid entries are refused with a 400 saying what is wrong', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['not-a-number', { campaign: 'x' }, /number/],
      // Vonage sends a number with its country code: a national or too-short one would never match.
      ['020 7946 0005', { campaign: 'x' }, /"number".*international form/],
      ['02079460005', { campaign: 'x' }, /"number".*international form/],
      ['1', { campaign: 'x' }, /"number".*international form/],
      ['442079460005', { forwardTo: 'call me' }, /forwardTo/],
      ['442079460005', { forwardTo: '+44 20 7946 0005' }, /"forwardTo" is the tracking number itself/],
      ['442079460005', { campaign: '' }, /campaign/],
      ['442079460005', { whisper: 'x'.repeat(1501) }, /whisper/],
      ['442079460005', { campaign: 'x', colour: 'red' }, /colour/],
      ['442079460005', { campaign: 'Radio\u0000spot' }, /campaign.*control characters/],
      ['442079460005', ['campaign'], /JSON object/],
    ];
    for (const [number, body, reason] of cases) {
      const res = await put(number, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match((await res.json()).message, reason);
    }
    assert.equal((await put('442079460005', { campaign: 'x' }, {})).status, 401);
  });
});

describe('tracking numbers changed by another instance', () => {
  let dir: string;
  let first: TestService;
  let second: TestService;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ct-numbers-'));
    const path = join(dir, 'calls.db');
    // Two instances, each with its own connection to one database file, as two processes would be.
    first = await startTestService({ NUMBERS_REFRESH_MS: '100' }, openSqliteStore(path));
    second = await startTestService({ NUMBERS_REFRESH_MS: '100' }, openSqliteStore(path));
  });
  after(async () => {
    await first.stop();
    await second.stop();
    await first.store.close();
    await second.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('reach the other instance with its next refresh', async () => {
    const res = await fetch(`${first.url}/api/numbers/442079460010`, {
      method: 'PUT', headers: { ...first.admin, 'content-type': 'application/json' }, body: JSON.stringify({ forwardTo: '447700900010' }),
    });
    assert.equal(res.status, 201);
    let forwardedTo = '';
    for (let attempt = 0; attempt < 100 && forwardedTo !== '447700900010'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const ncco = await fetchNcco(`${second.url}/track-call?to=442079460010&uuid=${vonageUuid()}`);
      forwardedTo = ncco[0].endpoint[0].number;
    }
    assert.equal(forwardedTo, '447700900010');
  });
});
