import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import { configWarnings } from '../src/config-warnings.js';
import { normalisePhoneNumber, parseCallerId } from '../src/domain/phone.js';

const base = { PROXY_TO_NUMBER: '447700900000' };

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    return error.message;
  }
  assert.fail('the configuration was accepted');
}

describe('configuration', () => {
  test('defaults: port 5000, SQLite under ./data, admin routes closed, webhooks unverified', () => {
    const config = loadConfig(base);
    assert.equal(config.port, 5000);
    assert.deepEqual(config.database, { kind: 'sqlite', path: './data/call-tracker.db' });
    assert.equal(config.adminToken, null);
    assert.equal(config.signatureSecret, null);
    assert.equal(config.qualifiedCallSeconds, 60);
    assert.equal(config.spoolMaxBytes, 1024 ** 3);
    assert.ok(Object.isFrozen(config));
  });

  test('outgoing webhooks refuse private targets and calls are kept for ever unless told otherwise', () => {
    const config = loadConfig(base);
    assert.equal(config.webhookAllowPrivate, false);
    assert.equal(config.callRetentionDays, null);
    const set = loadConfig({ ...base, WEBHOOK_ALLOW_PRIVATE: 'true', CALL_RETENTION_DAYS: '365' });
    assert.equal(set.webhookAllowPrivate, true);
    assert.equal(set.callRetentionDays, 365);
    assert.match(refusal({ ...base, WEBHOOK_ALLOW_PRIVATE: 'yes' }), /^WEBHOOK_ALLOW_PRIVATE must be true or false/);
    assert.match(refusal({ ...base, CALL_RETENTION_DAYS: '0' }), /^CALL_RETENTION_DAYS must be a whole number from 1 to 36500/);
    assert.match(refusal({ ...base, CALL_RETENTION_DAYS: 'a year' }), /^CALL_RETENTION_DAYS must be a whole number/);
  });

  test('phone numbers written as a person would are normalised to E.164 digits', () => {
    for (const written of ['+44 7700 900000', '0044 7700 900000', '+44-7700-900000', '(44) 7700 900000', '447700900000']) {
      assert.equal(loadConfig({ PROXY_TO_NUMBER: written }).proxyToNumber, '447700900000', written);
    }
  });

  test('a missing PROXY_TO_NUMBER is named with how to fix it', () => {
    assert.match(refusal({}), /^PROXY_TO_NUMBER is missing: set it to the business phone/);
    assert.match(refusal({ PROXY_TO_NUMBER: '  ' }), /^PROXY_TO_NUMBER is missing/);
  });

  test('values that are not what they should be are refused, naming the variable', () => {
    assert.match(refusal({ PROXY_TO_NUMBER: 'call me maybe' }), /PROXY_TO_NUMBER .* is not a phone number/);
    assert.match(refusal({ PROXY_TO_NUMBER: '12345' }), /PROXY_TO_NUMBER/);
    assert.match(refusal({ ...base, PORT: 'eighty' }), /PORT must be a whole number/);
    assert.match(refusal({ ...base, PORT: '70000' }), /PORT must be a whole number from 0 to 65535/);
    assert.match(refusal({ ...base, QUALIFIED_CALL_SECONDS: '1.5' }), /QUALIFIED_CALL_SECONDS/);
    assert.match(refusal({ ...base, ADMIN_TOKEN: 'short' }), /ADMIN_TOKEN must be at least 16 characters/);
    assert.match(refusal({ ...base, DATABASE_URL: 'mysql://db/calls' }), /DATABASE_URL must be sqlite:/);
    assert.match(refusal({ ...base, DATABASE_URL: 'postgres://' }), /DATABASE_URL is not a valid PostgreSQL URL/);
    assert.match(refusal({ ...base, PUBLIC_URL: 'abc123.ngrok.app' }), /PUBLIC_URL must be an http\(s\) URL/);
    // The server appends its paths (/event, /whisper/…): a query or fragment would swallow them.
    assert.match(refusal({ ...base, PUBLIC_URL: 'https://abc123.ngrok.app?via=proxy' }), /PUBLIC_URL must be an http\(s\) URL .*without a query/);
    assert.match(refusal({ ...base, PUBLIC_URL: 'https://abc123.ngrok.app/#calls' }), /PUBLIC_URL must be an http\(s\) URL .*without a query/);
    assert.match(refusal({ ...base, SPOOL_MAX_BYTES: '100' }), /SPOOL_MAX_BYTES must be a whole number from 4096/);
    assert.match(refusal({ ...base, SPOOL_MAX_BYTES: '1GB' }), /SPOOL_MAX_BYTES/);
  });

  test('in production, unsigned webhooks stop start-up unless explicitly allowed', () => {
    const production = { ...base, NODE_ENV: 'production' };
    assert.match(refusal(production), /VONAGE_SIGNATURE_SECRET is not set and NODE_ENV=production: set it to .*, or set ALLOW_UNSIGNED_WEBHOOKS=true/);
    assert.equal(loadConfig({ ...production, VONAGE_SIGNATURE_SECRET: 'secret' }).signatureSecret, 'secret');
    assert.equal(loadConfig({ ...production, ALLOW_UNSIGNED_WEBHOOKS: 'true' }).signatureSecret, null);
    assert.match(refusal({ ...production, ALLOW_UNSIGNED_WEBHOOKS: 'false' }), /VONAGE_SIGNATURE_SECRET is not set/);
    assert.match(refusal({ ...base, ALLOW_UNSIGNED_WEBHOOKS: 'yes' }), /ALLOW_UNSIGNED_WEBHOOKS must be true or false/);
    assert.equal(loadConfig({ ...base, NODE_ENV: 'development' }).signatureSecret, null, 'development runs unsigned, with a warning');
  });

  test('the server listens on loopback unless HOST says otherwise', () => {
    assert.equal(loadConfig(base).host, '127.0.0.1');
    assert.equal(loadConfig({ ...base, HOST: '0.0.0.0' }).host, '0.0.0.0');
    assert.equal(loadConfig({ ...base, HOST: '::' }).host, '::');
    assert.match(refusal({ ...base, HOST: 'http://0.0.0.0/' }), /HOST must be an address or host name/);
  });

  test('DATABASE_URL names one of the three stores', () => {
    assert.deepEqual(loadConfig({ ...base, DATABASE_URL: 'memory:' }).database, { kind: 'memory' });
    assert.deepEqual(loadConfig({ ...base, DATABASE_URL: 'sqlite:/var/lib/ct/calls.db' }).database, { kind: 'sqlite', path: '/var/lib/ct/calls.db' });
    assert.deepEqual(loadConfig({ ...base, DATABASE_URL: 'postgresql://ct:pw@db:5432/calls' }).database, {
      kind: 'postgres', url: 'postgresql://ct:pw@db:5432/calls',
    });
  });
});

