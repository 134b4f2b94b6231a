// Qualified calls that came from a Google ad click, in Google Ads' offline click-conversion
// import format: an optional `Parameters:TimeZone=` line, then the template's five columns.

export const GOOGLE_ADS_COLUMNS = ['Google Click ID', 'Conversion Name', 'Conversion Time', 'Conversion Value', 'Conversion Currency'] as const;

/** `yyyy-MM-dd HH:mm:ss`, the wall-clock time in `timeZone`, as Google's template writes it. */
export function googleAdsTime(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')}`;
}

export const googleAdsParametersLine = (timeZone: string) => `Parameters:TimeZone=${timeZone}\r\n`;
