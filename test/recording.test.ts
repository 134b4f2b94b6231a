// Call recording and voicemail end to end, on SQLite: numbers set through the API, calls driven as
// Vonage drives them, recording webhooks pointing at a fake Vonage media API on loopback that
// checks each download's JWT against the public half of the test application's key, fails first
// attempts and cuts one transfer short; then the files on disk, the admin API, and playback with
// seeking in Chromium.

import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { ConfigError, loadConfig } from '../src/config.js';
import { DEFAULT_CONSENT_NOTICE } from '../src/domain/route.js';
import type { RecordAction, TalkAction } from '../src/domain/ncco.js';
import { MediaRetention } from '../src/durability/media-retention.js';
import { allowedMediaUrl } from '../src/security/media-hosts.js';
import { LocalMediaFiles } from '../src/store/media-files.js';
import { launchChromium, watchPageProblems } from './helpers/browser.js';
import { startFakeMediaServer, type FakeMediaServer } from './helpers/fake-vonage-media.js';
import { routeCall } from './helpers/routed-call.js';
import { ADMIN_TOKEN, BUSINESS_PHONE, startTestService, type TestService } from './helpers/service.js';
import { bearer, SIGNATURE_SECRET, signedToken } from './helpers/sign.js';
import { sineWav } from './helpers/wav.js';

const APPLICATION_ID = 'aaaaaaaa-bbbb-cccc-dddd-000000000014';
const PUBLIC_URL = 'https://calls.example.com';
const RECORDED_NUMBER = '442079460141';
const VOICEMAIL_NUMBER = '442079460142';
const AUDIO_SECONDS = 3;

interface CallJson {
  uuid: string;
  outcome: string;
  voicemail: boolean;
  recordings: { id: string; kind: string; status: string; audioUrl: string | null; contentType: string | null; sizeBytes: number | null }[];
}

const dir = mkdtempSync(join(tmpdir(), 'call-tracker-recording-'));
const recordingsDir = join(dir, 'recordings');
const audio = sineWav(AUDIO_SECONDS);
let media: FakeMediaServer;
let service: TestService;

async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${service.url}${path}`, { ...init, headers: { ...service.admin, ...(init.headers as Record<string, string>) } });
}

async function setNumber(number: string, body: unknown): Promise<void> {
  const res = await admin(`/api/numbers/${number}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(res.status === 200 || res.status === 201, `${res.status} ${await res.text()}`);
}

