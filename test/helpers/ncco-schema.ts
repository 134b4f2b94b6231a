// Checks NCCOs against Vonage's official NCCO schema (test/fixtures/ncco-schema.json, MIT).

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
