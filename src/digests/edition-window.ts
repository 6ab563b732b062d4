import type { Config } from '../config.js';
import { digestWindow, type DigestWindow } from './digest-window.js';
import { editionId, type Edition } from './edition.js';
import type { Frequency } from './frequency.js';
import type { Schedule } from './occurrences.js';

/** An edition placed in time: its id and frequency, and its window in DIGEST_TZ. */
export interface EditionWindow extends DigestWindow {
  /** `weekly/2026-12-07`. */
  id: string;
  frequency: Frequency;
}

/** What places an edition: each frequency's cron, read in DIGEST_TZ. */
export type EditionSchedules = Pick<Config['digest'], 'crons' | 'tz'>;

/** The schedule of one frequency in DIGEST_TZ (its cron's occurrences name its dates). */
export function frequencySchedule(s: EditionSchedules, frequency: Frequency): Schedule {
  return { cron: s.crons[frequency], tz: s.tz };
}

/**
 * The window of an edition: its send time in DIGEST_TZ and the frequency's previous
 * occurrence before it (src/digests/digest-window.ts).
 *
 * @throws ValidationError DIGEST_DATE_INVALID for a date that is not real or that DIGEST_TZ skips.
 */
export function editionWindow(e: Edition, s: EditionSchedules): EditionWindow {
  return {
    ...digestWindow(e.date, frequencySchedule(s, e.frequency)),
    id: editionId(e),
    frequency: e.frequency,
  };
}
