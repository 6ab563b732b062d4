import type { Keys, RedisClient } from '../redis.js';
import { indexGroupsScript } from './store-scripts.js';

/** `state` field set once every confirmed subscriber of an earlier version has its group. */
const GROUP_INDEX_FIELD = 'groupIndexV1';

/**
 * The group index (src/subscribers/store-scripts.ts): confirmed subscribers by frequency and
 * zone, which is what fan-out pages through and the schedule reads its zones from.
 */
export function createSubscriberGroups(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;
  return {
    /** Subscribers per group name ("weekly:Asia/Tokyo", "default:default"), one HGETALL. */
    async counts(): Promise<Map<string, number>> {
      const all = await redis.hgetall(keys.subscriberGroups);
      return new Map(
        Object.entries(all)
          .map(([g, n]) => [g, Number(n)] as const)
          .filter(([, n]) => n > 0),
      );
    },

    /** Ids of one group in (afterId, maxId], in id order, at most `limit`. */
    async page(name: string, afterId: number, limit: number, maxId: number): Promise<number[]> {
      const ids = await redis.zrangebyscore(
        keys.subscriberGroup(name),
        `(${afterId}`,
        maxId,
        'LIMIT',
        0,
        limit,
      );
      return ids.map(Number);
    },

    /**
     * The start-up migration: indexes the confirmed subscribers stored by an earlier version,
     * a page at a time (memory flat). Idempotent and safe beside live changes (the store's
     * scripts keep the index meanwhile; a member is counted only when its ZADD adds it).
     * Returns how many were added; 0 once done (a flag in `state` skips the walk).
     */
    async migrate(pageSize = 1000): Promise<number> {
      if ((await redis.hget(keys.state, GROUP_INDEX_FIELD)) === '1') return 0;
      let added = 0;
      let after = 0;
      for (;;) {
        const ids = await redis.zrangebyscore(
          keys.subscribersByStatus('confirmed'),
          `(${after}`,
          '+inf',
          'LIMIT',
          0,
          pageSize,
        );
        if (ids.length === 0) break;
        added += Number(
          await indexGroupsScript(redis, [keys.subscriberGroups], [keys.subscriber(''), ...ids]),
        );
        after = Number(ids[ids.length - 1]);
      }
      await redis.hset(keys.state, GROUP_INDEX_FIELD, '1');
      return added;
    },
  };
}

export type SubscriberGroups = ReturnType<typeof createSubscriberGroups>;
