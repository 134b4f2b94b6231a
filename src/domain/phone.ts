// Phone numbers as this server keeps them: E.164 digits without "+", the form Vonage sends and
// the only form the NCCO schema accepts.

/** E.164 allows at most 15 digits; the NCCO schema wants at least 10 for a phone endpoint. */
const MIN_DIALLABLE_DIGITS = 10;
const MAX_E164_DIGITS = 15;
/** Short codes and some national caller IDs are shorter than an NCCO endpoint needs. */
const MIN_CALLER_DIGITS = 3;

/**
 * Normalises a number written as a person would ("+44 7700 900000", "0044-7700-900000",
 * "(1) 555 0100") to E.164 digits, or returns null when it is not a dialable number.
 */
export function normalisePhoneNumber(written: string): string | null {
  const trimmed = written.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) return null;
  let digits = trimmed.replace(/\D/g, '');
  if (!trimmed.startsWith('+') && digits.startsWith('00')) digits = digits.slice(2);
  if (digits.length < MIN_DIALLABLE_DIGITS || digits.length > MAX_E164_DIGITS) return null;
  if (digits.startsWith('0')) return null; // a country code never starts with 0
  return digits;
}

/**
 * Reads the caller ID of an inbound call. Carriers send withheld or malformed ones ("Unknown",
 * "Restricted", "", "+"): those are recorded as an unknown caller (null), never an error.
 */
export function parseCallerId(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const digits = raw.trim().replace(/^\+/, '');
  if (!/^\d+$/.test(digits)) return null;
  if (digits.length < MIN_CALLER_DIGITS || digits.length > MAX_E164_DIGITS) return null;
  return digits;
}

/** Reads a tracking number (the `to` of an inbound call): Vonage's own numbers, E.164 digits. */
export function parseTrackingNumber(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const digits = raw.trim().replace(/^\+/, '');
  if (!/^\d{1,15}$/.test(digits)) return null;
  return digits;
}

/** Hides all but the last three digits, for pages that show callers to people. */
export function maskPhoneNumber(digits: string): string;
export function maskPhoneNumber(digits: string | null): string | null;
export function maskPhoneNumber(digits: string | null): string | null {
  if (digits === null) return null;
  const visible = Math.min(3, digits.length);
  return '•'.repeat(digits.length - visible) + digits.slice(digits.length - visible);
}
