import type { Keys, RedisClient } from '../redis.js';
import type {
  Digest,
  DigestCounters,
  DigestStatus,
  FirstError,
  SmtpErrorKindSeen,
} from './digest.js';
import { isFrequency, type Frequency } from './frequency.js';

/** The SMTP error kinds whose first error an edition keeps (`error:<kind>`). */
const ERROR_KINDS: readonly SmtpErrorKindSeen[] = ['transient', 'throttle', 'permanent', 'bounce'];

/** The edition hash's fields a summary reads: all but the content (html, text). */
const SUMMARY_FIELDS = [
  'edition',
  'frequency',
  'date',
  'sendAt',
  'windowStart',
  'windowEnd',
  'status',
  'subject',
  'postIds',
  'builtAt',
  'recipients',
  'sent',
  'failed',
  'skipped',
  'rolled',
  'seqFrom',
  'seqTo',
  'prevBuiltAt',
  'windowFrom',
  'variant',
  'renders',
  'finishedAt',
  'reason',
  'heldSince',
  ...ERROR_KINDS.map((k) => `error:${k}` as const),
] as const;

/** A stored number field, or undefined. */
const num = (v: string | null | undefined) => (v ? Number(v) : undefined);

export type DigestSummary = Omit<Digest, 'html' | 'text'> & {
  finishedAt?: string;
  /** When a held digest was first held (its retries stop 24 hours later). */
  heldSince?: string;
};

/**
 * How many earlier editions previousBuilt reads at a time, and at most in all: more than the
 * daily editions of the 92 days the scheduler catches up after every process was down (README,
 * "The schedule"), so a run of missed editions never hides the built one before it.
 */
const PREVIOUS_PAGE = 25;
const PREVIOUS_LOOKBACK = 400;

/** What comes before an edition of a frequency (previousBuilt). */
export interface PreviousEdition {
  /** When the latest edition built before it was built (window mode's late arrivals). */
  builtAt?: Date;
  /** The seqTo it froze: the next one's seqFrom (absent for an earlier version's edition). */
  seqTo?: number;
  /**
   * None built (within the lookback): the window start of the oldest edition passed over,
   * skipped or held. They took no post, so the posts of their windows are this edition's.
   */
  unbuiltFrom?: Date;
}

function counters(f: Record<string, string | null | undefined>): DigestCounters {
  const recipients = Number(f.recipients ?? 0);
  const sent = Number(f.sent ?? 0);
  const failed = Number(f.failed ?? 0);
  const skipped = Number(f.skipped ?? 0);
  const rolled = Number(f.rolled ?? 0);
  return {
    recipients,
    sent,
    failed,
    skipped,
    rolled,
    pending: Math.max(0, recipients - sent - failed - skipped - rolled),
  };
}

function summary(f: Record<string, string | null | undefined>): DigestSummary {
  // Editions of earlier versions were named by their date alone: the weekly one.
  const frequency: Frequency = isFrequency(f.frequency) ? f.frequency : 'weekly';
  return {
    id: f.edition ?? `${frequency}/${f.date!}`,
    frequency,
    date: f.date!,
    sendAt: f.sendAt!,
    windowStart: f.windowStart!,
    windowEnd: f.windowEnd!,
    status: f.status as DigestStatus,
    subject: f.subject ?? '',
    postIds: f.postIds ? (JSON.parse(f.postIds) as string[]) : [],
    builtAt: f.builtAt ?? '',
    ...(f.seqFrom ? { seqFrom: num(f.seqFrom) } : {}),
    ...(f.seqTo ? { seqTo: num(f.seqTo) } : {}),
    ...(f.prevBuiltAt ? { previousBuiltAt: f.prevBuiltAt } : {}),
    ...(f.windowFrom ? { windowFrom: f.windowFrom } : {}),
    // Built by an earlier version: its one content is stored on the edition itself.
    ...(f.variant || f.builtAt ? { variant: f.variant || 'legacy' } : {}),
    renders: Number(f.renders ?? 0),
    counters: counters(f),
    finishedAt: f.finishedAt ?? undefined,
    ...(f.reason ? { reason: f.reason } : {}),
    ...(f.heldSince ? { heldSince: f.heldSince } : {}),
    errors: Object.fromEntries(
      ERROR_KINDS.flatMap((k) => {
        const v = f[`error:${k}`];
        return v ? [[k, JSON.parse(v) as FirstError]] : [];
      }),
    ),
  };
}

