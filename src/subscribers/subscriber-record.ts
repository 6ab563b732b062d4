import { hash } from 'node:crypto';
import { stripControls } from '../control-chars.js';
import { addressKey, type AddressErrorCode } from './address.js';
import { isFrequency, type Frequency } from '../digests/frequency.js';
import { ValidationError } from '../errors.js';
import type { Keys } from '../redis.js';
import { SUBSCRIBER_STATUSES, type Subscriber, type SubscriberStatus } from './subscriber.js';

/*
 * The subscriber store's input and output types, and how a subscriber's Redis hash reads back.
 */

export type SuppressionReason = 'bounced' | 'complained' | 'erased' | 'manual';

export interface Consent {
  at: Date;
  ip?: string;
  userAgent?: string;
  source?: string;
}

export interface AddInput {
  email: string;
  name?: string;
  tz?: string;
  /** Absent: the site's default frequency. */
  frequency?: Frequency;
  /** Topic names (checked by the caller against the topic store); absent or empty: all. */
  topics?: string[];
  /** Default `pending`. */
  status?: SubscriberStatus;
  consent?: Consent;
}

export type AddOutcome = 'created' | 'updated' | 'unchanged' | 'suppressed' | 'invalid';

export interface AddManyItem {
  outcome: AddOutcome;
  /** The subscriber's id (also for unchanged/updated, and suppressed ones still stored). */
  id?: number;
  /** For `invalid`: an address code or SUBSCRIBER_TZ_INVALID / SUBSCRIBER_STATUS_INVALID. */
  code?: AddressErrorCode | 'SUBSCRIBER_TZ_INVALID' | 'SUBSCRIBER_STATUS_INVALID';
  message?: string;
}

export interface AddManyResult {
  created: number;
  updated: number;
  unchanged: number;
  suppressed: number;
  invalid: number;
  /** One per input, same order. */
  items: AddManyItem[];
}

/** sha256 (hex) of the address's uniqueness key: what suppressions hold instead of the address. */
export function suppressionHash(normalisedEmail: string): string {
  return hash('sha256', addressKey(normalisedEmail), 'hex');
}

/** Names, user agents and the like: no control characters (they may end up in headers), bounded. */
export function clean(s: string | undefined, max: number): string {
  if (!s) return '';
  return stripControls(s).trim().slice(0, max);
}

function ms(v: string | undefined): string | undefined {
  return v ? new Date(Number(v)).toISOString() : undefined;
}

/** A subscriber from its stored hash (see store-scripts.ts for the field names). */
export function parse(
  id: number,
  h: Record<string, string> | null | undefined,
): Subscriber | undefined {
  if (!h || !h.e || !h.s) return undefined;
  const createdAt = ms(h.c) ?? new Date(0).toISOString();
  return {
    id,
    email: h.e,
    name: h.n || undefined,
    status: h.s as SubscriberStatus,
    tz: h.z || undefined,
    frequency: isFrequency(h.f) ? h.f : undefined,
    topics: h.t ? h.t.split(',') : [],
    paused: h.p === '1',
    createdAt,
    updatedAt: ms(h.u) ?? createdAt,
    confirmedAt: ms(h.k),
    consent: h.ca
      ? {
          at: ms(h.ca)!,
          ip: h.ci || undefined,
          userAgent: h.cu || undefined,
          source: h.cs || undefined,
        }
      : undefined,
  };
}

/** Throws SUBSCRIBER_STATUS_INVALID unless `status` is one of SUBSCRIBER_STATUSES. */
export function checkStatus(status: string): asserts status is SubscriberStatus {
  if (!(SUBSCRIBER_STATUSES as readonly string[]).includes(status)) {
    throw new ValidationError('SUBSCRIBER_STATUS_INVALID', `unknown status: ${status}`);
  }
}

/** The per-status zsets in SUBSCRIBER_STATUSES order (KEYS z1..z5 of the store's scripts). */
export function statusKeysOf(keys: Keys): string[] {
  return SUBSCRIBER_STATUSES.map((s) => keys.subscribersByStatus(s));
}