describe('configuration problems', () => {
  test('every wrong variable is named at once, one line each', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://db/calls', ADMIN_TOKEN: 'short', PUBLIC_URL: 'abc123.ngrok.app' });
      assert.fail('the configuration was accepted');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      const problems = [...error.problems].sort();
      assert.equal(problems.length, 5, problems.join('\n'));
      assert.match(problems[0]!, /^ADMIN_TOKEN must be at least 16 characters/);
      assert.match(problems[1]!, /^DATABASE_URL must be sqlite:/);
      assert.match(problems[2]!, /^PORT must be a whole number/);
      assert.match(problems[3]!, /^PROXY_TO_NUMBER is missing/);
      assert.match(problems[4]!, /^PUBLIC_URL must be an http\(s\) URL/);
      assert.equal(error.message, error.problems.join('\n'));
    }
  });

  test('a variable that looks like a misspelling of one of ours gets a warning naming the right one', () => {
    const env = { PROXY_TO_NUMBER: '14155550100', ADMIN_TOKN: 'x'.repeat(20), VONAGE_SIGNATURE_SECRT: 's', PORTT: '80', VONAGE_API_KEYS: 'k' };
    assert.deepEqual(configWarnings(env, loadConfig(env)), [
      'ADMIN_TOKN is not a call-tracker setting and is ignored: did you mean ADMIN_TOKEN?',
      'PORTT is not a call-tracker setting and is ignored: did you mean PORT?',
      'VONAGE_API_KEYS is not a call-tracker setting and is ignored: did you mean VONAGE_API_KEY?',
      'VONAGE_SIGNATURE_SECRT is not a call-tracker setting and is ignored: did you mean VONAGE_SIGNATURE_SECRET?',
    ]);
  });

  test('the machine\'s own variables and correctly spelt ones get no warning', () => {
    const env = {
      PROXY_TO_NUMBER: '14155550100', PATH: '/usr/bin', HOME: '/root', HOSTNAME: 'box', PWD: '/srv', TERM: 'xterm', NODE_ENV: 'development',
      ADMIN_TOKEN: 'x'.repeat(20), VONAGE_APPLICATION_ID: 'app', npm_config_cache: '/tmp', LANG: 'C',
    };
    assert.deepEqual(configWarnings(env, loadConfig(env)), []);
  });

  test('the example\'s fictional forwarding number gets a warning', () => {
    const env = { PROXY_TO_NUMBER: '+44 7700 900000' };
    const [warning, ...rest] = configWarnings(env, loadConfig(env));
    assert.match(warning ?? '', /^PROXY_TO_NUMBER 447700900000 is the example's fictional number/);
    assert.deepEqual(rest, []);
  });
});

describe('phone numbers', () => {
  test('numbers that cannot be dialled are not normalised', () => {
    for (const written of ['', '+', '0800 123 4567', '1234567890123456', '44 7700 900000 ext 5', '+44 7700 9000a0']) {
      assert.equal(normalisePhoneNumber(written), null, written);
    }
  });

  test('caller IDs that are withheld or malformed become an unknown caller', () => {
    for (const raw of [undefined, '', 'Unknown', 'Restricted', 'anonymous', '+', '12', '4477009000001234567']) {
      assert.equal(parseCallerId(raw), null, String(raw));
    }
    assert.equal(parseCallerId('447700900111'), '447700900111');
    assert.equal(parseCallerId('+14155550100'), '14155550100');
  });
});
