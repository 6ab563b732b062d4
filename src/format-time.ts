import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';

/**
 * Times as people read them, in a given zone (DIGEST_TZ for admins): "Mon 7 Dec, 09:00", with
 * the year when it is not this year's ("Fri 4 Nov 2022, 14:03"). `now` only decides the year.
 */
export function timeInWords(
  when: Date | string | number,
  tz: string,
  /** The year is shown unless `now` falls in the same one; `'always'` shows it. */
  now: Date | 'always' = new Date(),
): string {
  const t = new TZDate(new Date(when).getTime(), tz);
  if (Number.isNaN(t.getTime())) return '—';
  const sameYear =
    now !== 'always' && t.getFullYear() === new TZDate(now.getTime(), tz).getFullYear();
  return format(t, sameYear ? 'EEE d MMM, HH:mm' : 'EEE d MMM yyyy, HH:mm');
}

/** A day in words: "4 Nov 2022". */
export function dayInWords(when: Date | string | number, tz: string): string {
  const t = new TZDate(new Date(when).getTime(), tz);
  if (Number.isNaN(t.getTime())) return '—';
  return format(t, 'd MMM yyyy');
}

/** "1 post", "7 posts": a count with its noun, never "post(s)". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
