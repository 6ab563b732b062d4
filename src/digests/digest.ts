import type { Frequency } from './frequency.js';

/**
 * A digest: one edition (`weekly/2026-12-07`: a frequency and its send date in DIGEST_TZ). Its
 * post range (seqFrom, seqTo] is frozen when it is built, and each distinct post set (variant)
 * is rendered once (README, "What the service guarantees" 1, 3 and 5).
 *
 * Statuses (README, "Sending"):
 * - `building`: created, content not stored yet.
 * - `held`: the SMTP preflight failed; nothing was fanned out and the build is retried.
 * - `skipped`: a scheduled occurrence with no posts, or missed by more than 24 hours; it took
 *   no post and stays buildable: a manual send of the date builds it.
 * - `sending`: built and fanned out (or fanning out); deliveries under way.
 * - `sent`, `sent_with_failures`, `failed`: every recipient accounted for; `failed` when none
 *   was sent and some failed.
 * - `empty`: stored by earlier versions for a date with no posts; treated as not built.
 */
export const DIGEST_STATUSES = [
  'building',
  'held',
  'skipped',
  'sending',
  'sent',
  'sent_with_failures',
  'failed',
  'empty',
] as const;
export type DigestStatus = (typeof DIGEST_STATUSES)[number];

/** Statuses after which nothing more happens to a digest by itself. */
export const SETTLED_STATUSES: readonly DigestStatus[] = [
  'sent',
  'sent_with_failures',
  'failed',
  'skipped',
];

/** What a failed delivery's cause allows: `temporary` ones may be retried by hand. */
export type FailureCause = 'temporary' | 'permanent' | 'bounce';

/** The first SMTP error of each kind seen while a digest is sending (shown at once). */
export type SmtpErrorKindSeen = 'transient' | 'throttle' | 'permanent' | 'bounce';
export interface FirstError {
  code?: number;
  message: string;
  at: string;
}

/** Failed deliveries of one cause and SMTP reply code (`code` undefined: no reply). */
export interface FailureGroup {
  cause: FailureCause;
  code?: number;
  count: number;
}

export interface DigestCounters {
  recipients: number;
  sent: number;
  failed: number;
  /** Not confirmed (or paused, or of another frequency) any more at send time, or a stale cursor. */
  skipped: number;
  /** Fewer posts than DIGEST_MIN_POSTS: not sent, their posts roll over to their next digest. */
  rolled: number;
  /** recipients - sent - failed - skipped - rolled */
  pending: number;
}

export interface Digest {
  /** The edition id, `weekly/2026-12-07`. */
  id: string;
  frequency: Frequency;
  /** YYYY-MM-DD. */
  date: string;
  /** ISO instant: DIGEST_CRON's time on `date` in DIGEST_TZ. */
  sendAt: string;
  windowStart: string;
  windowEnd: string;
  status: DigestStatus;
  /** Why a digest is `held` or `skipped` (the preflight's error, "no posts", "missed: …"). */
  reason?: string;
  subject: string;
  /** Rendered once, with the placeholders of src/render/placeholders.ts. */
  html: string;
  text: string;
  /** The main variant's posts (a reader with no cursor and no topics). */
  postIds: string[];
  builtAt: string;
  /** The post seq range frozen at the build; seqFrom absent: the first edition of its frequency. */
  seqFrom?: number;
  seqTo?: number;
  /** When the previous edition of its frequency was built (late arrivals of window mode). */
  previousBuiltAt?: string;
  /**
   * A first edition of its frequency built after editions that were not (skipped or held: they
   * took no post): the window start of the oldest of them, where its window mode starts instead
   * of `windowStart`, so their posts come in it (README guarantee 3).
   */
  windowFrom?: string;
  /** The main variant's id ('legacy': content stored on the edition by an earlier version). */
  variant?: string;
  /**
   * MJML renders of this edition: one per distinct post set, and one for the archive page's
   * copy once it was opened (README guarantee 5).
   */
  renders: number;
  counters: DigestCounters;
  /** The first SMTP error of each kind, recorded the moment it happened. */
  errors: Partial<Record<SmtpErrorKindSeen, FirstError>>;
}

/** True when the digest's content is stored for good (a legacy `empty` one is not). */
export function isBuilt(d: { builtAt: string; status: DigestStatus }): boolean {
  return Boolean(d.builtAt) && d.status !== 'empty';
}

/** "first transient error: 451 4.3.0 try again later" (the code once, even if the reply has it). */
export function describeFirstError(kind: string, e: FirstError): string {
  const text =
    e.code && !e.message.startsWith(String(e.code)) ? `${e.code} ${e.message}` : e.message;
  return `first ${kind} error: ${text}`.replace(/\s+/g, ' ');
}