/** The digest store's reads of editions (src/digests/digest-store.ts). */
export function createDigestReads(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;

  return {
    /** The edition with its main variant's content (or the content an earlier version stored on it). */
    async get(id: string): Promise<Digest | undefined> {
      const f = await redis.hgetall(keys.digest(id));
      if (!f.date) return undefined;
      if (f.variant) {
        const [html, text] = await redis.hmget(keys.digestVariant(id, f.variant), 'html', 'text');
        return { ...summary(f), html: html ?? '', text: text ?? '' };
      }
      return { ...summary(f), html: f.html ?? '', text: f.text ?? '' };
    },

    /** Status and counters without the (large) content. */
    async getSummary(id: string): Promise<DigestSummary | undefined> {
      const values = await redis.hmget(keys.digest(id), ...SUMMARY_FIELDS);
      const f = Object.fromEntries(SUMMARY_FIELDS.map((k, i) => [k, values[i]]));
      return f.date ? summary(f) : undefined;
    },

    /** Newest first (every frequency, or one). */
    async list(limit: number, frequency?: Frequency): Promise<DigestSummary[]> {
      const index = frequency ? keys.digestsOf(frequency) : keys.digests;
      const ids = await redis.zrevrange(index, 0, limit - 1);
      const all = await Promise.all(ids.map((d) => this.getSummary(d)));
      return all.filter((d): d is DigestSummary => d !== undefined);
    },

    /**
     * The latest edition of `frequency` built before `sendAt`, or where the posts of the
     * unbuilt ones before it start (readPrevious).
     */
    previousBuilt: (frequency: Frequency, sendAt: Date) =>
      readPrevious(redis, keys, frequency, sendAt),
  };
}

/**
 * The latest edition of `frequency` built before `sendAt`: when it was built (late arrivals)
 * and the seqTo it froze (the next one's seqFrom). Skipped and held editions took no post, so
 * they are passed over; with none built, `unbuiltFrom` says where the oldest of them started
 * (README guarantee 3). Undefined: no edition before it at all. Reads pages of PREVIOUS_PAGE,
 * at most PREVIOUS_LOOKBACK editions.
 */
async function readPrevious(
  redis: RedisClient,
  keys: Keys,
  frequency: Frequency,
  sendAt: Date,
): Promise<PreviousEdition | undefined> {
  let unbuiltFrom: Date | undefined;
  for (let offset = 0; offset < PREVIOUS_LOOKBACK; offset += PREVIOUS_PAGE) {
    const ids = await redis.zrevrangebyscore(
      keys.digestsOf(frequency),
      `(${sendAt.getTime()}`,
      '-inf',
      'LIMIT',
      offset,
      PREVIOUS_PAGE,
    );
    if (ids.length === 0) break;
    const read = redis.pipeline();
    for (const id of ids) read.hmget(keys.digest(id), 'builtAt', 'status', 'seqTo', 'windowStart');
    for (const [err, row] of (await read.exec()) ?? []) {
      if (err) throw err;
      const [builtAt, status, seqTo, windowStart] = row as (string | null)[];
      if (builtAt && status !== 'empty')
        return { builtAt: new Date(builtAt), ...(seqTo ? { seqTo: Number(seqTo) } : {}) };
      if (windowStart) unbuiltFrom = new Date(windowStart);
    }
    if (ids.length < PREVIOUS_PAGE) break;
  }
  return unbuiltFrom ? { unbuiltFrom } : undefined;
}
