/**
 * Which editions the scale scenario sends: its zones, its frequencies, and a date on which
 * every one of them fires.
 */
import { frequencySchedule, type EditionSchedules } from '../src/digests/edition-window.js';
import { FREQUENCIES, isFrequency, type Frequency } from '../src/digests/frequency.js';
import { nextOccurrence, sendTimeOn } from '../src/digests/occurrences.js';

/** 24 real zones, one per whole UTC offset from −11 to +12 in February, west to east. */
export const ZONES = [
  'Pacific/Pago_Pago',
  'Pacific/Honolulu',
  'America/Anchorage',
  'America/Los_Angeles',
  'America/Denver',
  'America/Chicago',
  'America/New_York',
  'America/Halifax',
  'America/Sao_Paulo',
  'Atlantic/South_Georgia',
  'Atlantic/Azores',
  'Europe/London',
  'Europe/Berlin',
  'Europe/Athens',
  'Europe/Moscow',
  'Asia/Dubai',
  'Asia/Karachi',
  'Asia/Dhaka',
  'Asia/Bangkok',
  'Asia/Shanghai',
  'Asia/Tokyo',
  'Australia/Brisbane',
  'Pacific/Noumea',
  'Pacific/Fiji',
];

/** Whether `frequency`'s cron fires on local `date` (its own occurrence, not "as if"). */
function fires(schedule: EditionSchedules, frequency: Frequency, date: string): boolean {
  const s = frequencySchedule(schedule, frequency);
  const at = sendTimeOn(date, s);
  return at !== undefined && nextOccurrence(new Date(at.getTime() - 1), s).date === date;
}

/**
 * The first date after today (UTC) on which every one of `frequencies` fires: a Monday that is
 * the 1st of a month for daily, weekly and monthly (2027-02-01 from December 2026).
 */
export function commonEditionDate(
  schedule: EditionSchedules,
  frequencies: readonly Frequency[],
  after = new Date(),
): string {
  const day = 86_400_000;
  const start = Math.floor(after.getTime() / day) * day + day;
  for (let ms = start; ms < start + 366 * 30 * day; ms += day) {
    const date = new Date(ms).toISOString().slice(0, 10);
    if (frequencies.every((f) => fires(schedule, f, date))) return date;
  }
  throw new Error(`no date within 30 years on which ${frequencies.join(', ')} all fire`);
}

/** `--frequencies daily,weekly`: in FREQUENCIES order. */
export function parseFrequencies(list: string): Frequency[] {
  const fs = list.split(',').map((f) => f.trim());
  for (const f of fs)
    if (!isFrequency(f))
      throw new Error(`--frequencies: "${f}" is not one of ${FREQUENCIES.join(', ')}`);
  return FREQUENCIES.filter((f) => fs.includes(f));
}
