// When a tracking number is open: weekly hours in the business's own time zone, and closed dates.
// Times are compared as the wall clock reads them, so daylight saving changes need no arithmetic.

import { wallClock, type Weekday } from './time-zone.js';

/** From `from` up to (not including) `to`, each "HH:MM" on a 24-hour clock; `to` may be "24:00". */
export interface TimeSpan {
  from: string;
  to: string;
}

export interface Schedule {
  /** IANA zone the hours and dates are written in. */
  timeZone: string;
  /** Open spans per weekday; a weekday not listed is closed all day. Null: open around the clock. */
  hours: Partial<Record<Weekday, TimeSpan[]>> | null;
  /** Local dates (YYYY-MM-DD) closed all day, such as holidays. */
  closedDates: string[];
}

/**
 * Whether the schedule is open at `instant`. "HH:MM" strings compare in time order, so a span
 * holds the wall clock when from ≤ time < to.
 */
export function isOpenAt(schedule: Schedule, instant: Date): boolean {
  // Most numbers have no hours: they need no clock reading at all.
  if (schedule.hours === null && schedule.closedDates.length === 0) return true;
  const clock = wallClock(instant, schedule.timeZone);
  if (schedule.closedDates.includes(clock.date)) return false;
  if (schedule.hours === null) return true;
  return (schedule.hours[clock.weekday] ?? []).some((span) => span.from <= clock.time && clock.time < span.to);
}
