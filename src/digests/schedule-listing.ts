import { TZDate } from '@date-fns/tz';
import { format, formatISO } from 'date-fns';
import { digestWindow } from './digest-window.js';
import { occurrencesAfter, type Schedule } from './occurrences.js';

/** One upcoming send, as `digest schedule` lists it. */
export interface UpcomingSend {
  date: string;
  /** ISO instant in UTC. */
  at: string;
  /** The same instant in DIGEST_TZ, ISO with its offset (2026-03-09T09:00:00+01:00). */
  local: string;
  /** "Monday 9 March 2026, 09:00 Europe/Berlin". */
  words: string;
  /** The window of posts it carries, [windowStart, windowEnd), ISO in UTC. */
  windowStart: string;
  windowEnd: string;
}

/** "Monday 7 December, 09:00 Europe/Berlin" (with the year when it is not `now`'s year). */
export function sendTimeInWords(at: Date, tz: string, now = new Date()): string {
  const local = new TZDate(at.getTime(), tz);
  const sameYear = local.getFullYear() === new TZDate(now.getTime(), tz).getFullYear();
  return `${format(local, sameYear ? 'EEEE d MMMM, HH:mm' : 'EEEE d MMMM yyyy, HH:mm')} ${tz}`;
}

/** The schedule's next `count` sends after `now`, each with its window. */
export function upcomingSends(schedule: Schedule, now: Date, count: number): UpcomingSend[] {
  const out: UpcomingSend[] = [];
  if (count <= 0) return out;
  for (const o of occurrencesAfter(now, schedule)) {
    const w = digestWindow(o.date, schedule);
    out.push({
      date: o.date,
      at: o.at.toISOString(),
      local: formatISO(new TZDate(o.at.getTime(), schedule.tz)),
      words: sendTimeInWords(o.at, schedule.tz, now),
      windowStart: w.windowStart.toISOString(),
      windowEnd: w.windowEnd.toISOString(),
    });
    if (out.length >= count) break;
  }
  return out;
}

/** The lines `digest schedule` prints. */
export function formatUpcomingSends(sends: UpcomingSend[], schedule: Schedule): string[] {
  const head = `DIGEST_CRON "${schedule.cron}" in ${schedule.tz}`;
  return [
    head,
    ...sends.map(
      (s) =>
        `${s.date}  ${s.at}  ${s.local}  (${s.words})  window ${s.windowStart} .. ${s.windowEnd}`,
    ),
  ];
}
