// Proves that the parameters of a URL we hand Vonage (a leg's route progress, the number a whisper
// is for) were written by one of our instances. Vonage signs a webhook's body but neither its path
// nor its query, so without this a signed request replayed to another instance could carry any.
// The key is derived from VONAGE_SIGNATURE_SECRET: every instance already shares it (they all
// verify the same account's webhooks), so instances behind one database agree with no new
// setting. Without the secret nothing is signed, and nothing here could be proved either.

import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** The query parameter that carries the MAC. */
export const MAC_PARAMETER = 'mac';

/** What the parameters are for: a MAC made for one purpose proves nothing for the other. */
export type CallbackPurpose = 'route-progress' | 'whisper';

export interface CallbackMac {
  /** The MAC to put beside these values in a URL (base64url), or null without a key. */
  sign(purpose: CallbackPurpose, values: readonly string[]): string | null;
  /** Whether `presented` is the MAC of these values; without a key anything is taken as it comes. */
  verifies(purpose: CallbackPurpose, values: readonly string[], presented: unknown): boolean;
}

const KEY_INFO = 'call-tracker callback parameters v1';

export function callbackMac(signatureSecret: string | null): CallbackMac {
  if (signatureSecret === null) return { sign: () => null, verifies: () => true };
  // A key of its own, so that nothing signed here could ever pass as a webhook token or the reverse.
  const key = Buffer.from(hkdfSync('sha256', signatureSecret, '', KEY_INFO, 32));
  const macOf = (purpose: CallbackPurpose, values: readonly string[]) =>
    createHmac('sha256', key).update(JSON.stringify([purpose, ...values])).digest('base64url');
  return {
    sign: macOf,
    verifies: (purpose, values, presented) => {
      if (typeof presented !== 'string') return false;
      // Compared as text: base64url decoding would let other spellings of the same bytes pass.
      const expected = Buffer.from(macOf(purpose, values), 'utf8');
      const given = Buffer.from(presented, 'utf8');
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
