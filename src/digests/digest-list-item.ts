import type {
  DigestCounters,
  DigestStatus,
  FailureGroup,
  FirstError,
  SmtpErrorKindSeen,
} from './digest.js';
import type { DigestSummary } from './digest-store.js';
import type { Frequency } from './frequency.js';
import type { ZoneProgress } from './zone-progress.js';

/** An edition as `runs`, the dashboard and the admin API list it. */
export interface DigestListItem {
  /** The edition id, `weekly/2026-12-07`. */
  id: string;
  frequency: Frequency;
  date: string;
  status: DigestStatus;
  subject: string;
  sendAt: string;
  builtAt?: string;
  finishedAt?: string;
  posts: number;
  counters: DigestCounters;
  /** Why it is held or skipped. */
  reason?: string;
  /** The first SMTP error of each kind while it was sending. */
  errors: Partial<Record<SmtpErrorKindSeen, FirstError>>;
  /** Failed deliveries grouped by cause and SMTP code. */
  failures: FailureGroup[];
  /** Each zone's planned send instant and subscribers, fan-out state and progress. */
  zones: ZoneProgress[];
}

/** The list item of an edition's summary, its failures grouped and its zones. */
export function toItem(
  s: DigestSummary,
  failures: FailureGroup[],
  zones: ZoneProgress[],
): DigestListItem {
  return {
    id: s.id,
    frequency: s.frequency,
    date: s.date,
    status: s.status,
    subject: s.subject,
    sendAt: s.sendAt,
    builtAt: s.builtAt || undefined,
    finishedAt: s.finishedAt,
    posts: s.postIds.length,
    counters: s.counters,
    ...(s.reason ? { reason: s.reason } : {}),
    errors: s.errors,
    failures,
    zones,
  };
}
