// IANA time zones: which names are real, and what a wall clock in a zone shows at an instant.
// Intl (with Node's full ICU data) holds the zone rules, so daylight saving changes are its job.

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
