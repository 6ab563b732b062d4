import { defineScript, type Keys, type RedisClient } from '../redis.js';
import type { Digest, DigestCounters, DigestStatus } from './digest.js';
import type { DigestWindow } from './digest-window.js';

/**
 * Digests live in one Redis hash each (`keys.digest(date)`): window, status, the content rendered
 * once (subject, HTML and text with placeholders), the post ids, the counters and the fan-out
 * cursor. `keys.digests` orders the dates by send time.
 */

/** Creates the digest if absent (status building). Returns 1 when this call created it. */
const createScript = defineScript(`
if redis.call('HSETNX', KEYS[1], 'status', 'building') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'date', ARGV[1], 'sendAt', ARGV[2], 'windowStart', ARGV[3],
  'windowEnd', ARGV[4], 'createdAt', ARGV[5], 'recipients', 0, 'sent', 0, 'failed', 0, 'skipped', 0)
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
return 1
`);

/**
 * Stores the rendered content once: the first builder wins and a second (a retry racing a
 * stalled one) keeps the winner's content, so a digest is rendered into the store at most once.
 */
const storeContentScript = defineScript(`
if redis.call('HEXISTS', KEYS[1], 'builtAt') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'subject', ARGV[1], 'html', ARGV[2], 'text', ARGV[3],
  'postIds', ARGV[4], 'builtAt', ARGV[5], 'status', ARGV[6])
return 1
`);

/** Moves a sending digest to sent / sent_with_failures once every recipient is accounted for. */
const completeScript = defineScript(`
local f = redis.call('HMGET', KEYS[1], 'status', 'fanoutDone', 'recipients', 'sent', 'failed', 'skipped')
if f[1] ~= 'sending' or f[2] ~= '1' then return 0 end
local done = tonumber(f[4]) + tonumber(f[5]) + tonumber(f[6])
if done < tonumber(f[3]) then return 0 end
local status = 'sent'
if tonumber(f[5]) > 0 then status = 'sent_with_failures' end
redis.call('HSET', KEYS[1], 'status', status, 'finishedAt', ARGV[1])
return 1
`);

/**
 * Moves the fan-out cursor from ARGV[1] to ARGV[2] and counts ARGV[3] recipients, only if the
 * cursor is still where this builder read it: two builders of one digest (a stall taken for a
 * death) can never count a page twice.
 */
const advanceScript = defineScript(`
local cur = redis.call('HGET', KEYS[1], 'fanoutCursor') or '0'
if cur ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'fanoutCursor', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'recipients', ARGV[3])
return 1
`);

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
] as const;

export type DigestSummary = Omit<Digest, 'html' | 'text'> & { finishedAt?: string };

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
    };
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

    /** Stores content once; returns false when another builder stored it first. */
    async storeContent(
      date: string,
      content: { subject: string; html: string; text: string; postIds: string[] },
      status: 'empty' | 'sending',
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
          status,
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

    /** The builtAt of the latest digest sent before `sendAt` (for late arrivals). */
    async previousBuiltAt(sendAt: Date): Promise<Date | undefined> {
      const [prev] = await redis.zrevrangebyscore(
        keys.digests,
        `(${sendAt.getTime()}`,
        '-inf',
        'LIMIT',
        0,
        1,
      );
      if (!prev) return undefined;
      const builtAt = await redis.hget(keys.digest(prev), 'builtAt');
      return builtAt ? new Date(builtAt) : undefined;
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

    /** True when this call moved the digest to sent / sent_with_failures. */
    async completeIfDone(date: string, now: Date): Promise<boolean> {
      return (await completeScript(redis, [keys.digest(date)], [now.toISOString()])) === 1;
    },
  };
}

export type DigestStore = ReturnType<typeof createDigestStore>;
