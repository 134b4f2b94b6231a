// `npm run setup` against a fake Vonage API and a fake ngrok agent on loopback: what it sends
// (Basic auth, bodies, an update that keeps every field it did not mean to change), what it
// writes (private.key 0600, .env, tracking numbers), what it prints, and how it fails.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { FAKE_PRIVATE_KEY, FakeNgrok, FakeVonage, type FakeApplication } from './helpers/fake-vonage.js';
import { MemoryLogger } from './helpers/memory-logger.js';
import { freePort } from './helpers/server-process.js';
import { startTestService, type TestService } from './helpers/service.js';

const CLI = fileURLToPath(new URL('../src/cli/setup.ts', import.meta.url));
const API_KEY = 'abcd1234';
const API_SECRET = 'Sup3rS3cretValue';
const SIGNATURE_SECRET = 'signature-secret-0123456789';
const NGROK_ADDRESS = 'https://abc123.ngrok.app';
const APP_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

let vonage: FakeVonage;
let ngrok: FakeNgrok;
let dir: string;

function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    VONAGE_API_KEY: API_KEY,
    VONAGE_API_SECRET: API_SECRET,
    VONAGE_API_HOST: vonage.url,
    VONAGE_REST_HOST: vonage.url,
    NGROK_API_URL: ngrok.url,
    DATABASE_URL: `sqlite:${join(dir, 'calls.db')}`,
    ...extra,
  };
}

function startCli(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<CliRun>; stdout: () => string } {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliRun>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done, stdout: () => stdout };
}

function runCli(args: string[], env: Record<string, string> = cliEnv()): Promise<CliRun> {
  return startCli(args, env).done;
}

