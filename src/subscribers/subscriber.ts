import type { Frequency } from '../digests/frequency.js';

export const SUBSCRIBER_STATUSES = [
  'pending',
  'confirmed',
  'unsubscribed',
  'bounced',
  'complained',
] as const;

/** Only `confirmed` ever receives a digest. */
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

export interface Subscriber {
  /** Increasing integer id: fan-out pages through subscribers in id order. */
  id: number;
  /** Normalised: domain lower-cased (punycode), local part as written. */
  email: string;
  name: string | undefined;
  status: SubscriberStatus;
  /** IANA time zone: their digest goes out at the cron's time there (DIGEST_TZ when absent). */
  tz: string | undefined;
  /** How often they receive a digest; absent: the site's DIGEST_DEFAULT_FREQUENCY. */
  frequency: Frequency | undefined;
  /** Topic names they chose; empty: every post. */
  topics: string[];
  /** A paused subscriber stays confirmed but is skipped at send time. */
  paused: boolean;
  createdAt: string;
  updatedAt: string;
  confirmedAt: string | undefined;
  /** Consent record (web signups): time, IP, user agent, source page. */
  consent: { at: string; ip?: string; userAgent?: string; source?: string } | undefined;
}