async function postRecording(body: Record<string, unknown>, query = ''): Promise<Response> {
  return fetch(`${service.url}/recording${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

function recordingWebhook(conversationUuid: string, url: string, id: string, size = audio.length) {
  const start = new Date(Date.now() - AUDIO_SECONDS * 1000);
  return {
    start_time: start.toISOString(), end_time: new Date().toISOString(), recording_url: url, size,
    recording_uuid: id, conversation_uuid: conversationUuid, timestamp: new Date().toISOString(),
  };
}

async function callDetail(uuid: string): Promise<CallJson> {
  const res = await admin(`/api/calls/${uuid}`);
  assert.equal(res.status, 200);
  return (await res.json()) as CallJson;
}

/** Long enough for a spool replay and a few retries on a busy machine; reached only on failure. */
const STORED_WITHIN_MS = 30_000;

/** Polls the call until its recordings are all stored; the worker is woken by the webhook. */
async function waitForStored(uuid: string, count: number): Promise<CallJson> {
  for (const giveUpAt = Date.now() + STORED_WITHIN_MS; Date.now() < giveUpAt;) {
    const call = await callDetail(uuid);
    if (call.recordings.length === count && call.recordings.every((r) => r.status === 'stored')) return call;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`recordings of ${uuid} not stored: ${JSON.stringify(await callDetail(uuid))}`);
}

describe('recording and voicemail', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const keyPath = join(dir, 'private.key');
  let recorded: { uuid: string; conversationUuid: string; recordingId: string };

  before(async () => {
    writeFileSync(keyPath, privateKey, { mode: 0o600 });
    media = await startFakeMediaServer(publicKey, APPLICATION_ID);
    service = await startTestService({
      DATABASE_URL: `sqlite:${join(dir, 'calls.db')}`, PUBLIC_URL, RECORDINGS_DIR: recordingsDir,
      VONAGE_APPLICATION_ID: APPLICATION_ID, VONAGE_PRIVATE_KEY: keyPath, RECORDINGS_TEST_ALLOW_LOOPBACK: 'true', RECORDING_RETRY_MS: '50',
    });
    await setNumber(RECORDED_NUMBER, { campaign: 'Radio', route: { record: {} } });
    await setNumber(VOICEMAIL_NUMBER, { campaign: 'Flyer', route: { voicemail: { greeting: 'Please leave a message for Flyer.' } } });
  });

  after(async () => {
    await service?.stop();
    await media?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a recorded call hears the notice, is recorded in stereo and connected; its recording is downloaded after failed attempts', async () => {
    const call = await routeCall(service.url, { trackingNumber: RECORDED_NUMBER, caller: '447700900123' });
    const [answer] = call.nccos;
    assert.deepEqual(answer!.map((a) => a.action), ['talk', 'record', 'connect']);
    assert.equal((answer![0] as TalkAction).text, DEFAULT_CONSENT_NOTICE);
    const record = answer![1] as RecordAction;
    assert.equal(record.split, 'conversation');
    assert.equal(record.channels, 2);
    assert.deepEqual(record.eventUrl, [`${PUBLIC_URL}/recording`]);
    assert.deepEqual(call.rung, [BUSINESS_PHONE]);

    const recordingId = randomUUID();
    const url = media.add(recordingId, { body: audio, contentType: 'audio/wav', failFirst: 2 });
    assert.equal((await postRecording(recordingWebhook(call.conversationUuid, url, recordingId))).status, 204);
    const detail = await waitForStored(call.uuid, 1);
    assert.equal(detail.outcome, 'answered');
    assert.equal(detail.voicemail, false);
    assert.deepEqual(detail.recordings.map((r) => [r.kind, r.contentType, r.sizeBytes]), [['call', 'audio/wav', audio.length]]);
    assert.equal(media.requests.get(recordingId), 3, 'two 503s, then the download');
    assert.deepEqual(media.refused, [], 'every download carried a valid JWT');

    const [file] = readdirSync(recordingsDir);
    assert.equal(file, `${recordingId}.wav`);
    assert.deepEqual(readFileSync(join(recordingsDir, file!)), audio);
    assert.equal(statSync(join(recordingsDir, file!)).mode & 0o777, 0o600);
    assert.equal(statSync(recordingsDir).mode & 0o777, 0o700);
    recorded = { uuid: call.uuid, conversationUuid: call.conversationUuid, recordingId };
  });

  test('a retried recording webhook keeps one recording', async () => {
    const url = `${media.url}/v1/files/${recorded.recordingId}`;
    assert.equal((await postRecording(recordingWebhook(recorded.conversationUuid, url, recorded.recordingId))).status, 204);
    assert.equal((await callDetail(recorded.uuid)).recordings.length, 1);
  });

  test('the audio streams whole, and by byte range for seeking', async () => {
    const path = `/api/recordings/${recorded.recordingId}/audio`;
    const whole = await admin(path);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-type'), 'audio/wav');
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), audio);

    const part = await admin(path, { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-199/${audio.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), audio.subarray(100, 200));

    const beyond = await admin(path, { headers: { range: `bytes=${audio.length}-` } });
    assert.equal(beyond.status, 416);
    assert.equal((await fetch(`${service.url}${path}`)).status, 401, 'recordings are behind the admin token');
  });

  test('busy → the caller leaves a voicemail, downloaded whole though its first transfer was cut', async () => {
    const call = await routeCall(service.url, { trackingNumber: VOICEMAIL_NUMBER, caller: '447700900124', legs: ['busy'] });
    assert.equal(call.nccos.length, 2);
    const voicemail = call.nccos[1]!;
    assert.deepEqual(voicemail.map((a) => a.action), ['talk', 'record']);
    assert.equal((voicemail[0] as TalkAction).text, 'Please leave a message for Flyer.');
    const record = voicemail[1] as RecordAction;
    assert.equal(record.beepStart, true);
    assert.equal(record.endOnKey, '#');
    assert.deepEqual(record.eventUrl, [`${PUBLIC_URL}/recording?kind=voicemail`]);

    const recordingId = randomUUID();
    const url = media.add(recordingId, { body: audio, contentType: 'audio/wav', cutOnce: true });
    assert.equal((await postRecording(recordingWebhook(call.conversationUuid, url, recordingId), '?kind=voicemail')).status, 204);
    const detail = await waitForStored(call.uuid, 1);
    assert.equal(detail.outcome, 'missed');
    assert.equal(detail.voicemail, true);
    assert.equal(detail.recordings[0]!.kind, 'voicemail');
    assert.equal(media.requests.get(recordingId), 2, 'the cut transfer, then a whole one');
    assert.deepEqual(readFileSync(join(recordingsDir, `${recordingId}.wav`)), audio);
    assert.deepEqual(readdirSync(recordingsDir).filter((name) => name.endsWith('.partial')), [], 'no partial file is left');

    const listed = (await (await admin('/api/calls?limit=10')).json()) as { calls: CallJson[] };
    assert.equal(listed.calls.find((c) => c.uuid === call.uuid)?.voicemail, true);
  });

  test('busy → the caller hangs up before the beep: a missed call with no voicemail', async () => {
    const call = await routeCall(service.url, { trackingNumber: VOICEMAIL_NUMBER, caller: '447700900125', legs: ['busy'] });
    assert.deepEqual(call.nccos[1]!.map((a) => a.action), ['talk', 'record']);
    const detail = await callDetail(call.uuid);
    assert.equal(detail.outcome, 'missed');
    assert.equal(detail.voicemail, false);
    assert.deepEqual(detail.recordings, []);
  });

  test('a recording whose size differs from the webhook\'s is not stored as complete', async () => {
    const call = await routeCall(service.url, { trackingNumber: RECORDED_NUMBER, caller: '447700900126' });
    const recordingId = randomUUID();
    const url = media.add(recordingId, { body: audio, contentType: 'audio/wav' });
    assert.equal((await postRecording(recordingWebhook(call.conversationUuid, url, recordingId, audio.length + 1))).status, 204);
    for (let i = 0; i < 100 && (media.requests.get(recordingId) ?? 0) < 2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok((media.requests.get(recordingId) ?? 0) >= 2, 'a short file is tried again');
    const [recording] = (await callDetail(call.uuid)).recordings;
    assert.equal(recording?.status, 'pending');
    assert.equal(recording?.audioUrl, null);
    assert.ok(!readdirSync(recordingsDir).includes(`${recordingId}.wav`));
  });

  test('a recording webhook pointing at a host that is not Vonage\'s is refused, logged, and nothing is fetched', async () => {
    const before = media.requests.size;
    for (const url of ['https://evil.example.com/v1/files/abc', 'https://api.nexmo.com.evil.example/v1/files/abc', 'http://api.nexmo.com/v1/files/abc']) {
      const id = randomUUID();
      const res = await postRecording(recordingWebhook(recorded.conversationUuid, url, id));
      assert.equal(res.status, 400, url);
      assert.equal((await admin(`/api/recordings/${id}/audio`)).status, 404);
    }
    assert.equal(media.requests.size, before);
    assert.ok(service.logger.lines.some((l) => l.message.startsWith('media webhook refused') && l.details?.host === 'evil.example.com'));
  });

  test('deleting a recording removes its file and its row, and is in the audit log without the caller\'s number', async () => {
    const caller = '447700900127';
    const call = await routeCall(service.url, { trackingNumber: RECORDED_NUMBER, caller });
    const recordingId = randomUUID();
    const url = media.add(recordingId, { body: audio, contentType: 'audio/wav' });
    assert.equal((await postRecording(recordingWebhook(call.conversationUuid, url, recordingId))).status, 204);
    await waitForStored(call.uuid, 1);
    assert.equal((await admin(`/api/recordings/${recordingId}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual((await callDetail(call.uuid)).recordings, []);
    assert.ok(!readdirSync(recordingsDir).includes(`${recordingId}.wav`));
    assert.equal((await admin(`/api/recordings/${recordingId}`, { method: 'DELETE' })).status, 404);

    const { entries } = await (await admin('/api/audit')).json() as { entries: { actor: string; action: string; target: string; details: unknown }[] };
    const deletions = entries.filter((e) => e.action === 'recording.deleted');
    assert.deepEqual(deletions.map(({ actor, target, details }) => ({ actor, target, details })), [{
      actor: 'admin-token', target: recordingId, details: { kind: 'call', conversationUuid: call.conversationUuid, withTranscript: false },
    }], 'once: the second DELETE found nothing');
    assert.ok(!JSON.stringify(entries).includes(caller.slice(-6)), "the caller's number is not in the audit log");
  });

  test('a caller erased while their recording downloads leaves no file of it behind', async () => {
    const caller = '447700900131';
    const call = await routeCall(service.url, { trackingNumber: RECORDED_NUMBER, caller });
    const recordingId = randomUUID();
    let release!: () => void;
    const heldUntil = new Promise<void>((resolve) => {
      release = resolve;
    });
    const url = media.add(recordingId, { body: audio, contentType: 'audio/wav', heldUntil });
    assert.equal((await postRecording(recordingWebhook(call.conversationUuid, url, recordingId))).status, 204);
    for (let i = 0; i < 600 && media.requests.get(recordingId) !== 1; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(media.requests.get(recordingId), 1, 'the download is in flight');

    const erased = await admin(`/api/callers/${caller}`, { method: 'DELETE' });
    assert.deepEqual(await erased.json(), { erasedCalls: 1, erasedRecordings: 1 });
    release();
    // The worker's last word on this download: what it did with the file it fetched.
    const logged = () => service.logger.lines.some((l) => l.details?.id === recordingId);
    for (let i = 0; i < 600 && !logged(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(logged(), 'the download ended');
    assert.deepEqual(readdirSync(recordingsDir).filter((name) => name.startsWith(recordingId)), [], "the caller's voice is not left on disk");
  });

  test('a recording webhook while the database is write-locked is answered from the spool, then stored and downloaded', async () => {
    const call = await routeCall(service.url, { trackingNumber: RECORDED_NUMBER, caller: '447700900129' });
    const recordingId = randomUUID();
    const url = media.add(recordingId, { body: audio, contentType: 'audio/wav' });
    const other = new Database(join(dir, 'calls.db'));
    other.exec('BEGIN IMMEDIATE');
    try {
      const res = await postRecording(recordingWebhook(call.conversationUuid, url, recordingId));
      assert.equal(res.status, 204);
      assert.ok(service.logger.lines.some((l) => l.message.startsWith('media spooled') && l.details?.uuid === recordingId));
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await waitForStored(call.uuid, 1);
    assert.deepEqual(readFileSync(join(recordingsDir, `${recordingId}.wav`)), audio);
  });

  test('a transcribed recording\'s transcript is fetched with the JWT and served with the call', async () => {
    await setNumber('442079460143', { route: { record: { notice: 'We record and transcribe calls.' }, transcription: { language: 'en-GB' } } });
    const call = await routeCall(service.url, { trackingNumber: '442079460143', caller: '447700900128' });
    const record = call.nccos[0]![1] as RecordAction;
    assert.deepEqual(record.transcription, { language: 'en-GB', eventUrl: [`${PUBLIC_URL}/transcription`], eventMethod: 'POST' });
    const recordingId = randomUUID();
    const transcriptFile = `transcript-${recordingId}`;
    const transcript = Buffer.from(JSON.stringify({ channels: [{ transcript: [{ sentence: 'hello' }] }] }));
    await postRecording(recordingWebhook(call.conversationUuid, media.add(recordingId, { body: audio, contentType: 'audio/wav' }), recordingId));
    const res = await fetch(`${service.url}/transcription`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        conversation_uuid: call.conversationUuid, recording_uuid: recordingId, type: 'transcription', status: 'transcribed',
        transcription_url: media.add(transcriptFile, { body: transcript, contentType: 'application/json', failFirst: 1 }),
      }),
    });
    assert.equal(res.status, 204);
    let detail = await waitForStored(call.uuid, 1);
    for (let i = 0; i < 100 && (detail as unknown as { recordings: { transcript: { url: string | null } | null }[] }).recordings[0]?.transcript?.url == null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      detail = await callDetail(call.uuid);
    }
    const url = (detail as unknown as { recordings: { transcript: { url: string } }[] }).recordings[0]!.transcript.url;
    assert.equal(url, `/api/recordings/${recordingId}/transcript`);
    const served = await admin(url);
    assert.match(served.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(Buffer.from(await served.arrayBuffer()), transcript);
  });

  describe('in Chromium', () => {
    let browser: Browser;
    before(async () => {
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
    });

    test('the dashboard plays a recording and a voicemail: the audio loads, its duration matches, seeking fetches a byte range', async () => {
      const context = await browser.newContext({ httpCredentials: { username: 'marketing', password: ADMIN_TOKEN } });
      const page = await context.newPage();
      const problems = watchPageProblems(page);
      const ranges: string[] = [];
      page.on('request', (request) => {
        const range = request.headers().range;
        if (request.url().includes('/audio') && range) ranges.push(range);
      });
      await page.goto(`${service.url}/dashboard`);
      await page.waitForSelector('main[data-status="ready"][aria-busy="false"]');
      assert.deepEqual(problems, { consoleErrors: [], failedRequests: [] });
      await page.waitForSelector('#calls-table audio.player-call');
      await page.waitForSelector('#calls-table .badge-voicemail');
      assert.ok(await page.locator('#calls-table audio.player-voicemail').count() >= 1);
      const result = await page.locator('#calls-table audio.player-call').first().evaluate(async (element) => {
        const player = element as HTMLAudioElement;
        if (player.readyState < 1) await new Promise((resolve) => player.addEventListener('loadedmetadata', resolve, { once: true }));
        const duration = player.duration;
        const seeked = new Promise((resolve) => player.addEventListener('seeked', resolve, { once: true }));
        player.currentTime = duration - 0.5;
        await seeked;
        return { duration, currentTime: player.currentTime, error: player.error?.code ?? null };
      });
      assert.equal(result.error, null);
      assert.ok(Math.abs(result.duration - AUDIO_SECONDS) < 0.05, `duration ${result.duration}`);
      assert.ok(Math.abs(result.currentTime - (AUDIO_SECONDS - 0.5)) < 0.05, `seeked to ${result.currentTime}`);
      assert.ok(ranges.length > 0, 'the player asked for byte ranges');
      assert.deepEqual(problems.consoleErrors, []);
      await context.close();
    });
  });

  test('recordings past RECORDING_RETENTION_DAYS are deleted, files and rows', async () => {
    const [stored] = await service.store.media.listMediaOf([recorded.conversationUuid]);
    assert.ok(stored?.fileKey);
    const files = await LocalMediaFiles.open(recordingsDir, service.logger);
    const later = new Date(stored.receivedAt.getTime() + 31 * 86_400_000);
    const retention = new MediaRetention(service.store.media, files, 30, service.logger, () => later);
    assert.ok((await retention.sweep()) >= 1);
    assert.equal(await service.store.media.findMedia(recorded.recordingId), null);
    assert.ok(!readdirSync(recordingsDir).includes(stored.fileKey));
    assert.equal((await admin(`/api/recordings/${recorded.recordingId}/audio`)).status, 404);
  });

});

