import type { Keys, RedisClient } from '../redis.js';
import { isFrequency } from '../digests/frequency.js';
import { addressKey, normaliseAddress } from './address.js';
import type { Subscriber, SubscriberStatus } from './subscriber.js';
import { parse, suppressionHash } from './subscriber-record.js';

/** A recipient as the send path reads them (sendInfo). */
export type SendInfo = Pick<
  Subscriber,
  'id' | 'email' | 'status' | 'paused' | 'tz' | 'frequency' | 'topics'
> & {
  /** Field `q`: the post seq up to which they have been covered (moved by the ledger's claim). */
  cursor: number | undefined;
  /** When they confirmed (ms): a reader with no cursor gets the posts since then at least. */
  confirmedAtMs: number | undefined;
};

/** The subscriber store's reads by id and address (src/subscribers/subscriber-store.ts). */
export function createSubscriberLookup(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;

  async function get(id: number): Promise<Subscriber | undefined> {
    return parse(id, await redis.hgetall(keys.subscriber(id)));
  }

  async function getMany(ids: readonly number[]): Promise<(Subscriber | undefined)[]> {
    if (ids.length === 0) return [];
    const p = redis.pipeline();
    for (const id of ids) p.hgetall(keys.subscriber(id));
    const res = (await p.exec()) ?? [];
    return ids.map((id, i) => {
      const [err, h] = res[i] ?? [];
      if (err) throw err;
      return parse(id, h as Record<string, string>);
    });
  }

  async function idByEmail(email: string): Promise<number | undefined> {
    const addr = normaliseAddress(email);
    if (!addr.ok) return undefined;
    const id = await redis.hget(keys.subscriberByEmail, addressKey(addr.email));
    return id ? Number(id) : undefined;
  }

  return {
    get,
    getMany,

    async getByEmail(email: string): Promise<Subscriber | undefined> {
      const id = await idByEmail(email);
      return id === undefined ? undefined : get(id);
    },

    async isSuppressed(email: string): Promise<boolean> {
      const addr = normaliseAddress(email);
      if (!addr.ok) return false;
      return (await redis.hexists(keys.suppressions, suppressionHash(addr.email))) === 1;
    },

    /** The highest id given out so far: fan-out's upper bound, fixed when it starts. */
    async maxId(): Promise<number> {
      return Number((await redis.get(keys.subscriberSeq)) ?? 0);
    },

    /**
     * What the send path needs per recipient, in one pipelined round trip; undefined if gone.
     * Zone, frequency and topics are for the footer's words (describe-delivery.ts).
     * `cursor` (field `q`): the post seq up to which they have been covered (moved by the
     * ledger's claim, src/delivery/ledger.ts).
     */
    sendInfo(ids: readonly number[]): Promise<(SendInfo | undefined)[]> {
      return readSendInfo(redis, keys, ids);
    },
  };
}

async function readSendInfo(
  redis: RedisClient,
  keys: Keys,
  ids: readonly number[],
): Promise<(SendInfo | undefined)[]> {
  if (ids.length === 0) return [];
  const p = redis.pipeline();
  for (const id of ids) p.hmget(keys.subscriber(id), 'e', 's', 'p', 'z', 'f', 't', 'q', 'k');
  const res = (await p.exec()) ?? [];
  return ids.map((id, i) => {
    const [err, v] = res[i] ?? [];
    if (err) throw err;
    const [email, status, paused, tz, frequency, topics, q, k] = (v ?? []) as (string | null)[];
    if (!email || !status) return undefined;
    return {
      id,
      email,
      status: status as SubscriberStatus,
      paused: paused === '1',
      tz: tz || undefined,
      frequency: isFrequency(frequency) ? frequency : undefined,
      topics: topics ? topics.split(',') : [],
      cursor: q ? Number(q) : undefined,
      confirmedAtMs: k ? Number(k) : undefined,
    };
  });
}
