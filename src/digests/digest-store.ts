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
  freezeScript,
  markScript,
  storeContentScript,
} from './digest-scripts.js';
import type { EditionWindow } from './edition-window.js';
import { isFrequency, type Frequency } from './frequency.js';

/**
 * Editions live in one Redis hash each (`keys.digest(id)`, id `weekly/2026-12-07`): window,
 * status, the frozen post range, the main variant's id and post ids, the counters and the
 * fan-out cursor; each variant's content (rendered once) is in its own hash
 * (src/digests/variant-store.ts). `keys.digests` orders all edition ids by send time and
 * `keys.digestsOf(f)` those of one frequency; `keys.digestFailures(id)` counts failed
 * deliveries by cause and SMTP code (kept by the ledger's scripts).
 */

const ERROR_KINDS: readonly SmtpErrorKindSeen[] = ['transient', 'throttle', 'permanent', 'bounce'];

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

export function createDigestStore(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;

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

  const editionKeys = (w: EditionWindow) => [
    keys.digest(w.id),
    keys.digests,
    keys.digestsOf(w.frequency),
  ];
  const editionArgs = (w: EditionWindow, now: Date) => [
    w.id,
    w.frequency,
    w.date,
    w.sendAt.toISOString(),
    w.windowStart.toISOString(),
    w.windowEnd.toISOString(),
    now.toISOString(),
    w.sendAt.getTime(),
  ];

  /** Held or skipped, for an edition that is not built; false when it is built already. */
  async function mark(
    status: 'held' | 'skipped',
    window: EditionWindow,
    reason: string,
    now: Date,
  ): Promise<boolean> {
    const args = [...editionArgs(window, now), status, reason.slice(0, 500)];
    return (await markScript(redis, editionKeys(window), args)) === 1;
  }

  return {
    /** Creates the edition in status building; false when it already existed (README guarantee 1). */
    async create(window: EditionWindow, now: Date): Promise<boolean> {
      return (await createScript(redis, editionKeys(window), editionArgs(window, now))) === 1;
    },

    /**
     * Freezes the edition's post range once (the first builder wins) and returns what is
     * stored: seqTo, and seqFrom / previousBuiltAt when there was a previous edition.
     * `windowFrom` (see Digest) is kept first, once: every builder of the edition reads it from
     * the same stored editions, and the send path reads it back with the range.
     */
    async freeze(
      id: string,
      range: { seqTo: number; seqFrom?: number; previousBuiltAt?: Date; windowFrom?: Date },
    ): Promise<{ seqTo: number; seqFrom?: number; previousBuiltAt?: Date }> {
      if (range.windowFrom)
        await redis.hsetnx(keys.digest(id), 'windowFrom', range.windowFrom.toISOString());
      const [seqTo, seqFrom, prev] = (await freezeScript(
        redis,
        [keys.digest(id)],
        [range.seqTo, range.seqFrom ?? '', range.previousBuiltAt?.toISOString() ?? ''],
      )) as (string | null)[];
      return {
        seqTo: Number(seqTo),
        ...(seqFrom ? { seqFrom: Number(seqFrom) } : {}),
        ...(prev ? { previousBuiltAt: new Date(prev) } : {}),
      };
    },

    /**
     * Records that the SMTP preflight failed for a digest not built yet: status `held` with the
     * reason; nothing is fanned out. False when the digest is built already.
     */
    markHeld: (window: EditionWindow, reason: string, now: Date) =>
      mark('held', window, reason, now),

    /**
     * Records a scheduled occurrence that is not sent (no posts; missed by more than 24 hours)
     * as `skipped`. It takes no post and stays buildable by a manual send. False when the digest
     * is built already.
     */
    markSkipped: (window: EditionWindow, reason: string, now: Date) =>
      mark('skipped', window, reason, now),

    /** How many times a held digest's preflight has failed. */
    async holds(id: string): Promise<number> {
      return Number((await redis.hget(keys.digest(id), 'holds')) ?? 0);
    },

    /** A new round number for a retry by hand (its send jobs get ids of their own). */
    async nextRetryRound(id: string): Promise<number> {
      return redis.hincrby(keys.digest(id), 'retryRound', 1);
    },

    /** Keeps the first SMTP error of a kind (later ones of that kind are dropped). */
    async noteError(id: string, kind: SmtpErrorKindSeen, error: FirstError): Promise<void> {
      await redis.hsetnx(keys.digest(id), `error:${kind}`, JSON.stringify(error));
    },

    /** Failed deliveries grouped by cause and SMTP code, largest group first. */
    async failures(id: string): Promise<FailureGroup[]> {
      const all = await redis.hgetall(keys.digestFailures(id));
      return Object.entries(all)
        .map(([field, n]) => {
          const [cause, code] = field.split(':') as [FailureCause, string];
          return { cause, ...(code !== 'none' ? { code: Number(code) } : {}), count: Number(n) };
        })
        .filter((g) => g.count > 0)
        .sort((a, b) => b.count - a.count || (a.code ?? 0) - (b.code ?? 0));
    },

    /**
     * Marks the edition built (status sending) with its main variant, once; false when another
     * builder did first.
     */
    async storeContent(
      id: string,
      content: { subject: string; variant: string; postIds: string[] },
      now: Date,
    ): Promise<boolean> {
      const stored = await storeContentScript(
        redis,
        [keys.digest(id)],
        [content.subject, content.variant, JSON.stringify(content.postIds), now.toISOString()],
      );
      return stored === 1;
    },

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

    /** Fan-out state: the id bound fixed when fan-out starts, and the last id enqueued. */
    async fanoutState(id: string, boundIfUnset: () => Promise<number>) {
      const key = keys.digest(id);
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
    async advanceFanout(id: string, from: number, to: number, added: number): Promise<boolean> {
      return (
        (await advanceScript(redis, [keys.digest(id)], [String(from), String(to), added])) === 1
      );
    },

    async fanoutCursor(id: string): Promise<number> {
      return Number((await redis.hget(keys.digest(id), 'fanoutCursor')) ?? 0);
    },

    async finishFanout(id: string, now: Date): Promise<void> {
      await redis.hset(keys.digest(id), 'fanoutDone', '1', 'fanoutAt', now.toISOString());
      await this.completeIfDone(id, now);
    },

    /** True when this call moved the digest to sent / sent_with_failures / failed. */
    async completeIfDone(id: string, now: Date): Promise<boolean> {
      return (await completeScript(redis, [keys.digest(id)], [now.toISOString()])) === 1;
    },
  };
}

export type DigestStore = ReturnType<typeof createDigestStore>;

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