describe('which hosts get the recording JWT', () => {
  const strict = { allowLoopback: false };
  test('Vonage\'s hosts over https only', () => {
    for (const url of ['https://api.nexmo.com/v1/files/x', 'https://api-us-1.nexmo.com/v1/files/x', 'https://api.eu-west-1.vonage.com/v1/files/x']) {
      assert.ok(allowedMediaUrl(url, strict), url);
    }
    for (const url of [
      'http://api.nexmo.com/v1/files/x', 'https://nexmo.com.evil.example/x', 'https://evilnexmo.com/x', 'https://api.nexmo.com:8443/x',
      'https://user:pw@api.nexmo.com/x', 'https://127.0.0.1/x', 'http://127.0.0.1:9000/v1/files/x', 'not a url', 'https://vonage.com.evil/x',
    ]) {
      assert.equal(allowedMediaUrl(url, strict), null, url);
    }
  });

  test('loopback only with the test setting, which production refuses', () => {
    assert.ok(allowedMediaUrl('http://127.0.0.1:9000/v1/files/x', { allowLoopback: true }));
    assert.equal(allowedMediaUrl('http://localhost.evil.example/x', { allowLoopback: true }), null);
    const env = { PROXY_TO_NUMBER: BUSINESS_PHONE, RECORDINGS_TEST_ALLOW_LOOPBACK: 'true' };
    assert.equal(loadConfig(env).recordingsAllowLoopback, true);
    assert.throws(() => loadConfig({ ...env, NODE_ENV: 'production' }), (error: unknown) => error instanceof ConfigError && /production/.test(error.message));
  });
});

