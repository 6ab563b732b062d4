import { TZDate } from '@date-fns/tz';
import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { ValidationError } from '../errors.js';

/**
 * A digest's place in time. A digest is named by its send date (YYYY-MM-DD in DIGEST_TZ); it
 * carries the posts published in [windowStart, windowEnd), and windowEnd is its send time.
 * All three are true instants, so a window that spans a DST change is 167 or 169 hours long.
 */
export interface DigestWindow {
  date: string;
  sendAt: Date;
  windowStart: Date;
  /** Always equal to sendAt. */
  windowEnd: Date;
}

/** DIGEST_CRON and DIGEST_TZ. */
export interface DigestSchedule {
  cron: string;
  tz: string;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for `YYYY-MM-DD` naming a real calendar date (no 2026-02-30). */
export function isDigestDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/**
 * The window of the digest sent on `date`. Its send time is the schedule's first occurrence on
 * that local date; on a date the schedule does not fire (a manual trigger on a Tuesday with a
 * Monday cron) it is the cron's hour and minute on that date. The window starts at the
 * schedule's previous occurrence strictly before the send time.
 *
 * @throws ValidationError DIGEST_DATE_INVALID for anything but a real YYYY-MM-DD date.
 */
export function digestWindow(date: string, schedule: DigestSchedule): DigestWindow {
  if (!isDigestDate(date)) {
    throw new ValidationError('DIGEST_DATE_INVALID', `"${date}" is not a date like 2026-03-02`);
  }
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const dayStart = new TZDate(y, mo - 1, d, 0, 0, schedule.tz).getTime();
  const nextDayStart = new TZDate(y, mo - 1, d + 1, 0, 0, schedule.tz).getTime();

  // next() is strictly after currentDate, so start 1 ms early to include a midnight occurrence.
  const first = parse(schedule, dayStart - 1)
    .next()
    .getTime();
  const sendAt = first < nextDayStart ? first : cronTimeOn(schedule, y, mo, d);

  const windowStart = parse(schedule, sendAt).prev().getTime();
  return {
    date,
    sendAt: new Date(sendAt),
    windowStart: new Date(windowStart),
    windowEnd: new Date(sendAt),
  };
}

/** The date (in the schedule's zone) of the schedule's next occurrence strictly after `now`. */
export function nextDigestDate(now: Date, schedule: DigestSchedule): string {
  return localDate(parse(schedule, now.getTime()).next().getTime(), schedule.tz);
}

/**
 * The date of the schedule's latest occurrence at or before `now`: the digest a scheduler run
 * firing at `now` (a little late, perhaps) is building. `nextDigestDate` would name next week's.
 */
export function currentDigestDate(now: Date, schedule: DigestSchedule): string {
  return localDate(
    parse(schedule, now.getTime() + 1)
      .prev()
      .getTime(),
    schedule.tz,
  );
}

/** Formats an instant as YYYY-MM-DD in `tz`. */
export function localDate(ms: number, tz: string): string {
  const t = new TZDate(ms, tz);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`;
}

function parse(schedule: DigestSchedule, currentMs: number): CronExpression {
  return CronExpressionParser.parse(schedule.cron, {
    tz: schedule.tz,
    currentDate: new Date(currentMs),
  });
}

/** The cron's (earliest) hour and minute on a local date; TZDate moves a time in a DST gap forward. */
function cronTimeOn(schedule: DigestSchedule, y: number, mo: number, d: number): number {
  const { fields } = parse(schedule, 0);
  const hour = Number(fields.hour.values[0] ?? 0);
  const minute = Number(fields.minute.values[0] ?? 0);
  return new TZDate(y, mo - 1, d, hour, minute, schedule.tz).getTime();
}
