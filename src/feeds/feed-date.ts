import { tz } from '@date-fns/tz';
import { parseISO } from 'date-fns';

/** UTC for dates that name no zone: a feed's dates must not depend on the server's TZ. */
const UTC = tz('UTC');

/** Zone names feeds use, in minutes east of UTC (RFC 822 §5.1 and common abbreviations). */
// prettier-ignore
const ZONES: Record<string, number> = {
  UT: 0, UTC: 0, GMT: 0, Z: 0, WET: 0,
  EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420,
  AST: -240, ADT: -180, AKST: -540, AKDT: -480, HST: -600, NST: -210, NDT: -150,
  BST: 60, IST: 330, CET: 60, CEST: 120, MET: 60, MEST: 120, WEST: 60, EET: 120, EEST: 180,
  MSK: 180, SGT: 480, HKT: 480, AWST: 480, JST: 540, KST: 540, ACST: 570, ACDT: 630,
  AEST: 600, AEDT: 660, NZST: 720, NZDT: 780,
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = '([A-Za-z]{3,9})\\.?';
const TIME = '(\\d{1,2}):(\\d{2})(?::(\\d{2})(?:[.,]\\d+)?)?';
// A trailing "(Coordinated Universal Time)" comment, as JavaScript's Date#toString writes.
const ZONE =
  '(?:\\s*([A-Za-z]{1,5}(?:\\s*[+-]\\d{1,2}(?::?\\d{2})?)?|[+-]\\d{1,2}(?::?\\d{2})?))?(?:\\s*\\(.*\\))?';
const WEEKDAY = '(?:[A-Za-z]{2,9}\\.?(?:,\\s*|\\s+))?';

/** RFC 822/2822 and the variants feeds write: "Mon, 02 Jan 2006 15:04:05 -0700", "2 Jan 06 15:04 EST". */
const RFC822 = new RegExp(
  `^${WEEKDAY}(\\d{1,2})[\\s-]+${MONTH}[\\s-]+(\\d{2,4})(?:[\\s,T]+${TIME})?${ZONE}$`,
);
/** Month first: "Jan 02 2006 15:04:05 GMT+0000 (...)" (Date#toString), "January 2, 2006". */
const MONTH_FIRST = new RegExp(
  `^${WEEKDAY}${MONTH}\\s+(\\d{1,2}),?\\s+(\\d{4})(?:[\\s,]+${TIME})?${ZONE}$`,
);
/** C's asctime: "Mon Jan  2 15:04:05 2006", zone before the year or none. */
const ASCTIME = new RegExp(`^${WEEKDAY}${MONTH}\\s+(\\d{1,2})\\s+${TIME}${ZONE}\\s+(\\d{4})$`);

/**
 * Parses a feed date: RFC 3339 / ISO 8601 (Atom, JSON Feed, dc:date), RFC 822 and its real
 * variants (RSS: two-digit years, missing seconds or zone, named zones, full day and month
 * names), asctime and JavaScript's Date#toString. A date without a zone is UTC. A date that
 * cannot be read, is before 1990, or lies more than a day after `now` gives undefined: such a
 * post takes its firstSeenAt, and the post store flags it.
 */
export function parseFeedDate(raw: string | undefined, now: Date): Date | undefined {
  const s = raw?.trim().replace(/\s+/g, ' ');
  if (!s || s.length > 100) return undefined;
  const ms = /^\d{4}-?\d\d/.test(s) ? isoMs(s) : namedMonthMs(s);
  if (ms === undefined || Number.isNaN(ms)) return undefined;
  if (ms < Date.UTC(1990, 0, 1) || ms > now.getTime() + 24 * 3600 * 1000) return undefined;
  return new Date(ms);
}

function isoMs(s: string): number {
  // parseISO wants "T" and "Z" in capitals and no space before the offset.
  const iso = s
    .toUpperCase()
    .replace(/\s*(?:GMT|UTC)$/, 'Z')
    .replace(/\s+(?=Z$|[+-]\d\d:?\d\d$)/, '');
  return parseISO(iso, { in: UTC }).getTime();
}

function namedMonthMs(s: string): number | undefined {
  let m = RFC822.exec(s);
  if (m) return utcMs(m[3], m[2], m[1], m.slice(4, 7), m[7]);
  m = MONTH_FIRST.exec(s);
  if (m) return utcMs(m[3], m[1], m[2], m.slice(4, 7), m[7]);
  m = ASCTIME.exec(s);
  if (m) return utcMs(m[7], m[1], m[2], m.slice(3, 6), m[6]);
  return undefined;
}

function utcMs(
  yearRaw: string | undefined,
  monthName: string | undefined,
  dayRaw: string | undefined,
  [h = '0', min = '0', sec = '0']: (string | undefined)[],
  zone: string | undefined,
): number | undefined {
  const month = MONTHS.indexOf(monthName?.slice(0, 3).toLowerCase() ?? '');
  const day = Number(dayRaw);
  let year = Number(yearRaw);
  // RFC 2822 §4.3: two-digit years 00-49 are 20xx, 50-99 19xx; three digits add 1900.
  if (yearRaw?.length === 2) year += year < 50 ? 2000 : 1900;
  else if (yearRaw?.length === 3) year += 1900;
  const offset = zoneOffset(zone);
  if (month === -1 || offset === undefined || Number(h) > 23 || Number(min) > 59) return undefined;
  const ms = Date.UTC(year, month, day, Number(h), Number(min), Math.min(Number(sec), 59));
  if (new Date(ms).getUTCDate() !== day) return undefined; // 31 Feb and such
  return ms - offset * 60_000;
}

/** Minutes east of UTC; no zone is UTC; an unknown name is UTC too (RFC 2822 §4.3: -0000). */
function zoneOffset(zone: string | undefined): number | undefined {
  const z = zone?.replace(/\s+/g, '').toUpperCase();
  if (!z) return 0;
  const m = /^([A-Z]*)([+-])(\d{1,2}):?(\d{2})?$/.exec(z);
  if (m) {
    if (m[1] && !['GMT', 'UTC', 'UT'].includes(m[1])) return undefined;
    const minutes = Number(m[3]) * 60 + Number(m[4] ?? 0);
    return minutes > 14 * 60 ? undefined : (m[2] === '-' ? -1 : 1) * minutes;
  }
  return ZONES[z] ?? 0;
}
