// Checks NCCOs against Vonage's official NCCO schema (test/fixtures/ncco-schema.json, MIT), and
// fetches the NCCOs tests receive through that check.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import AjvDraft04 from 'ajv-draft-04';

// The package is CommonJS; under NodeNext its class sits on `default`.
const Ajv = AjvDraft04.default;

const schema = JSON.parse(readFileSync(new URL('../fixtures/ncco-schema.json', import.meta.url), 'utf8'));
// The schema uses "format": "uri" without defining formats; unknown formats are not enforced.
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const validate = ajv.compile(schema);

export function assertValidNcco(ncco: unknown): void {
  const valid = validate(ncco);
  assert.ok(valid, `NCCO fails Vonage's schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(ncco)}`);
}

/** An NCCO as a test reads it: the fields are looked at, not typed. */
export type ReceivedNcco = any[];

/**
 * Sends a webhook that must answer an NCCO (answer, whisper): asserts a 200 with a JSON body that
 * passes Vonage's schema, and returns the NCCO. Every test that receives an NCCO goes through here.
 */
export async function fetchNcco(url: string, init?: RequestInit): Promise<ReceivedNcco> {
  const res = await fetch(url, init);
  const body = await res.text();
  assert.equal(res.status, 200, `${init?.method ?? 'GET'} ${new URL(url).pathname} answered ${res.status}: ${body.slice(0, 200)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const ncco: unknown = JSON.parse(body);
  assertValidNcco(ncco);
  return ncco as ReceivedNcco;
}