/** Asserts a failure: exit 1 and exactly one line, `setup: …`, on stderr. */
function assertOneLineFailure(run: CliRun, pattern: RegExp): void {
  assert.equal(run.code, 1, `exit code 1:\n${run.stdout}\n${run.stderr}`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr:\n${run.stderr}`);
  assert.match(lines[0]!, /^setup: /);
  assert.match(lines[0]!, pattern);
}

function assertNoSecrets(run: CliRun): void {
  for (const secret of [API_SECRET, SIGNATURE_SECRET, 'MIIfakefake', Buffer.from(`${API_KEY}:${API_SECRET}`).toString('base64')]) {
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), `"${secret}" was printed`);
  }
}

/** An application as Vonage keeps it, with much more than this server sets. */
function richApplication(): FakeApplication {
  return {
    id: APP_ID,
    name: 'Shop phones',
    keys: { public_key: '-----BEGIN PUBLIC KEY-----\nMIIBIjANBg\n-----END PUBLIC KEY-----\n' },
    privacy: { improve_ai: false },
    capabilities: {
      voice: {
        webhooks: {
          answer_url: { address: 'https://old.example/answer', http_method: 'GET', connect_timeout: 500, socket_timeout: 3000 },
          event_url: { address: 'https://old.example/events', http_method: 'POST', connect_timeout: 1000, socket_timeout: 5000 },
          fallback_answer_url: { address: 'https://backup.example/track-call', http_method: 'POST', connect_timeout: 300, socket_timeout: 2000 },
        },
        signed_callbacks: false,
        conversations_ttl: 48,
        leg_persistence_time: 7,
        region: 'eu-west',
        payment_enabled: false,
      },
      messages: {
        version: 'v1',
        webhooks: {
          inbound_url: { address: 'https://shop.example/inbound', http_method: 'POST' },
          status_url: { address: 'https://shop.example/status', http_method: 'POST' },
        },
        authenticate_inbound_media: true,
      },
      rtc: { webhooks: { event_url: { address: 'https://shop.example/rtc', http_method: 'POST' } }, signed_callbacks: true },
      vbc: {},
    },
  };
}

function ownedNumbers(count: number): { country: string; msisdn: string; type: string; features: string[] }[] {
  return Array.from({ length: count }, (_, i) => ({ country: 'GB', msisdn: `4477009${String(10000 + i).padStart(5, '0')}`, type: 'mobile-lvn', features: ['VOICE', 'SMS'] }));
}

async function trackingNumbers(): Promise<{ number: string; campaign: string | null }[]> {
  const store = await openSqliteStore(join(dir, 'calls.db'), new MemoryLogger());
  try {
    return (await store.listTrackingNumbers()).map(({ number, campaign }) => ({ number, campaign })).sort((a, b) => a.number.localeCompare(b.number));
  } finally {
    await store.close();
  }
}

before(async () => {
  ngrok = new FakeNgrok();
  await ngrok.start();
});
after(() => ngrok.stop());

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ct-setup-'));
  vonage = new FakeVonage(API_KEY, API_SECRET);
  await vonage.start();
  ngrok.setHttpsAddress(NGROK_ADDRESS);
});
afterEach(async () => {
  await vonage.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('setup', () => {
  test('without an application it creates one with Voice on our webhooks, writes private.key (0600) and the id into .env', async () => {
    writeFileSync(join(dir, '.env'), '# my settings\nPROXY_TO_NUMBER=+1 415 555 0100\nVONAGE_APPLICATION_ID=\nADMIN_TOKEN=keep-this-token-please\n');
    const run = await runCli([], cliEnv({ VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET }));
    assert.equal(run.code, 0, run.stderr);
    const [create] = vonage.changes();
    assert.equal(create?.method, 'POST');
    assert.equal(create.path, '/v2/applications');
    assert.equal(create.authorization, `Basic ${Buffer.from(`${API_KEY}:${API_SECRET}`).toString('base64')}`);
    assert.deepEqual(create.body, {
      name: 'call-tracker',
      capabilities: {
        voice: {
          webhooks: {
            answer_url: { address: `${NGROK_ADDRESS}/track-call`, http_method: 'POST' },
            event_url: { address: `${NGROK_ADDRESS}/event`, http_method: 'POST' },
          },
          signed_callbacks: true,
        },
      },
    });
    const id = [...vonage.applications.keys()][0]!;
    assert.equal(readFileSync(join(dir, 'private.key'), 'utf8'), FAKE_PRIVATE_KEY);
    assert.equal(statSync(join(dir, 'private.key')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(dir, '.env'), 'utf8'),
      `# my settings\nPROXY_TO_NUMBER=+1 415 555 0100\nVONAGE_APPLICATION_ID=${id}\nADMIN_TOKEN=keep-this-token-please\n`);
    assert.match(run.stdout, new RegExp(`created application ${id}`));
    assertNoSecrets(run);
  });

  test('an existing application is pointed at us and keeps every other field (the update replaces it whole)', async () => {
    vonage.applications.set(APP_ID, richApplication());
    const run = await runCli([], cliEnv({ VONAGE_APPLICATION_ID: APP_ID, VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET }));
    assert.equal(run.code, 0, run.stderr);
    const changes = vonage.changes();
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.method, 'PUT');
    assert.equal(changes[0]!.path, `/v2/applications/${APP_ID}`);
    const expected = richApplication() as any;
    expected.capabilities.voice.webhooks.answer_url = { address: `${NGROK_ADDRESS}/track-call`, http_method: 'POST', connect_timeout: 500, socket_timeout: 3000 };
    expected.capabilities.voice.webhooks.event_url = { address: `${NGROK_ADDRESS}/event`, http_method: 'POST', connect_timeout: 1000, socket_timeout: 5000 };
    expected.capabilities.voice.signed_callbacks = true;
    assert.deepEqual(changes[0]!.body, expected);
    assert.match(run.stdout, /update application .*the answer URL is https:\/\/old\.example\/answer, not https:\/\/abc123\.ngrok\.app\/track-call/);
    assertNoSecrets(run);

    const again = await runCli([], cliEnv({ VONAGE_APPLICATION_ID: APP_ID, VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET }));
    assert.equal(again.code, 0);
    assert.equal(vonage.changes().length, 1, 'a second run finds nothing to change');
    assert.match(again.stdout, /already has answer URL https:\/\/abc123\.ngrok\.app\/track-call/);
  });

  test('PUBLIC_URL wins over ngrok, and signing stays as it is without a signature secret', async () => {
    vonage.applications.set(APP_ID, richApplication());
    const run = await runCli([], cliEnv({ VONAGE_APPLICATION_ID: APP_ID, PUBLIC_URL: 'https://calls.shop.example/' }));
    assert.equal(run.code, 0, run.stderr);
    const voice = (vonage.changes()[0]!.body as any).capabilities.voice;
    assert.equal(voice.webhooks.answer_url.address, 'https://calls.shop.example/track-call');
    assert.equal(voice.signed_callbacks, false);
  });

  test('--numbers all lists every page, links the numbers not yet linked and registers them with their campaigns', async () => {
    vonage.applications.set(APP_ID, richApplication());
    vonage.numbers = ownedNumbers(105);
    vonage.numbers[3]!.app_id = APP_ID;
    writeFileSync(join(dir, 'campaigns.csv'), 'number,campaign\n+44 7700 910001,Radio spot\n447700910002,"Flyer, spring"\n');
    const run = await runCli(['--numbers', 'all', '--campaigns-file', 'campaigns.csv', '--campaign', '447700910104=Google Ads'],
      cliEnv({ VONAGE_APPLICATION_ID: APP_ID }));
    assert.equal(run.code, 0, run.stderr);
    const pages = vonage.requests.filter((r) => r.path === '/account/numbers').map((r) => [r.query.get('size'), r.query.get('index')]);
    assert.deepEqual(pages, [['100', '1'], ['100', '2']]);
    const links = vonage.changes().filter((r) => r.path === '/number/update');
    assert.equal(links.length, 104);
    const first = links[0]!;
    assert.equal(first.contentType, 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.fromEntries(first.body as URLSearchParams), { app_id: APP_ID, country: 'GB', msisdn: '447700910000' });
    assert.equal(first.authorization, `Basic ${Buffer.from(`${API_KEY}:${API_SECRET}`).toString('base64')}`);
    assert.ok(!links.some((r) => (r.body as URLSearchParams).get('msisdn') === '447700910003'), 'an already linked number is left alone');
    assert.ok(vonage.numbers.every((n) => n.app_id === APP_ID));
    const registered = await trackingNumbers();
    assert.equal(registered.length, 105);
    assert.deepEqual(registered.filter((n) => n.campaign !== null), [
      { number: '447700910001', campaign: 'Radio spot' },
      { number: '447700910002', campaign: 'Flyer, spring' },
      { number: '447700910104', campaign: 'Google Ads' },
    ]);
  });

  test('--dry-run prints what would change and changes nothing', async () => {
    vonage.applications.set(APP_ID, richApplication());
    vonage.numbers = ownedNumbers(3);
    const run = await runCli(['--dry-run', '--numbers', '447700910001,+44 7700 910002', '--campaign', '447700910002=Radio'], cliEnv({ VONAGE_APPLICATION_ID: APP_ID }));
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(vonage.changes(), []);
    assert.equal(existsSync(join(dir, 'calls.db')), false);
    assert.match(run.stdout, /would update application/);
    assert.match(run.stdout, /would link 447700910001 to the application/);
    assert.match(run.stdout, /would register 447700910002 as a tracking number \(campaign "Radio"\)/);
    assert.match(run.stdout, /dry run: nothing was changed/);

    const creating = await runCli(['--dry-run'], cliEnv());
    assert.equal(creating.code, 0);
    assert.match(creating.stdout, /would create application "call-tracker"/);
    assert.deepEqual(vonage.changes(), []);
    assert.equal(existsSync(join(dir, 'private.key')), false);
    assert.equal(existsSync(join(dir, '.env')), false);
  });

  test('the settings file named on the command line is read, and made when it does not exist yet', async () => {
    // Node itself takes an argument spelt --env-file, wherever it stands, and exits when the file
    // is missing: the option must have another name to reach setup at all.
    const run = await runCli(['--dotenv', 'call-tracker.env'], cliEnv());
    assert.equal(run.code, 0, run.stderr);
    const id = [...vonage.applications.keys()][0]!;
    assert.equal(readFileSync(join(dir, 'call-tracker.env'), 'utf8'), `VONAGE_APPLICATION_ID=${id}\n`);
    assert.equal(existsSync(join(dir, '.env')), false);

    const again = await runCli(['--dotenv', 'call-tracker.env', '--check'], cliEnv());
    assert.doesNotMatch(again.stdout + again.stderr, /VONAGE_APPLICATION_ID is not set|does not exist/, 'the id written there is read back');
    assert.equal(vonage.applications.size, 1);
  });
});