describe('recording webhooks are signed like the others', () => {
  test('an unsigned recording webhook is refused when webhooks are signed; a signed one is kept', async () => {
    const signed = await startTestService({ VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET });
    try {
      const body = JSON.stringify({
        recording_url: 'https://api.nexmo.com/v1/files/abc', recording_uuid: randomUUID(), conversation_uuid: 'CON-signed', size: 10,
        start_time: new Date().toISOString(), end_time: new Date().toISOString(),
      });
      const post = (headers: Record<string, string>) => fetch(`${signed.url}/recording`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      assert.equal((await post({})).status, 401);
      assert.deepEqual(await signed.store.media.listMediaOf(['CON-signed']), []);
      assert.equal((await post(bearer(signedToken({ body })))).status, 204);
      assert.equal((await signed.store.media.listMediaOf(['CON-signed'])).length, 1);
    } finally {
      await signed.stop();
    }
  });

  test('a private key that cannot be read stops start-up with a message naming VONAGE_PRIVATE_KEY', async () => {
    await assert.rejects(
      startTestService({ VONAGE_APPLICATION_ID: APPLICATION_ID, VONAGE_PRIVATE_KEY: join(tmpdir(), `missing-${randomUUID()}.key`) }),
      /VONAGE_PRIVATE_KEY .*no such file/,
    );
  });
});
