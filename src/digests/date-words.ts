import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';
import { localDate } from './occurrences.js';

/** A digest date further back than this needs `--force` (or a second confirmation on the web). */
export const PAST_DATE_LIMIT_DAYS = 7;

const DAY_MS = 86_400_000;

/** Whole days from digest date `date` to `today` (both YYYY-MM-DD); positive for the past. */
export function daysBefore(date: string, today: string): number {
  return Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${date}T00:00:00Z`)) / DAY_MS);
}

/** "Monday 11 April 2022". */
export function dateInWords(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return format(new TZDate(y, m - 1, d, 'UTC'), 'EEEE d MMMM yyyy');
}

/** How long ago a past date was, in the largest unit that fits: "3 weeks ago", "4 years ago". */
export function agoInWords(days: number): string {
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  if (days < 14) return rtf.format(-days, 'day');
  if (days < 60) return rtf.format(-Math.round(days / 7), 'week');
  if (days < 730) return rtf.format(-Math.round(days / 30.44), 'month');
  return rtf.format(-Math.floor(days / 365.25), 'year');
}

/**
 * When `date` lies more than PAST_DATE_LIMIT_DAYS before today in `tz`, the words for it
 * ("3 weeks ago"); otherwise undefined.
 */
export function pastDateWords(date: string, now: Date, tz: string): string | undefined {
  const days = daysBefore(date, localDate(now.getTime(), tz));
  return days > PAST_DATE_LIMIT_DAYS ? agoInWords(days) : undefined;
}
