// IANA time zones: which names are real, what a wall clock in a zone shows at an instant, the
// zone's UTC offset, where a local day starts, the instant a wall clock reads a time, and the
// spans of constant offset within a range of report slots. Intl (with Node's full ICU data) holds
// the zone rules, so daylight saving changes are its job.
//
// Every zone's offset has been a whole number of 15 minutes since 1980 (Intl's data, checked at
// 6-hour steps for 1970–2040: only Africa/Monrovia to 1972 and Pacific/Kiritimati to 1979 were
// not), and offsets change at local wall times on such a boundary; so local days and hours are
// whole runs of 15-minute UTC slots, which is what lets the reports sum them exactly.

import { SLOT_MS } from './report-figures.js';

const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True for an IANA zone name such as "Europe/London" or "UTC"; false for offsets and inventions. */
export function isTimeZone(name: string): boolean {
  // Intl accepts offsets such as "+01:00" in newer Node versions; those have no daylight saving
  // rules and are not zone names.
  if (!/^[A-Za-z][A-Za-z0-9_+/-]*$/.test(name)) return false;
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}

export type Weekday = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';
export const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** A wall clock's reading: the local date (YYYY-MM-DD), weekday and time of day (HH:MM, 24 h). */
export interface WallClock {
  date: string;
  weekday: Weekday;
  time: string;
}

/** What a clock in `timeZone` shows at `instant`. The zone must have passed isTimeZone. */
export function wallClock(instant: Date, timeZone: string): WallClock {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) parts[part.type] = part.value;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: parts.weekday!.toLowerCase().slice(0, 3) as Weekday,
    time: `${parts.hour}:${parts.minute}`,
  };
}

/** Intl's list, by lower case. It holds some zones under older names (Asia/Calcutta, not Kolkata). */
const ZONE_NAMES = new Map([...Intl.supportedValuesOf('timeZone'), 'UTC'].map((zone) => [zone.toLowerCase(), zone]));

/**
 * `name` when it is a zone Node knows (any case; spelt as Intl lists it when it lists it, so
 * america/new_york reads America/New_York, while Asia/Kolkata stays as given); else null.
 */
export function canonicalTimeZone(name: string): string | null {
  if (name.length > 64 || !isTimeZone(name)) return null;
  return ZONE_NAMES.get(name.toLowerCase()) ?? name;
}

/**
 * Local wall time minus UTC at `ms`, in milliseconds, as a whole number of 15-minute slots (the
 * pre-1980 offsets that were not are rounded down; no call is that old).
 */
export function offsetAt(zone: string, ms: number): number {
  if (zone === 'UTC') return 0;
  const parts: Record<string, string> = {};
  for (const part of formatterFor(zone).formatToParts(ms)) parts[part.type] = part.value;
  const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
  const offset = local - Math.floor(ms / MINUTE_MS) * MINUTE_MS;
  return Math.floor(offset / SLOT_MS) * SLOT_MS;
}

/** The local calendar day at `ms`, YYYY-MM-DD. */
export function localDay(zone: string, ms: number): string {
  return new Date(ms + offsetAt(zone, ms)).toISOString().slice(0, 10);
}

/**
 * The first instant of the local day `day` (YYYY-MM-DD): local midnight, or where the day begins
 * when a DST change skips midnight. Offsets are within ±14 h, so the day starts within 15 h of
 * its UTC midnight; the search runs over 15-minute slots, on which every offset change falls.
 */
export function startOfLocalDay(zone: string, day: string): Date {
  const utcMidnight = Date.parse(`${day}T00:00:00Z`);
  let low = utcMidnight / SLOT_MS - 60;
  let high = utcMidnight / SLOT_MS + 60;
  // The first slot whose local day is `day` or later.
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (localDay(zone, middle * SLOT_MS) >= day) high = middle;
    else low = middle + 1;
  }
  return new Date(low * SLOT_MS);
}

/**
 * The instant a clock in `zone` reads the wall time `wallMs` (the reading written as if it were
 * UTC). A reading that comes twice (clocks going back) is its first; one that is skipped (clocks
 * going forward) is read with the offset before the change, as Date reads the host's local times.
 * An offset changes at most once within a day of any instant.
 */
export function instantOfWallTime(zone: string, wallMs: number): Date {
  const earlier = wallMs - offsetAt(zone, wallMs - DAY_MS);
  const later = wallMs - offsetAt(zone, wallMs + DAY_MS);
  const reads = (ms: number) => ms + offsetAt(zone, ms) === wallMs;
  const first = [Math.min(earlier, later), Math.max(earlier, later)].find(reads);
  return new Date(first ?? earlier);
}

/** A run of slots [fromSlot, toSlot) over which the zone's offset is `offsetSlots`. */
export interface OffsetSpan {
  fromSlot: number;
  toSlot: number;
  offsetSlots: number;
}

const offsetSlotsAt = (zone: string, slot: number) => offsetAt(zone, slot * SLOT_MS) / SLOT_MS;

/**
 * Splits [fromSlot, toSlot) where the zone's offset changes. Offsets are sampled every 6 hours
 * (no zone changes twice within that) and each change is then found to the slot.
 */
export function offsetSpans(zone: string, fromSlot: number, toSlot: number): OffsetSpan[] {
  if (fromSlot >= toSlot) return [];
  if (zone === 'UTC') return [{ fromSlot, toSlot, offsetSlots: 0 }];
  const STEP = 24;
  const spans: OffsetSpan[] = [];
  let start = fromSlot;
  let offset = offsetSlotsAt(zone, fromSlot);
  for (let probe = fromSlot + STEP; ; probe += STEP) {
    const end = Math.min(probe, toSlot);
    const offsetThere = offsetSlotsAt(zone, end - 1);
    if (offsetThere !== offset) {
      // The first slot in [end - STEP, end) with the new offset.
      let low = Math.max(start, end - STEP);
      let high = end - 1;
      while (low < high) {
        const middle = Math.floor((low + high) / 2);
        if (offsetSlotsAt(zone, middle) === offset) low = middle + 1;
        else high = middle;
      }
      spans.push({ fromSlot: start, toSlot: low, offsetSlots: offset });
      start = low;
      offset = offsetSlotsAt(zone, low);
    }
    if (end >= toSlot) break;
  }
  spans.push({ fromSlot: start, toSlot, offsetSlots: offset });
  return spans;
}
