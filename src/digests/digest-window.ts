import { ValidationError } from '../errors.js';
import { nextOccurrence, previousOccurrence, sendTimeOn, type Schedule } from './occurrences.js';

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
export type DigestSchedule = Schedule;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for `YYYY-MM-DD` naming a real calendar date (no 2026-02-30). */
export function isDigestDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** Throws ValidationError DIGEST_DATE_INVALID unless `date` is a real YYYY-MM-DD date. */
export function assertDigestDate(date: string, label = ''): void {
  if (!isDigestDate(date)) {
    throw new ValidationError(
      'DIGEST_DATE_INVALID',
      `${label}"${date}" is not a date like 2026-03-02`,
    );
  }
}

/**
 * The window of the digest sent on `date`. Its send time is the schedule's occurrence on that
 * local date (src/digests/occurrences.ts); on a date the schedule does not fire (a manual
 * trigger on a Tuesday with a Monday cron) it is the cron's first wall time on that date. The
 * window starts at the schedule's previous occurrence strictly before the send time, so the
 * windows of consecutive occurrences tile time.
 *
 * @throws ValidationError DIGEST_DATE_INVALID for anything but a real YYYY-MM-DD date, or a
 *   date that DIGEST_TZ skips whole.
 */
export function digestWindow(date: string, schedule: DigestSchedule): DigestWindow {
  assertDigestDate(date);
  const sendAt = sendTimeOn(date, schedule);
  if (!sendAt) {
    throw new ValidationError(
      'DIGEST_DATE_INVALID',
      `${date} does not exist in ${schedule.tz} (its clocks skipped that day)`,
    );
  }
  const windowStart = previousOccurrence(sendAt, schedule).at;
  return { date, sendAt, windowStart, windowEnd: sendAt };
}

/** The date (in the schedule's zone) of the schedule's next occurrence strictly after `now`. */
export function nextDigestDate(now: Date, schedule: DigestSchedule): string {
  return nextOccurrence(now, schedule).date;
}

/**
 * The date of the schedule's latest occurrence at or before `now`: the digest a scheduler run
 * firing at `now` (a little late, perhaps) is building. `nextDigestDate` would name next week's.
 */
export function currentDigestDate(now: Date, schedule: DigestSchedule): string {
  return previousOccurrence(new Date(now.getTime() + 1), schedule).date;
}
