import { CronExpressionParser } from 'cron-parser';

/**
 * A 5-field cron expression as sets, read by cron-parser but evaluated here on local calendar
 * dates: which dates it fires on, and at which wall times. cron-parser's own iterator is not
 * used for the digest schedule (it loops out on some DST days; see README "The schedule").
 */
export interface CronFields {
  /** Wall times of a firing day, [hour, minute], ascending. */
  times: [number, number][];
  /** True when the expression fires on this local calendar date. */
  matchesDate(y: number, month: number, day: number): boolean;
}

/**
 * Parses `cron`. Day of month and day of week follow Vixie cron: when both are restricted, a
 * date that matches either one fires. `L` (last day of the month), `5L` (last Friday) and `1#2`
 * (second Monday) are understood.
 *
 * @throws Error from cron-parser for what is not a cron expression, or for a 6-field one.
 */
export function parseCronFields(cron: string): CronFields {
  if (cron.trim().split(/\s+/).length !== 5) {
    throw new Error(`"${cron}" is not a 5-field cron expression`);
  }
  const f = CronExpressionParser.parse(cron).fields;
  const minutes = f.minute.values.map(Number);
  const times = f.hour.values.flatMap((h) =>
    minutes.map((m) => [Number(h), m] as [number, number]),
  );
  times.sort((a, b) => a[0] - b[0] || a[1] - b[1]);

  const months = new Set(f.month.values.map(Number));
  const domValues: unknown[] = f.dayOfMonth.values;
  const dowValues: unknown[] = f.dayOfWeek.values;
  const doms = new Set(domValues.filter((v) => typeof v === 'number'));
  const lastDom = f.dayOfMonth.hasLastChar;
  const dows = new Set(
    dowValues.filter((v) => typeof v === 'number').map((v) => (v === 7 ? 0 : v)),
  );
  // "5L": the last Friday of the month.
  const lastDows = new Set(
    dowValues
      .filter((v): v is string => typeof v === 'string' && /^\dL$/.test(v))
      .map((v) => Number(v[0]) % 7),
  );
  const nth = f.dayOfWeek.nthDay;
  const domRestricted = !f.dayOfMonth.isWildcard;
  const dowRestricted = !f.dayOfWeek.isWildcard;

  const domMatches = (day: number, daysInMonth: number) =>
    doms.has(day) || (lastDom && day === daysInMonth);
  const dowMatches = (day: number, weekday: number, daysInMonth: number) =>
    (dows.has(weekday) && (nth === 0 || Math.ceil(day / 7) === nth)) ||
    (lastDows.has(weekday) && day + 7 > daysInMonth);

  return {
    times,
    matchesDate(y, month, day) {
      if (!months.has(month)) return false;
      const daysInMonth = new Date(Date.UTC(y, month, 0)).getUTCDate();
      const weekday = new Date(Date.UTC(y, month - 1, day)).getUTCDay();
      if (domRestricted && dowRestricted) {
        return domMatches(day, daysInMonth) || dowMatches(day, weekday, daysInMonth);
      }
      if (domRestricted) return domMatches(day, daysInMonth);
      if (dowRestricted) return dowMatches(day, weekday, daysInMonth);
      return true;
    },
  };
}
