// The dashboard's date range: whole days in the business's zone (TIMEZONE), from a preset (the last 7, 30 or 90 days, today
// included) or a custom from/to, read from the page's query string.

import { badRequest } from '../http/http-error.js';

export const RANGE_PRESETS = [7, 30, 90] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];
export const DEFAULT_PRESET: RangePreset = 30;
/** Longer ranges would draw thousands of daily bars that nobody can read. */
export const MAX_RANGE_DAYS = 731;

const DAY_MS = 86_400_000;

export interface DashboardRange {
  /** The preset the range came from; null for a custom range. */
  preset: RangePreset | null;
  /** First day shown, YYYY-MM-DD, in the dashboard's zone. */
  from: string;
  /** Last day shown, included, YYYY-MM-DD, in the dashboard's zone. */
  to: string;
}

/** The calendar day of a UTC midnight: day strings are counted on with UTC dates, zone-free. */
function utcDay(time: Date): string {
  return time.toISOString().slice(0, 10);
}

function parseDay(name: string, raw: unknown): Date {
  if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(raw)) {
    throw badRequest(`"${name}" must be a date such as 2026-11-01`);
  }
  const day = new Date(`${raw}T00:00:00Z`);
  // Date rolls 2026-02-30 over to March; a real calendar day reads back unchanged.
  if (Number.isNaN(day.getTime()) || utcDay(day) !== raw) throw badRequest(`"${name}" is not a calendar date`);
  return day;
}

function presetRange(preset: RangePreset, today: Date): DashboardRange {
  return { preset, from: utcDay(new Date(today.getTime() - (preset - 1) * DAY_MS)), to: utcDay(today) };
}

/**
 * Reads `?days=7|30|90` or `?from=YYYY-MM-DD&to=YYYY-MM-DD`; a preset wins when both are given.
 * `today` is the day it is now in the dashboard's zone.
 */
export function parseDashboardRange(query: Record<string, unknown>, today: string): DashboardRange {
  const todayDay = new Date(`${today}T00:00:00Z`);
  const { days, from, to } = query;
  if (days !== undefined && days !== '') {
    const preset = RANGE_PRESETS.find((p) => String(p) === days);
    if (preset === undefined) throw badRequest(`"days" must be one of ${RANGE_PRESETS.join(', ')}`);
    return presetRange(preset, todayDay);
  }
  if ((from === undefined || from === '') && (to === undefined || to === '')) return presetRange(DEFAULT_PRESET, todayDay);
  const fromDay = parseDay('from', from);
  const toDay = to === undefined || to === '' ? todayDay : parseDay('to', to);
  if (fromDay > toDay) throw badRequest('"from" must not be after "to"');
  if ((toDay.getTime() - fromDay.getTime()) / DAY_MS + 1 > MAX_RANGE_DAYS) {
    throw badRequest(`a range covers at most ${MAX_RANGE_DAYS} days`);
  }
  return { preset: null, from: utcDay(fromDay), to: utcDay(toDay) };
}
