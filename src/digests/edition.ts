import { ValidationError } from '../errors.js';
import { assertDigestDate, isDigestDate } from './digest-window.js';
import { FREQUENCIES, isFrequency, type Frequency } from './frequency.js';

/**
 * An edition: one frequency's digest of one date (`weekly/2026-12-07`), the date being the
 * cron's local date. It is built once, when its first time zone reaches the send time, and its
 * posts are frozen then; later zones get the same content at their own local time.
 */
export interface Edition {
  frequency: Frequency;
  /** YYYY-MM-DD. */
  date: string;
}

/** The edition's id, used in keys, job ids, URLs and output: `weekly/2026-12-07`. */
export function editionId(e: Edition): string {
  return `${e.frequency}/${e.date}`;
}

/** True for `daily|weekly|monthly/YYYY-MM-DD` naming a real date. */
export function isEditionId(s: string): boolean {
  const [f, d, extra] = s.split('/');
  return extra === undefined && isFrequency(f) && d !== undefined && isDigestDate(d);
}

/**
 * Reads an edition id; a bare date is the given frequency's edition of that date (what
 * `digest send --date D` and the links of earlier versions name).
 *
 * @throws ValidationError DIGEST_DATE_INVALID for anything else.
 */
export function parseEdition(s: string, bareDateFrequency: Frequency): Edition {
  if (isDigestDate(s)) return { frequency: bareDateFrequency, date: s };
  const [f, d, extra] = s.split('/');
  if (extra !== undefined || !isFrequency(f) || d === undefined) {
    throw new ValidationError(
      'DIGEST_DATE_INVALID',
      `"${s}" is not an edition like weekly/2026-03-02 (${FREQUENCIES.join(', ')}) or a date`,
    );
  }
  assertDigestDate(d);
  return { frequency: f, date: d };
}
