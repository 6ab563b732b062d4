/**
 * A digest: one edition, identified by its send date (YYYY-MM-DD in DIGEST_TZ). Its posts are
 * chosen and frozen when it is built, and it is rendered once (README guarantees 1 and 5).
 */
export type DigestStatus = 'building' | 'empty' | 'sending' | 'sent' | 'sent_with_failures';

export interface DigestCounters {
  recipients: number;
  sent: number;
  failed: number;
  /** Not confirmed (or paused) any more at send time. */
  skipped: number;
  /** recipients - sent - failed - skipped */
  pending: number;
}

export interface Digest {
  date: string;
  /** ISO instant: DIGEST_CRON's time on `date` in DIGEST_TZ. */
  sendAt: string;
  windowStart: string;
  windowEnd: string;
  status: DigestStatus;
  subject: string;
  /** Rendered once, with the placeholders of src/render/placeholders.ts. */
  html: string;
  text: string;
  postIds: string[];
  builtAt: string;
  counters: DigestCounters;
}
