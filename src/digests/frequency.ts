/**
 * How often a subscriber receives a digest. The site offers some of these (DIGEST_FREQUENCIES);
 * each has its own schedule (DIGEST_DAILY_CRON, DIGEST_CRON, DIGEST_MONTHLY_CRON).
 */
export const FREQUENCIES = ['daily', 'weekly', 'monthly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

export function isFrequency(v: unknown): v is Frequency {
  return typeof v === 'string' && (FREQUENCIES as readonly string[]).includes(v);
}

/** The next offered frequency that sends less often than `f` (the footer's "less often"). */
export function lessOften(f: Frequency, offered: readonly Frequency[]): Frequency | undefined {
  return FREQUENCIES.slice(FREQUENCIES.indexOf(f) + 1).find((x) => offered.includes(x));
}

/** The next offered frequency that sends more often than `f`. */
export function moreOften(f: Frequency, offered: readonly Frequency[]): Frequency | undefined {
  return FREQUENCIES.slice(0, FREQUENCIES.indexOf(f))
    .reverse()
    .find((x) => offered.includes(x));
}