describe('setup failures', () => {
  test('wrong credentials: one line naming them, nothing changed', async () => {
    vonage.applications.set(APP_ID, richApplication());
    const run = await runCli([], cliEnv({ VONAGE_APPLICATION_ID: APP_ID, VONAGE_API_SECRET: 'wrong-secret-value' }));
    assertOneLineFailure(run, /Vonage refused the credentials \(401\) while reading application .*check VONAGE_API_KEY and VONAGE_API_SECRET/);
    assert.deepEqual(vonage.changes(), []);
    assert.ok(!run.stderr.includes('wrong-secret-value'));
  });

  test('an unknown application: one line naming VONAGE_APPLICATION_ID', async () => {
    const run = await runCli([], cliEnv({ VONAGE_APPLICATION_ID: APP_ID }));
    assertOneLineFailure(run, new RegExp(`application ${APP_ID} does not exist on this account \\(404\\): check VONAGE_APPLICATION_ID`));
    assert.deepEqual(vonage.changes(), []);
  });

  test('a number not on the account is refused before anything changes', async () => {
    vonage.applications.set(APP_ID, richApplication());
    vonage.numbers = ownedNumbers(2);
    const run = await runCli(['--numbers', '447700910001,447700999999'], cliEnv({ VONAGE_APPLICATION_ID: APP_ID }));
    assertOneLineFailure(run, /447700999999 is not a number on this Vonage account/);
    assert.deepEqual(vonage.changes(), [], 'not even the application was updated');
  });

  test('no network: one line naming the host', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const run = await runCli([], cliEnv({ VONAGE_APPLICATION_ID: APP_ID, VONAGE_API_HOST: closed }));
    assertOneLineFailure(run, new RegExp(`cannot reach Vonage at ${closed} while reading application .*ECONNREFUSED.*check the network`));
  });

  test('rate limiting is retried with backoff, and reported when it does not end', async () => {
    vonage.applications.set(APP_ID, richApplication());
    vonage.fail('GET /v2/applications/', 429, 2);
    const run = await runCli([], cliEnv({ VONAGE_APPLICATION_ID: APP_ID }));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(vonage.requests.filter((r) => r.method === 'GET').length, 3);
    assert.equal(vonage.changes().length, 1);

    vonage.fail('PUT /v2/applications/', 429, 99, { 'retry-after': '0' });
    vonage.applications.set(APP_ID, richApplication());
    const limited = await runCli([], cliEnv({ VONAGE_APPLICATION_ID: APP_ID }));
    assertOneLineFailure(limited, /Vonage is rate limiting this account \(429\) while updating application .* still after 5 tries/);
    assert.equal(vonage.requests.filter((r) => r.method === 'PUT').length, 1 + 5);
  });

  test('a failure half-way names what was already changed', async () => {
    vonage.applications.set(APP_ID, richApplication());
    vonage.numbers = ownedNumbers(3);
    vonage.refusedLinks.add('447700910001');
    const run = await runCli(['--numbers', 'all'], cliEnv({ VONAGE_APPLICATION_ID: APP_ID }));
    assertOneLineFailure(run, /Vonage refused to link 447700910001 \(420 Number is in a pending state\) \(already done: application .* now has answer URL .*; linked 447700910000 to the application\)/);
  });

  test('an existing private.key is never overwritten: setup stops before creating anything', async () => {
    writeFileSync(join(dir, 'private.key'), 'someone else\'s key');
    const run = await runCli([], cliEnv());
    assertOneLineFailure(run, /private\.key already exists: set VONAGE_APPLICATION_ID/);
    assert.deepEqual(vonage.changes(), []);
    assert.equal(readFileSync(join(dir, 'private.key'), 'utf8'), 'someone else\'s key');
  });

  test('settings are checked first, all at once, and Vonage hosts must be Vonage\'s or on this machine', async () => {
    const run = await runCli([], {
      PATH: process.env.PATH ?? '', VONAGE_API_HOST: 'https://api.attacker.example', NGROK_API_URL: 'http://10.0.0.5:4040/api/tunnels', DEBUG: 'vonage:*',
    });
    assert.equal(run.code, 1);
    const lines = run.stderr.trim().split('\n').sort();
    assert.equal(lines.length, 5, run.stderr);
    assert.match(lines[0]!, /^setup: DEBUG would make Vonage's SDK log the API secret/);
    assert.match(lines[1]!, /^setup: NGROK_API_URL must be an http URL on this machine/);
    assert.match(lines[2]!, /^setup: VONAGE_API_HOST must be an https URL on nexmo\.com or vonage\.com, or a loopback address/);
    assert.match(lines[3]!, /^setup: VONAGE_API_KEY is missing/);
    assert.match(lines[4]!, /^setup: VONAGE_API_SECRET is missing/);
    assert.deepEqual(vonage.requests, []);
  });

  test('--watch is refused with PUBLIC_URL (it follows ngrok) and with --dry-run, before anything changes', async () => {
    vonage.applications.set(APP_ID, richApplication());
    assertOneLineFailure(await runCli(['--watch'], cliEnv({ VONAGE_APPLICATION_ID: APP_ID, PUBLIC_URL: 'https://calls.shop.example' })),
      /--watch follows ngrok's address: unset PUBLIC_URL to use it/);
    assertOneLineFailure(await runCli(['--watch', '--dry-run'], cliEnv({ VONAGE_APPLICATION_ID: APP_ID })), /--watch and --dry-run do not go together/);
    assert.deepEqual(vonage.requests, []);
  });

  test('a misspelt variable is warned about first, so that a new application is no surprise', async () => {
    const run = await runCli(['--dry-run'], cliEnv({ VONAGE_APLICATION_ID: APP_ID }));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, 'setup: warning: VONAGE_APLICATION_ID is not a call-tracker setting and is ignored: did you mean VONAGE_APPLICATION_ID?\n');
    assert.match(run.stdout, /would create application/);
  });

  test('without PUBLIC_URL and without ngrok it says how to get a public address', async () => {
    const run = await runCli([], cliEnv({ VONAGE_APPLICATION_ID: APP_ID, NGROK_API_URL: `http://127.0.0.1:${await freePort()}/api/tunnels` }));
    assertOneLineFailure(run, /no ngrok agent answers at .*: start one \(`ngrok http 5000`\) or set PUBLIC_URL/);
  });
});

