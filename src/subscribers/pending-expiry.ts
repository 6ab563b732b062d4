import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';
import { addressKey } from './address.js';
import { SUBSCRIBER_STATUSES } from './subscriber.js';

/** A pending subscriber who has not confirmed within this is deleted (README, "Security"). */
export const PENDING_TTL_MS = 7 * 24 * 3600_000;
/** Expired records deleted per sweep, so a sweep stays short. */
const SWEEP = 100;

/*
 * Deletes one subscriber only while it is still pending and was last asked for before the
 * cutoff (a compare-and-set: one who confirms meanwhile stays).
 * KEYS: subscriber hash, byEmail, pendingSince, z1..z5. ARGV: id, address key, cutoff ms.
 */
const EXPIRE = luaCommand(new URL('./lua/pending-expire.lua', import.meta.url), 8);

/**
 * Pending subscribers expire PENDING_TTL_MS after their last request: the subscribe flow
 * notes each request in `keys.pendingSince`, and `sweep` deletes those past the cutoff.
 */
export function createPendingExpiry(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;
  const statusKeys = SUBSCRIBER_STATUSES.map((s) => keys.subscribersByStatus(s));
  return {
    /** Notes a request for a pending subscriber (its 7 days start again). */
    async noteRequest(id: number, at: Date): Promise<void> {
      await redis.zadd(keys.pendingSince, at.getTime(), id);
    },
    /** Deletes up to SWEEP pending subscribers whose last request is older than 7 days. */
    async sweep(now: Date): Promise<number> {
      const cutoff = now.getTime() - PENDING_TTL_MS;
      const ids = await redis.zrangebyscore(keys.pendingSince, '-inf', cutoff, 'LIMIT', 0, SWEEP);
      let deleted = 0;
      for (const id of ids) {
        const email = await redis.hget(keys.subscriber(id), 'e');
        if (email === null) {
          await redis.zrem(keys.pendingSince, id);
          continue;
        }
        const out = await EXPIRE(
          redis,
          [keys.subscriber(id), keys.subscriberByEmail, keys.pendingSince, ...statusKeys],
          [id, addressKey(email), cutoff],
        );
        deleted += Number(out);
      }
      return deleted;
    },
  };
}
