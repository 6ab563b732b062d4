import type { Keys, RedisClient } from '../redis.js';
import type {
  Digest,
  DigestCounters,
  DigestStatus,
  FailureCause,
  FailureGroup,
  FirstError,
  SmtpErrorKindSeen,
} from './digest.js';
import {
  advanceScript,
  completeScript,
  createScript,
  markScript,
  storeContentScript,
} from './digest-scripts.js';
import type { DigestWindow } from './digest-window.js';

/**
 * Digests live in one Redis hash each (`keys.digest(date)`): window, status, the content rendered
 * once (subject, HTML and text with placeholders), the post ids, the counters and the fan-out
 * cursor. `keys.digests` orders the dates by send time; `keys.digestFailures(date)` counts failed
 * deliveries by cause and SMTP code (kept by the ledger's scripts).
 */

const ERROR_KINDS: readonly SmtpErrorKindSeen[] = ['transient', 'throttle', 'permanent', 'bounce'];

const SUMMARY_FIELDS = [
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
  'finishedAt',
  'reason',
  'heldSince',
  ...ERROR_KINDS.map((k) => `error:${k}` as const),
] as const;

export type DigestSummary = Omit<Digest, 'html' | 'text'> & {
  finishedAt?: string;
  /** When a held digest was first held (its retries stop 24 hours later). */
  heldSince?: string;
};

/** How many earlier dates previousBuiltAt looks through for a built one. */
const PREVIOUS_LOOKBACK = 10;