describe('setup --check', () => {
  let server: TestService;
  before(async () => {
    server = await startTestService();
  });
  after(() => server.stop());

  test('says all is well when the application, the numbers and the public address are right', async () => {
    vonage.applications.set(APP_ID, richApplication());
    vonage.numbers = ownedNumbers(2);
    const env = cliEnv({ VONAGE_APPLICATION_ID: APP_ID, PUBLIC_URL: server.url, VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET });
    assert.equal((await runCli(['--numbers', 'all'], env)).code, 0);
    const requestsBefore = vonage.changes().length;
    const run = await runCli(['--check'], env);
    assert.equal(run.code, 0, `${run.stdout}${run.stderr}`);
    assert.equal(run.stdout, `all good: 2 numbers reach this server at ${server.url}, signed\n`);
    assert.equal(vonage.changes().length, requestsBefore, 'the doctor changes nothing');
    assertNoSecrets(run);
  });

  test('names each problem on its own line', async () => {
    vonage.applications.set(APP_ID, richApplication());
    vonage.numbers = ownedNumbers(2);
    const env = cliEnv({ VONAGE_APPLICATION_ID: APP_ID, VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET });
    // Registered as a tracking number, never linked:
    const store = await openSqliteStore(join(dir, 'calls.db'), new MemoryLogger());
    await store.saveTrackingNumber({ number: '447700910001', campaign: 'Radio', forwardTo: null, whisper: null, route: null });
    await store.close();
    // A private key that belongs to another application:
    const pem = (pair: ReturnType<typeof generateKeyPairSync>, part: 'publicKey' | 'privateKey') =>
      (pair[part] as import('node:crypto').KeyObject).export({ type: part === 'publicKey' ? 'spki' : 'pkcs8', format: 'pem' }) as string;
    const theirs = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ours = generateKeyPairSync('rsa', { modulusLength: 2048 });
    (vonage.applications.get(APP_ID)!.keys as Record<string, string>).public_key = pem(theirs, 'publicKey');
    writeFileSync(join(dir, 'private.key'), pem(ours, 'privateKey'));
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const run = await runCli(['--check'], { ...env, PUBLIC_URL: unreachable });
    assert.equal(run.code, 1);
    const lines = run.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 3), [
      `the answer URL is https://old.example/answer, not ${unreachable}/track-call`,
      `the event URL is https://old.example/events, not ${unreachable}/event`,
      'signed callbacks are off while VONAGE_SIGNATURE_SECRET is set',
    ]);
    assert.equal(lines[3], `./private.key (VONAGE_PRIVATE_KEY) is not the private key of application ${APP_ID}`);
    assert.match(lines[4]!, /^tracking number 447700910001 is not linked to the application/);
    assert.match(lines[5]!, /^no number is linked to the application/);
    assert.match(lines[6]!, new RegExp(`^the public address ${unreachable} does not reach this server \\(ECONNREFUSED\\)`));
    assert.equal(lines.length, 7, run.stdout);

    // The right key gets no line.
    (vonage.applications.get(APP_ID)!.keys as Record<string, string>).public_key = pem(ours, 'publicKey');
    assert.doesNotMatch((await runCli(['--check'], { ...env, PUBLIC_URL: unreachable })).stdout, /private key/);

    // A server that answers, but not as call-tracker does at its root:
    const wrong = await runCli(['--check'], { ...env, PUBLIC_URL: `${server.url}/elsewhere` });
    assert.match(wrong.stdout, /does not reach this server: GET \/ answered 404, not "Hello Vonage"/);
  });
});

