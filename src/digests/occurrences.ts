import { tzOffset } from '@date-fns/tz';
import { parseCronFields, type CronFields } from './cron-fields.js';

/**
 * Occurrences of DIGEST_CRON in DIGEST_TZ, computed on local calendar dates (README "The
 * schedule"). A digest is named by its local date, so the schedule has at most one occurrence
 * per date: the first time the cron fires on it. A wall time that a DST change skips is read
 * with the offset in force before the change (02:30 on New York's spring-forward day is 03:30
 * EDT, 24 hours after the day before's 02:30); a wall time that happens twice (fall back) is
 * its first one. A date that a zone skips whole (Pacific/Apia, 2011-12-30) has no occurrence.
 */
export interface Occurrence {
  /** YYYY-MM-DD in the schedule's zone: the name of the digest this occurrence sends. */
  date: string;
  at: Date;
}

/** DIGEST_CRON and DIGEST_TZ. */
export interface Schedule {
  cron: string;
  tz: string;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Far enough for any cron that fires at all (Feb 29 on a Monday repeats within 28 years). */
const MAX_DAYS = 366 * 30;

/** A civil date as a count of days since 1970-01-01, and back. */
const dayNumber = (y: number, m: number, d: number) => Math.floor(Date.UTC(y, m - 1, d) / DAY);
function civil(n: number): [number, number, number] {
  const t = new Date(n * DAY);
  return [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
}
const pad = (n: number) => String(n).padStart(2, '0');
const isoDate = ([y, m, d]: [number, number, number]) => `${y}-${pad(m)}-${pad(d)}`;

/**
 * Offset of `tz` at an instant, in ms (tzOffset gives minutes). Remembered: the windows ask
 * again about the instants the occurrences asked about, and each question costs an Intl call.
 */
const offsets = new Map<string, number>();
function offsetAt(tz: string, ms: number): number {
  const key = `${tz} ${ms}`;
  let o = offsets.get(key);
  if (o === undefined) {
    if (offsets.size >= 50_000) offsets.clear();
    offsets.set(key, (o = tzOffset(tz, new Date(ms)) * MINUTE));
  }
  return o;
}

/** The local calendar day (days since epoch) of an instant in `tz`. */
function localDay(ms: number, tz: string): number {
  return Math.floor((ms + offsetAt(tz, ms)) / DAY);
}

/** Formats an instant as YYYY-MM-DD in `tz`. */
export function localDate(ms: number, tz: string): string {
  return isoDate(civil(localDay(ms, tz)));
}

/**
 * The instant a wall time on a local date fires, or undefined when that date does not reach
 * it (the rest of the date, or all of it, was skipped). Offsets in force 15 hours either side
 * bracket every instant the wall time can name (offsets lie within -12..+14 hours).
 */
function wallInstant(tz: string, y: number, mo: number, d: number, h: number, mi: number) {
  const naive = Date.UTC(y, mo - 1, d, h, mi);
  const before = offsetAt(tz, naive - 15 * HOUR);
  const after = offsetAt(tz, naive + 15 * HOUR);
  // No change of offset within 30 hours: the one reading (nearly every call).
  if (before === after) return { at: naive - before, skipped: false };
  const valid = [before, after]
    .map((o) => naive - o)
    .filter((t) => naive - offsetAt(tz, t) === t)
    .sort((a, b) => a - b);
  if (valid.length > 0) return { at: valid[0]!, skipped: false };
  // In a gap: read with the offset in force before the change.
  const at = naive - before;
  return localDay(at, tz) === dayNumber(y, mo, d) ? { at, skipped: true } : undefined;
}

/**
 * The first instant on local day `n`, strictly after `after`, at one of the cron's wall times,
 * whether or not the cron fires on that date. Wall times come ascending and the ones that exist
 * fire in that order, so the first one found is the earliest, except that a skipped time read
 * with the old offset may land after a later wall time: those are weighed until then.
 */
function firstOnDay(fields: CronFields, tz: string, n: number, after = -Infinity) {
  const [y, mo, d] = civil(n);
  let best: number | undefined;
  for (const [h, mi] of fields.times) {
    const w = wallInstant(tz, y, mo, d, h, mi);
    if (!w || w.at <= after) continue;
    if (best === undefined || w.at < best) best = w.at;
    if (!w.skipped) break;
  }
  return best;
}

/** Parsed once per (cron, tz): the scheduler and the windows ask for the same schedule often. */
const parsed = new Map<string, CronFields>();
function fieldsOf(schedule: Schedule): CronFields {
  let f = parsed.get(schedule.cron);
  if (!f) parsed.set(schedule.cron, (f = parseCronFields(schedule.cron)));
  return f;
}

function occurrenceOnDay(schedule: Schedule, n: number): Occurrence | undefined {
  const fields = fieldsOf(schedule);
  const [y, m, d] = civil(n);
  if (!fields.matchesDate(y, m, d)) return undefined;
  const at = firstOnDay(fields, schedule.tz, n);
  return at === undefined ? undefined : { date: isoDate([y, m, d]), at: new Date(at) };
}

/**
 * The schedule's occurrences strictly after `after`, oldest first, without end.
 *
 * @throws Error when the cron fires on no date within 30 years (config rejects such crons).
 */
export function* occurrencesAfter(after: Date, schedule: Schedule): Generator<Occurrence> {
  let n = localDay(after.getTime(), schedule.tz) - 1;
  for (let idle = 0; idle < MAX_DAYS; n++, idle++) {
    const o = occurrenceOnDay(schedule, n);
    if (o && o.at.getTime() > after.getTime()) {
      yield o;
      idle = 0;
    }
  }
  throw new Error(`"${schedule.cron}" does not fire within 30 years of ${after.toISOString()}`);
}

/** The schedule's first occurrence strictly after `after`. */
export function nextOccurrence(after: Date, schedule: Schedule): Occurrence {
  return occurrencesAfter(after, schedule).next().value as Occurrence;
}

/**
 * The cron's first firing strictly after `after`, counting every wall time of a day (INGEST_CRON
 * fires many times a day; a digest takes only the first of each date).
 */
export function nextFiring(after: Date, schedule: Schedule): Date {
  const fields = fieldsOf(schedule);
  const start = localDay(after.getTime(), schedule.tz) - 1;
  for (let n = start; n < start + MAX_DAYS; n++) {
    const [y, m, d] = civil(n);
    if (!fields.matchesDate(y, m, d)) continue;
    const at = firstOnDay(fields, schedule.tz, n, after.getTime());
    if (at !== undefined) return new Date(at);
  }
  throw new Error(`"${schedule.cron}" does not fire within 30 years of ${after.toISOString()}`);
}

/** The schedule's latest occurrence strictly before `before`. */
export function previousOccurrence(before: Date, schedule: Schedule): Occurrence {
  const start = localDay(before.getTime(), schedule.tz) + 1;
  for (let n = start; n > start - MAX_DAYS; n--) {
    const o = occurrenceOnDay(schedule, n);
    if (o && o.at.getTime() < before.getTime()) return o;
  }
  throw new Error(`"${schedule.cron}" did not fire within 30 years before ${before.toISOString()}`);
}

/** The occurrences in (after, until], oldest first, at most `limit` of them. */
export function occurrencesBetween(
  after: Date,
  until: Date,
  schedule: Schedule,
  limit: number,
): Occurrence[] {
  const out: Occurrence[] = [];
  if (limit <= 0) return out;
  for (const o of occurrencesAfter(after, schedule)) {
    if (o.at.getTime() > until.getTime()) break;
    out.push(o);
    if (out.length >= limit) break;
  }
  return out;
}

/**
 * The instant the cron's first wall time falls on local `date`, as if the cron fired that day
 * (a manual digest on a date the schedule skips), or undefined for a date the zone skips whole.
 */
export function sendTimeOn(date: string, schedule: Schedule): Date | undefined {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const n = dayNumber(y, m, d);
  const own = occurrenceOnDay(schedule, n);
  if (own) return own.at;
  const at = firstOnDay(fieldsOf(schedule), schedule.tz, n);
  return at === undefined ? undefined : new Date(at);
}