export function createDigestStore(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;

  function counters(f: Record<string, string | null | undefined>): DigestCounters {
    const recipients = Number(f.recipients ?? 0);
    const sent = Number(f.sent ?? 0);
    const failed = Number(f.failed ?? 0);
    const skipped = Number(f.skipped ?? 0);
    return {
      recipients,
      sent,
      failed,
      skipped,
      pending: Math.max(0, recipients - sent - failed - skipped),
    };
  }

  function summary(f: Record<string, string | null | undefined>): DigestSummary {
    return {
      date: f.date!,
      sendAt: f.sendAt!,
      windowStart: f.windowStart!,
      windowEnd: f.windowEnd!,
      status: f.status as DigestStatus,
      subject: f.subject ?? '',
      postIds: f.postIds ? (JSON.parse(f.postIds) as string[]) : [],
      builtAt: f.builtAt ?? '',
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

  /** Held or skipped, for a digest that is not built; false when it is built already. */
  async function mark(
    status: 'held' | 'skipped',
    window: DigestWindow,
    reason: string,
    now: Date,
  ): Promise<boolean> {
    const out = await markScript(
      redis,
      [keys.digest(window.date), keys.digests],
      [
        status,
        reason.slice(0, 500),
        window.date,
        window.sendAt.toISOString(),
        window.windowStart.toISOString(),
        window.windowEnd.toISOString(),
        now.toISOString(),
        window.sendAt.getTime(),
      ],
    );
    return out === 1;
  }

  return {
    /** Creates the digest in status building; false when it already existed (README guarantee 1). */
    async create(window: DigestWindow, now: Date): Promise<boolean> {
      const created = await createScript(
        redis,
        [keys.digest(window.date), keys.digests],
        [
          window.date,
          window.sendAt.toISOString(),
          window.windowStart.toISOString(),
          window.windowEnd.toISOString(),
          now.toISOString(),
          window.sendAt.getTime(),
        ],
      );
      return created === 1;
    },

    /**
     * Records that the SMTP preflight failed for a digest not built yet: status `held` with the
     * reason; nothing is fanned out. False when the digest is built already.
     */
    markHeld: (window: DigestWindow, reason: string, now: Date) =>
      mark('held', window, reason, now),

    /**
     * Records a scheduled occurrence that is not sent (no posts; missed by more than 24 hours)
     * as `skipped`. It takes no post and stays buildable by a manual send. False when the digest
     * is built already.
     */
    markSkipped: (window: DigestWindow, reason: string, now: Date) =>
      mark('skipped', window, reason, now),

    /** How many times a held digest's preflight has failed. */
    async holds(date: string): Promise<number> {
      return Number((await redis.hget(keys.digest(date), 'holds')) ?? 0);
    },

    /** A new round number for a retry by hand (its send jobs get ids of their own). */
    async nextRetryRound(date: string): Promise<number> {
      return redis.hincrby(keys.digest(date), 'retryRound', 1);
    },

    /** Keeps the first SMTP error of a kind (later ones of that kind are dropped). */
    async noteError(date: string, kind: SmtpErrorKindSeen, error: FirstError): Promise<void> {
      await redis.hsetnx(keys.digest(date), `error:${kind}`, JSON.stringify(error));
    },

    /** Failed deliveries grouped by cause and SMTP code, largest group first. */
    async failures(date: string): Promise<FailureGroup[]> {
      const all = await redis.hgetall(keys.digestFailures(date));
      return Object.entries(all)
        .map(([field, n]) => {
          const [cause, code] = field.split(':') as [FailureCause, string];
          return { cause, ...(code !== 'none' ? { code: Number(code) } : {}), count: Number(n) };
        })
        .filter((g) => g.count > 0)
        .sort((a, b) => b.count - a.count || (a.code ?? 0) - (b.code ?? 0));
    },

    /** Stores content once (status sending); returns false when another builder stored it first. */
    async storeContent(
      date: string,
      content: { subject: string; html: string; text: string; postIds: string[] },
      now: Date,
    ): Promise<boolean> {
      const stored = await storeContentScript(
        redis,
        [keys.digest(date)],
        [
          content.subject,
          content.html,
          content.text,
          JSON.stringify(content.postIds),
          now.toISOString(),
        ],
      );
      return stored === 1;
    },

    async get(date: string): Promise<Digest | undefined> {
      const f = await redis.hgetall(keys.digest(date));
      if (!f.date) return undefined;
      return { ...summary(f), html: f.html ?? '', text: f.text ?? '' };
    },

    /** Status and counters without the (large) content. */
    async getSummary(date: string): Promise<DigestSummary | undefined> {
      const values = await redis.hmget(keys.digest(date), ...SUMMARY_FIELDS);
      const f = Object.fromEntries(SUMMARY_FIELDS.map((k, i) => [k, values[i]]));
      return f.date ? summary(f) : undefined;
    },

    /** Newest first. */
    async list(limit: number): Promise<DigestSummary[]> {
      const dates = await redis.zrevrange(keys.digests, 0, limit - 1);
      const all = await Promise.all(dates.map((d) => this.getSummary(d)));
      return all.filter((d): d is DigestSummary => d !== undefined);
    },

    /**
     * The builtAt of the latest digest built before `sendAt` (for late arrivals). Skipped and
     * held digests took no post, so they are passed over (among the last few dates).
     */
    async previousBuiltAt(sendAt: Date): Promise<Date | undefined> {
      const prev = await redis.zrevrangebyscore(
        keys.digests,
        `(${sendAt.getTime()}`,
        '-inf',
        'LIMIT',
        0,
        PREVIOUS_LOOKBACK,
      );
      for (const date of prev) {
        const [builtAt, status] = await redis.hmget(keys.digest(date), 'builtAt', 'status');
        if (builtAt && status !== 'empty') return new Date(builtAt);
      }
      return undefined;
    },

    /** Fan-out state: the id bound fixed when fan-out starts, and the last id enqueued. */
    async fanoutState(date: string, boundIfUnset: () => Promise<number>) {
      const key = keys.digest(date);
      const [storedBound, cursor, done] = await redis.hmget(
        key,
        'fanoutBound',
        'fanoutCursor',
        'fanoutDone',
      );
      let bound = storedBound;
      if (bound == null) {
        await redis.hsetnx(key, 'fanoutBound', String(await boundIfUnset()));
        bound = await redis.hget(key, 'fanoutBound');
      }
      return { bound: Number(bound), cursor: Number(cursor ?? 0), done: done === '1' };
    },

    /**
     * Advances the cursor and the recipient count together, so a resumed fan-out counts once.
     * False when another builder moved the cursor first (this one must re-read it).
     */
    async advanceFanout(date: string, from: number, to: number, added: number): Promise<boolean> {
      return (
        (await advanceScript(redis, [keys.digest(date)], [String(from), String(to), added])) === 1
      );
    },

    async fanoutCursor(date: string): Promise<number> {
      return Number((await redis.hget(keys.digest(date), 'fanoutCursor')) ?? 0);
    },

    async finishFanout(date: string, now: Date): Promise<void> {
      await redis.hset(keys.digest(date), 'fanoutDone', '1', 'fanoutAt', now.toISOString());
      await this.completeIfDone(date, now);
    },

    /** True when this call moved the digest to sent / sent_with_failures / failed. */
    async completeIfDone(date: string, now: Date): Promise<boolean> {
      return (await completeScript(redis, [keys.digest(date)], [now.toISOString()])) === 1;
    },
  };
}

export type DigestStore = ReturnType<typeof createDigestStore>;