describe('setup --watch', () => {
  test('follows the ngrok address as it changes, and stops on SIGINT', async () => {
    vonage.applications.set(APP_ID, richApplication());
    const cli = startCli(['--watch', '--interval', '1'], cliEnv({ VONAGE_APPLICATION_ID: APP_ID }));
    const waitFor = async (pattern: RegExp) => {
      while (!pattern.test(cli.stdout())) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    await waitFor(/watching/);
    ngrok.setHttpsAddress('https://def456.ngrok.app');
    await waitFor(/ngrok address is now https:\/\/def456\.ngrok\.app/);
    const answer = (vonage.applications.get(APP_ID) as any).capabilities.voice.webhooks.answer_url;
    assert.deepEqual(answer, { address: 'https://def456.ngrok.app/track-call', http_method: 'POST', connect_timeout: 500, socket_timeout: 3000 });
    assert.equal((vonage.applications.get(APP_ID) as any).capabilities.messages.webhooks.inbound_url.address, 'https://shop.example/inbound');

    ngrok.tunnels = [];
    await waitFor(/waiting: the ngrok agent at .* has no https tunnel/);
    cli.child.kill('SIGINT');
    const run = await cli.done;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /stopped watching\n$/);
    assert.equal(vonage.changes().length, 2, 'one update at start, one for the new address');
  });
});
